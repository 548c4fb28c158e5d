//! # Parte 2 — o mesmo servidor bloqueante, instrumentado para observação
//!
//! O servidor da Parte 1, sem mudar o modo de atender: um cliente de cada
//! vez. O que muda é só o que ele mostra e deixa ajustar, para provar a
//! serialização com dois clientes:
//! - cada linha do log tem a hora com milissegundos e diz de quem fala: o
//!   número do cliente (a ordem do `accept()`) e o seu endereço,
//!   `[cliente 2 127.0.0.1:60257]` (o `Cliente`, em `common/src/texto.rs`,
//!   porque as Partes 2 a 4 o escrevem igual);
//! - a linha do desfecho, que o laço da Parte 1 já devolve
//!   (`let desfecho = loop { ... }`), ganha um resumo: por quanto tempo o
//!   cliente foi atendido (do `accept()` até ele sair; a espera na fila não
//!   conta) e quantas mensagens enviou;
//! - `--backlog` escolhe o tamanho da fila do `listen()`;
//! - `--atraso` espera antes de cada resposta, simulando trabalho lento.
//!
//! Limitação que a Parte 3 resolve: o segundo cliente consegue se conectar
//! (o kernel completa a conexão e a deixa na fila do `listen()`), mas a
//! mensagem dele fica no buffer do socket até o primeiro cliente sair.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte2` (ou `just parte2`).
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo` nos dois, quase
//!    ao mesmo tempo; envie uma mensagem em cada.
//! 3. Só o primeiro recebe resposta. Quando ele digita `sair`, o servidor
//!    aceita o segundo em milissegundos e responde à mensagem que esperava.

use anyhow::Result;
use common::erros::{descrever, falhou};
use common::protocolo::{
    eco, erro_mensagem_grande, fechar_com_aviso, LeitorDeLinhas, Recebido, LIMITE_MENSAGEM,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::{agora, duracao_legivel};
use common::texto::{quantidade, texto_seguro, Cliente};
use socket2::{Domain, Socket, Type};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Abre o socket de escuta e atende clientes, um de cada vez, para sempre.
/// Só volta (com o erro) se não conseguir abrir o socket.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
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
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()` e devolve os tipos dela (`TcpStream`, `SocketAddr`).
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;

    let mut numero = 0;
    loop {
        println!("\n{} Aguardando conexão...", agora());
        let (conexao, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                println!("{} Erro no accept(): {}", agora(), descrever(&e));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        numero += 1;
        let cliente = Cliente { numero, endereco };
        atender_cliente(conexao, cliente, atraso);
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(mut conexao: TcpStream, cliente: Cliente, atraso: Duration) {
    println!("{} {cliente} Conectado", agora());
    let inicio = Instant::now();
    let mut mensagens = 0;
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
                    println!("{} {cliente} Recebido: {}", agora(), texto_seguro(&mensagem));
                }
                mensagens += 1;
                thread::sleep(atraso);
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
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    println!("{} {cliente} {desfecho} (atendido por {duracao}, {mensagens})", agora());
    // O Rust fecharia a conexão no fim da função de qualquer jeito; o drop só
    // deixa visível o close() do `servidor.py`.
    drop(conexao); // close(): aqui, em todos os caminhos, normal ou de erro
}
