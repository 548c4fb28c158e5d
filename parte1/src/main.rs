//! Parte 1, ponto de entrada: lê a linha de comando e chama o servidor
//! (`servidor.rs`), onde está tudo o que o `servidor.py` faz.

mod servidor;

use clap::Parser;
use common::linha_de_comando::{ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsServidor};

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
    definir_silencioso(&args.servidor);
    // Só volta se não conseguiu abrir o socket de escuta (porta em uso...).
    if let Err(e) = servidor::servir(&args.servidor) {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
