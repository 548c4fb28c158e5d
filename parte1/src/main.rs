//! Parte 1, ponto de entrada: lê a linha de comando, abre o socket de escuta
//! e entrega-o ao servidor (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::rede::{escutar_ou_sair, ArgsAjuda, ArgsServidor, MODELO_AJUDA};

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`: 1, como o `listen(1)` da disciplina.
const BACKLOG: i32 = 1;

/// Servidor Echo iterativo e bloqueante (Parte 1): atende um cliente por vez.
#[derive(Parser)]
#[command(name = "parte1", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args = Args::parse();
    let servidor = escutar_ou_sair("parte1", &args.servidor, BACKLOG);
    servidor::servir(servidor);
}
