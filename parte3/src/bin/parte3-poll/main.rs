//! Parte 3 (poll), ponto de entrada: lê a linha de comando, abre o socket de escuta
//! e entrega-o ao servidor (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::rede::{escutar_ou_sair, ArgsAjuda, ArgsServidor, MODELO_AJUDA};
use std::time::Duration;

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`. Com uma thread por cliente o `accept()`
/// volta logo; a fila só absorve rajadas (128 é o que a biblioteca padrão usa).
const BACKLOG: i32 = 128;

/// Servidor Echo concorrente com uma thread só e `poll` (Parte 3, multiplexação)
#[derive(Parser)]
#[command(name = "parte3-poll", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long, value_name = "MS", default_value_t = 0, hide_default_value = true)]
    atraso: u64,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args = Args::parse();
    let servidor = escutar_ou_sair("parte3-poll", &args.servidor, BACKLOG);
    servidor::servir(servidor, Duration::from_millis(args.atraso));
}
