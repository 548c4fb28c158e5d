//! Parte 1, ponto de entrada: lê a linha de comando, abre o socket de escuta
//! e entrega-o ao servidor (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::linha_de_comando::{ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{escutar_ou_sair, ArgsServidor};

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`: 1, como o `listen(1)` da disciplina.
const BACKLOG: i32 = 1;

/// Servidor Echo iterativo e bloqueante (Parte 1): atende um cliente por vez.
#[derive(Parser)]
#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args: Args = ler();
    let escuta = escutar_ou_sair(env!("CARGO_BIN_NAME"), &args.servidor, BACKLOG);
    servidor::servir(escuta);
}
