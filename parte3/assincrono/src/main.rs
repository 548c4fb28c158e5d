//! Parte 3 (async), ponto de entrada: lê a linha de comando e chama o servidor.

mod servidor;

use common::linha_de_comando::{ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsParte3, ArgsServidor};

/// Servidor Echo concorrente com async/await e tokio, uma tarefa por cliente (Parte 3, async).
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

// Como no asyncio, todas as tarefas numa thread só (o laço de eventos).
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Args = ler();
    definir_silencioso(&args.servidor);
    let _ = rlimit::increase_nofile_limit(u64::MAX); // um descritor por conexão: o máximo
    if let Err(e) =
        servidor::servir(&args.servidor, args.parte3.backlog, args.parte3.atraso()).await
    {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
