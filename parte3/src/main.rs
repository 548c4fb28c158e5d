//! Parte 3, ponto de entrada: lê a linha de comando e chama o servidor
//! (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::linha_de_comando::{faixa, ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsServidor};
use std::time::Duration;

/// Tamanho padrão da fila de conexões completas que o kernel guarda enquanto
/// o servidor não chama `accept()`. Com uma thread por cliente o `accept()`
/// volta logo, e a fila só absorve rajadas: 128, o que a biblioteca padrão pede.
const BACKLOG_PADRAO: i32 = 128;

/// Servidor Echo concorrente, uma thread por cliente (Parte 3).
#[derive(Parser)]
#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    /// Tamanho da fila do listen() (padrão: 128); o kernel completa até cerca de N+1 conexões sem accept()
    #[arg(long, value_name = "N", default_value_t = BACKLOG_PADRAO, hide_default_value = true,
          value_parser = faixa(0i32, 65_535))]
    backlog: i32,

    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long, value_name = "MS", default_value_t = 0, hide_default_value = true,
          value_parser = faixa(0u64, 3_600_000))]
    atraso: u64,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args: Args = ler();
    definir_silencioso(&args.servidor);
    // NOVO: cada conexão ocupa um descritor de arquivo, e o limite inicial
    // do processo (`ulimit -n`) costuma ser 1024; sobe até o máximo que o
    // sistema permite. (No Windows não há esse limite por processo, e a
    // chamada não faz nada.)
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let atraso = Duration::from_millis(args.atraso);
    // Só volta se não conseguiu abrir o socket de escuta (porta em uso...).
    if let Err(e) = servidor::servir(&args.servidor, args.backlog, atraso) {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
