//! Parte 2, ponto de entrada: lê a linha de comando e chama o servidor
//! (`servidor.rs`).

mod servidor;

use clap::Parser;
use common::linha_de_comando::{faixa, ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsServidor};
use std::time::Duration;

/// O tamanho padrão da fila do `listen()`, a das conexões completas que o
/// kernel guarda enquanto o servidor não chama `accept()`: 1, como o
/// `listen(1)` da disciplina. É um pedido ao kernel: o Linux guarda até
/// backlog + 1 conexões, ou seja, 2, e deixa sem resposta o SYN de quem não
/// cabe (o cliente o reenvia); o Windows recusa quem não cabe (RST).
const BACKLOG_PADRAO: i32 = 1;

/// Servidor Echo iterativo e bloqueante, instrumentado (Parte 2): horários,
/// tamanho da fila do listen() e atraso artificial por resposta.
#[derive(Parser)]
#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    /// Tamanho da fila do listen() (padrão: 1); o kernel completa até cerca de N+1 conexões sem accept()
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
    let atraso = Duration::from_millis(args.atraso);
    // Só volta se não conseguiu abrir o socket de escuta (porta em uso...).
    if let Err(e) = servidor::servir(&args.servidor, args.backlog, atraso) {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
