//! # Parte 1 — servidor Echo iterativo e bloqueante
//!
//! O `servidor.py` da disciplina, em Rust, na mesma ordem: cria o socket de
//! escuta (`socket`, `bind`, `listen`) e, para sempre, aceita um cliente,
//! conversa com ele até ele sair (ler, mostrar, responder), fecha e volta ao
//! `accept()`. Toda chamada bloqueia: `accept()` até chegar um cliente, a
//! leitura até chegar uma mensagem.
//!
//! O `servidor-simples` (`common/src/bin/servidor-simples.rs`) é o mesmo
//! servidor em 40 linhas, só com a biblioteca padrão, e marca o que
//! simplifica. Esta parte é o que muda para ele sobreviver ao mundo: o
//! `listen(1)` de verdade, `--host` e `--porta`, o aviso ao cliente de uma
//! mensagem grande demais antes de fechar (sem RST), erros em português e
//! um log que escapa cada byte.
//!
//! | `servidor.py` (em `common/ferramentas/disciplina/`) | aqui |
//! |---|---|
//! | `HOST = "localhost"` | o padrão da opção --host (em common/src/rede.rs) |
//! | `PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000` | o padrão da opção --porta, 5000 (a porta vem da linha de comando nos dois) |
//! | `def main():` | `pub fn servir(args: &ArgsServidor)`, chamada pelo main de parte1/src/main.rs; começa por `endereco_de_escuta(args)`, o endereço de HOST e PORT |
//! | `servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)` (AF_INET para localhost; AF_INET6 para um endereço IPv6) |
//! | `servidor.bind((HOST, PORT))` | `escuta.bind(&endereco_local.into())` |
//! | `servidor.listen(1)` | `escuta.listen(BACKLOG)` |
//! | `print(f"Servidor Echo escutando em {HOST}:{PORT}")` | `anunciar(&escuta, args)` (em common/src/rede.rs: o mesmo banner, com a porta que o kernel deu, e na saída de erros o comando para conectar) |
//! | `while True:` | `loop {` |
//! | `print("\nAguardando conexão...")` | `println!("\nAguardando conexão...")` |
//! | `conn, addr = servidor.accept()` | `let (conexao, endereco) = match escuta.accept()` e, com a conexão aceita, `atender_cliente(conexao, endereco)`: a conversa é uma função, para a Parte 3 poder entregá-la a uma thread |
//! | `print(f"Conectado com {addr}")` | `println!("Conectado com {endereco}")` |
//! | `while True:` | `let desfecho = loop {` (o de dentro, na função atender_cliente): o laço termina com o desfecho da conversa, um texto para o log |
//! | `dados = conn.recv(1024)` | `linhas.proxima(&mut conexao)` |
//! | `if not dados:` | `Ok(Recebido::Fim)` |
//! | `print("Cliente desconectou")` | `break "Cliente desconectou"`: sai do laço com esse desfecho, e a linha logo depois do laço o imprime |
//! | `mensagem = dados.decode()` | nada: os bytes voltam como vieram; só o log vira texto |
//! | `print(f"Recebido: {mensagem}")` | `println!("Recebido: {}", texto_seguro(&mensagem))` |
//! | `conn.sendall(f"Echo: {mensagem}".encode())` | `let resposta = eco(&mensagem);` (o prefixo "Echo: ", a mensagem e o "\n" do fim) e `conexao.write_all(&resposta)` |
//! | `conn.close()` | `drop(conexao)` |
//! | `if __name__ == "__main__":` | o main de parte1/src/main.rs: lê a linha de comando e chama servir |
//!
//! O que muda em relação ao `servidor.py`, e por quê:
//! - as mensagens terminam em `\n`. TCP entrega um fluxo de bytes, sem
//!   fronteiras: um `recv(1024)` pode trazer meia mensagem, ou duas. O
//!   `LeitorDeLinhas` (`common/src/protocolo.rs`) chama `read()` até
//!   completar uma linha; é o único passo entre este arquivo e o `recv`;
//! - por isso o `cliente.py` da disciplina, que envia sem `\n`, fica
//!   esperando a resposta para sempre, e o log deste servidor não mostra
//!   nada até o cliente sair. Acrescente `+ "\n"` no `sendall` dele (ou use
//!   o nosso `cliente-simples`, a tradução dele);
//! - nenhum erro de um cliente derruba o servidor: cada desfecho (fim, queda
//!   com RST, meia linha, linha grande demais) encerra só a conversa com um
//!   `break` que diz o motivo, impresso uma vez, depois do laço (a Parte 2
//!   põe nessa linha a hora, o cliente e o resumo do atendimento); um `accept()` que
//!   falhou vira uma linha de log, e o laço segue. O `servidor.py` morre com
//!   um RST ou com bytes que não são UTF-8;
//! - o log mostra o texto do cliente escapado (`texto_seguro`): um cliente
//!   não consegue apagar a tela de quem olha o servidor; `-q` omite a linha
//!   de cada mensagem (para medir velocidade);
//! - duas opções de socket a mais, cada uma com o seu porquê:
//!   `SO_REUSEADDR` (no Unix), antes do `bind`, e `TCP_NODELAY`, em cada
//!   conexão aceita.
//!
//! Limitação que a Parte 2 mostra e a Parte 3 resolve: enquanto um cliente
//! está conectado, qualquer outro espera.
//!
//! De `common`, leia depois deste arquivo, nesta ordem, só o que ele chama:
//! `protocolo.rs` (o `LeitorDeLinhas`, o `eco` e o `fechar_com_aviso`);
//! `rede.rs`, só `endereco_de_escuta`, `erro_no_bind` e as três primeiras
//! linhas de `anunciar`, o banner (o resto sugere como se conectar e pode
//! ficar para depois); `texto.rs` (o `texto_seguro`) e `erros.rs` (os erros
//! em português). O `main.rs` usa também `linha_de_comando.rs`, que traduz
//! as mensagens do clap: pode pular.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte1` (ou `just parte1`).
//! 2. Terminal 2: `cargo run --bin cliente-simples` (o `cliente.py` em Rust,
//!    linha por linha) ou `cargo run --bin cliente` (o completo); digite `oi`.
//!    O servidor mostra `Recebido: oi`; o cliente, `Resposta: Echo: oi`.
//! 3. Digite `sair`: o servidor mostra `Cliente desconectou` e volta a
//!    `Aguardando conexão...`.

use anyhow::Result;
use common::erros::{descrever, falhou};
use common::protocolo::{
    eco, erro_mensagem_grande, fechar_com_aviso, LeitorDeLinhas, Recebido, LIMITE_MENSAGEM,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::texto::texto_seguro;
use socket2::{Domain, Socket, Type};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// O tamanho da fila de conexões completas que o servidor pede ao kernel
/// (ela as guarda enquanto o servidor não chama `accept()`): 1, como o
/// `listen(1)` da disciplina. É um pedido ao kernel: o Linux guarda até
/// backlog + 1 conexões, ou seja, 2.
const BACKLOG: i32 = 1;

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Abre o socket de escuta e atende clientes, um de cada vez, para sempre.
/// Só volta (com o erro) se não conseguir abrir o socket.
pub fn servir(args: &ArgsServidor) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    // A biblioteca padrão (`TcpListener::bind`) faz socket, bind e listen
    // numa chamada só, e sempre com listen(128); o crate socket2 expõe as
    // três, como o módulo `socket` do Python.
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    // Sem SO_REUSEADDR, reiniciar o servidor logo depois de encerrá-lo com
    // clientes conectados daria "porta em uso" por até 1 min: as conexões
    // que ele fechou primeiro ficam em TIME_WAIT (ou em FIN_WAIT_2, se o
    // cliente ainda não fechou a dele). No Windows a opção quer dizer outra
    // coisa: deixaria este servidor ocupar, sem erro, uma porta que outro
    // programa (o seu `servidor.py`) já usa. Lá, não a ligamos.
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(BACKLOG).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()` e devolve os tipos dela (`TcpStream`, `SocketAddr`).
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;

    loop {
        println!("\nAguardando conexão...");
        let (conexao, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                println!("Erro no accept(): {}", descrever(&e));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        atender_cliente(conexao, endereco);
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(mut conexao: TcpStream, endereco: SocketAddr) {
    println!("Conectado com {endereco}");
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se perde
    // a otimização.
    let _ = conexao.set_nodelay(true);
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    // O laço termina com o desfecho da conversa, um texto para o log: cada
    // `break` diz por que ela acabou, e a linha depois do laço o imprime.
    let desfecho = loop {
        match linhas.proxima(&mut conexao) {
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    println!("Recebido: {}", texto_seguro(&mensagem));
                }
                let resposta = eco(&mensagem);
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = conexao.write_all(&resposta) {
                    break format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = fechar_com_aviso(&conexao, &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            // A conexão foi desfeita (RST: o cliente fechou sem ler tudo o que
            // recebeu, ou caiu) ou a rede falhou: só esta conexão acaba.
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    println!("{desfecho}");
    // O Rust fecharia a conexão no fim da função de qualquer jeito; o drop só
    // deixa visível o close() do `servidor.py`.
    drop(conexao); // close(): aqui, em todos os caminhos, normal ou de erro
}
