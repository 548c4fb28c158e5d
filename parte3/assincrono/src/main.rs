//! Parte 3 (async), ponto de entrada: lê a linha de comando e chama o servidor.

mod servidor;

use clap::Parser;
use common::linha_de_comando::{faixa, ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsServidor};

/// Servidor Echo concorrente com async/await e tokio, uma tarefa por cliente (Parte 3, async).
#[derive(Parser)]
#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,
    /// Tamanho da fila do listen() (padrão: 128); o kernel completa até cerca de N+1 conexões sem accept()
    #[arg(long, value_name = "N", default_value_t = 128, hide_default_value = true,
          value_parser = faixa(0i32, 65_535))]
    backlog: i32,
    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long, value_name = "MS", default_value_t = 0, hide_default_value = true,
          value_parser = faixa(0u64, 3_600_000))]
    atraso: u64,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

// Como no asyncio, todas as tarefas numa thread só (o laço de eventos).
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Args = ler();
    definir_silencioso(&args.servidor);
    let _ = rlimit::increase_nofile_limit(u64::MAX); // um descritor por conexão: o máximo
    let atraso = std::time::Duration::from_millis(args.atraso);
    if let Err(e) = servidor::servir(&args.servidor, args.backlog, atraso).await {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
