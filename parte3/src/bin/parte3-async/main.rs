//! Parte 3 (async), ponto de entrada: lê a linha de comando, abre o socket de escuta
//! e entrega-o ao servidor (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::rede::{escutar_ou_sair, ArgsAjuda, ArgsServidor, MODELO_AJUDA};
use std::time::Duration;

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`. Com uma thread por cliente o `accept()`
/// volta logo; a fila só absorve rajadas (128 é o que a biblioteca padrão usa).
const BACKLOG: i32 = 128;

/// Servidor Echo concorrente com async/await e tokio, uma tarefa por cliente (Parte 3, async)
#[derive(Parser)]
#[command(name = "parte3-async", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long, value_name = "MS", default_value_t = 0, hide_default_value = true)]
    atraso: u64,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let servidor = escutar_ou_sair("parte3-async", &args.servidor, BACKLOG);
    // O socket de escuta é criado como nas outras partes (socket2, bloqueante)
    // e entregue ao tokio, que o quer não bloqueante.
    let servidor = match servidor
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(servidor))
    {
        Ok(servidor) => servidor,
        Err(e) => {
            eprintln!(
                "parte3-async: registrar o socket no tokio: {}",
                common::erros::descrever(&e)
            );
            std::process::exit(1);
        }
    };
    servidor::servir(servidor, Duration::from_millis(args.atraso)).await;
}
