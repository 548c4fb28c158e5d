//! # Parte 1 — servidor Echo iterativo e bloqueante
//!
//! O servidor da disciplina, em Rust: aceita um cliente, conversa com ele até
//! ele sair e só então volta a `accept()`. Toda chamada bloqueia: `accept()`
//! até chegar um cliente, a leitura até chegar uma mensagem.
//!
//! O que muda em relação ao `servidor.py`: as mensagens terminam em `\n`
//! (TCP não tem fronteiras de mensagem; ver `common::protocolo`), e nenhum
//! erro de um cliente derruba o servidor.
//!
//! As chamadas de sistema, na ordem em que acontecem: `socket()`, `bind()`
//! e `listen()` em `common::rede::escutar`; `accept()` em [`servir`];
//! `read()` e `write()` dentro de `conexao.enviar_e_receber()`; `close()`
//! quando a conexão sai de escopo, no fim de [`atender_cliente`].
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

use common::erros::descrever;
use common::protocolo::{erro_mensagem_grande, Conexao, Recebido, LIMITE_MENSAGEM};
use common::rede::silencioso;
use common::texto::texto_seguro;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Atende clientes, um de cada vez, para sempre.
pub fn servir(escuta: TcpListener) {
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
fn atender_cliente(socket: TcpStream, endereco: SocketAddr) {
    println!("Conectado com {endereco}");
    let mut conexao = Conexao::nova(socket);
    let desfecho = loop {
        // A escrita (`write`) dos ecos preparados acontece aqui, logo antes
        // de a leitura (`read`) bloquear esperando a próxima mensagem.
        match conexao.enviar_e_receber() {
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    println!("Recebido: {}", texto_seguro(&mensagem));
                }
                conexao.preparar_eco(&mensagem);
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem ({bytes} bytes descartados)");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = conexao.encerrar(&erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    println!("{desfecho}");
    // `conexao` sai de escopo aqui: o socket é fechado em todos os caminhos.
}
