//! Parte 4, ponto de entrada: lê a linha de comando e chama o servidor
//! (`servidor.rs`, que diz a ordem de leitura dos outros arquivos).

// NOVO: um arquivo para cada passo da Parte 4 que pede um (a ordem dos
// passos está no cabeçalho de `servidor.rs`).
mod admissao;
mod desligamento;
mod registro;
mod servidor;

use clap::Parser;
use common::linha_de_comando::{faixa, ler, ArgsAjuda, MODELO_AJUDA};
use common::rede::{definir_silencioso, ArgsServidor};
use std::time::Duration;

/// Tamanho padrão da fila de conexões completas que o kernel guarda enquanto
/// o servidor não chama `accept()`. Com uma thread por cliente o `accept()`
/// volta logo, e a fila só absorve rajadas: 128, o que a biblioteca padrão pede.
const BACKLOG_PADRAO: i32 = 128;

/// NOVO (passo 3, admissão): clientes atendidos ao mesmo tempo, no máximo
/// (`--max-clientes`). Cada um custa uma thread (uma pilha, uma entrada na
/// tabela do escalonador) e um descritor de arquivo (o socket).
const MAX_CLIENTES_PADRAO: usize = 256;

/// NOVO (passo 6, inatividade): segundos sem receber nada, ou sem conseguir
/// enviar (o cliente não lê), até o servidor encerrar a conexão
/// (`--tempo-ocioso`): um cliente esquecido não ocupa uma thread (e uma
/// vaga) para sempre.
const TEMPO_OCIOSO_PADRAO: u64 = 300;

/// Servidor Echo concorrente e robusto (Parte 4): uma thread por cliente,
/// log por fila, limite de clientes, tempo de inatividade e desligamento
/// gracioso com Ctrl-C.
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

    /// Máximo de clientes conectados ao mesmo tempo (padrão: 256); os demais recebem "Erro: servidor lotado"
    #[arg(long, value_name = "N", default_value_t = MAX_CLIENTES_PADRAO, hide_default_value = true,
          value_parser = faixa(1usize, 100_000))]
    max_clientes: usize,

    /// Segundos sem receber nada (ou sem o cliente ler as respostas) até o servidor encerrar a conexão (padrão: 300)
    #[arg(long, value_name = "SEG", default_value_t = TEMPO_OCIOSO_PADRAO, hide_default_value = true,
          value_parser = faixa(1u64, 86_400))]
    tempo_ocioso: u64,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args: Args = ler();
    definir_silencioso(&args.servidor);
    // Como na Parte 3: cada conexão ocupa um descritor de arquivo, e o
    // limite inicial do processo (`ulimit -n`) costuma ser 1024; sobe até o
    // máximo que o sistema permite.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let atraso = Duration::from_millis(args.atraso);
    let (maximo, ocioso) = (args.max_clientes, Duration::from_secs(args.tempo_ocioso));
    // Volta depois do desligamento gracioso, ou com o erro se não conseguiu
    // abrir o socket de escuta (porta em uso...).
    if let Err(e) = servidor::servir(&args.servidor, args.backlog, atraso, maximo, ocioso) {
        eprintln!("{}: {e:#}", env!("CARGO_BIN_NAME"));
        std::process::exit(1);
    }
}
