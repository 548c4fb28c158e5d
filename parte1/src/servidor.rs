//! # Parte 1 — servidor Echo iterativo e bloqueante
//!
//! O `servidor.py` da disciplina, em Rust, na mesma ordem: cria o socket de
//! escuta (`socket`, `bind`, `listen`) e, para sempre, aceita um cliente,
//! conversa com ele até ele sair (ler, mostrar, responder), fecha e volta ao
//! `accept()`. Toda chamada bloqueia: `accept()` até chegar um cliente, a
//! leitura até chegar uma mensagem.
//!
//! | `servidor.py` (em `common/ferramentas/disciplina/`) | aqui |
//! |---|---|
//! | `servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `let escuta = Socket::new(` |
//! | `servidor.bind((HOST, PORT))` | `escuta.bind(` |
//! | `servidor.listen(1)` | `escuta.listen(BACKLOG)` |
//! | `print(f"Servidor Echo escutando em {HOST}:{PORT}")` | `anunciar(&escuta, args)` |
//! | `print("\nAguardando conexão...")` | `println!("Aguardando conexão...")` |
//! | `conn, addr = servidor.accept()` | `escuta.accept()` |
//! | `print(f"Conectado com {addr}")` | `println!("Conectado com {endereco}")` |
//! | `dados = conn.recv(1024)` | `linhas.proxima(&mut socket)` |
//! | `if not dados:` | `Ok(Recebido::Fim)` |
//! | `print("Cliente desconectou")` | `"Cliente desconectou"` |
//! | `print(f"Recebido: {mensagem}")` | `println!("Recebido: {}"` |
//! | `conn.sendall(f"Echo: {mensagem}".encode())` | `socket.write_all(&resposta)` |
//! | `conn.close()` | `drop(socket)` |
//!
//! O que muda em relação ao `servidor.py`, e por quê:
//! - as mensagens terminam em `\n`. TCP entrega um fluxo de bytes, sem
//!   fronteiras: um `recv(1024)` pode trazer meia mensagem, ou duas. O
//!   `LeitorDeLinhas` (`common/src/protocolo.rs`, umas 20 linhas) chama
//!   `read()` até completar uma linha; é o único passo entre este arquivo e
//!   o `recv`;
//! - nenhum erro de um cliente derruba o servidor: cada desfecho (fim, queda
//!   com RST, linha grande demais) vira uma linha de log, e o laço segue. O
//!   `servidor.py` morre com um RST ou com bytes que não são UTF-8;
//! - duas linhas a mais na preparação: `SO_REUSEADDR` (no Unix) e
//!   `TCP_NODELAY`, cada uma com o seu porquê.
//!
//! Limitação que a Parte 2 mostra e a Parte 3 resolve: enquanto um cliente
//! está conectado, qualquer outro espera.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte1` (ou `just parte1`).
//! 2. Terminal 2: `cargo run --bin cliente` (ou `just cliente`); digite `oi`.
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

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`: 1, como o `listen(1)` da disciplina.
const BACKLOG: i32 = 1;

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Abre o socket de escuta e atende clientes, um de cada vez, para sempre.
/// Só volta (com o erro) se não conseguir abrir o socket.
pub fn servir(args: &ArgsServidor) -> Result<()> {
    let endereco = endereco_de_escuta(args)?;
    // A biblioteca padrão (`TcpListener::bind`) faz socket, bind e listen
    // numa chamada só, e sempre com listen(128); o crate socket2 expõe as
    // três, como o módulo `socket` do Python.
    let escuta = Socket::new(Domain::for_address(endereco), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    // Sem SO_REUSEADDR, reiniciar o servidor logo depois de ele fechar uma
    // conexão daria "porta em uso" por até 1 min (TIME_WAIT). No Windows a
    // opção deixaria outro programa tomar a porta em uso: lá, não.
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco.into()).map_err(|e| erro_no_bind(e, args, endereco))?;
    escuta.listen(BACKLOG).map_err(falhou("listen()"))?;
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;

    loop {
        println!("Aguardando conexão...");
        let (socket, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                println!("Erro no accept(): {}", descrever(&e));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        atender_cliente(socket, endereco);
        println!();
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(mut socket: TcpStream, endereco: SocketAddr) {
    println!("Conectado com {endereco}");
    // Sem o algoritmo de Nagle: com ele, a segunda de duas respostas seguidas
    // esperaria o ACK da primeira (até 40 ms no Linux; `just nagle` mede).
    let _ = socket.set_nodelay(true);
    let mut linhas = LeitorDeLinhas::novo();
    let desfecho = loop {
        match linhas.proxima(&mut socket) {
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    println!("Recebido: {}", texto_seguro(&mensagem));
                }
                let resposta = eco(&mensagem);
                if let Err(e) = socket.write_all(&resposta) {
                    break format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem; {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = fechar_com_aviso(&socket, &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    println!("{desfecho}");
    drop(socket); // close(): aqui, em todos os caminhos, normal ou de erro
}
