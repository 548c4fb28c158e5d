//! Parte 3 (poll), ponto de entrada: lê a linha de comando e chama o servidor (`servidor.rs`).

mod conexao;
mod servidor;

use common::linha_de_comando::{ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsParte3, ArgsServidor};

/// Servidor Echo concorrente com uma thread só e poll (Parte 3, multiplexação).
#[derive(clap::Parser)]
#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,
    #[command(flatten)]
    parte3: ArgsParte3,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args: Args = ler();
    definir_silencioso(&args.servidor);
    let _ = rlimit::increase_nofile_limit(u64::MAX); // um descritor por conexão: o máximo
    if let Err(e) = servidor::servir(&args.servidor, args.parte3.backlog, args.parte3.atraso()) {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
