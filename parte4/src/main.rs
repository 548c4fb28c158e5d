//! Parte 4, ponto de entrada: lê a linha de comando, abre o socket de escuta,
//! instala o tratador de Ctrl-C e entrega tudo ao servidor (`servidor.rs`).

mod desligamento;
mod logger;
mod registro;
mod servidor;

use clap::Parser;
use common::rede::{escutar_ou_sair, ArgsAjuda, ArgsServidor, MODELO_AJUDA};
use std::time::Duration;

/// Tamanho da fila de conexões completas que o kernel guarda enquanto o
/// servidor não chama `accept()`. Com uma thread por cliente o `accept()`
/// volta logo; a fila só absorve rajadas (128 é o que a biblioteca padrão usa).
const BACKLOG: i32 = 128;

/// Servidor Echo concorrente e robusto (Parte 4): uma thread por cliente,
/// logger dedicado, limite de clientes, tempo de inatividade e desligamento
/// gracioso com Ctrl-C.
#[derive(Parser)]
#[command(name = "parte4", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,

    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long, value_name = "MS", default_value_t = 0, hide_default_value = true)]
    atraso: u64,

    /// Máximo de clientes conectados ao mesmo tempo (padrão: 256); os demais recebem "Erro: servidor lotado"
    #[arg(long, value_name = "N", default_value_t = 256, hide_default_value = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_clientes: u32,

    /// Segundos sem mensagem até o servidor encerrar a conexão (padrão: 300)
    #[arg(long, value_name = "SEG", default_value_t = 300, hide_default_value = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    tempo_ocioso: u64,

    /// Não registra uma linha por mensagem (só conexões e desconexões)
    #[arg(short = 'q', long)]
    silencioso: bool,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args = Args::parse();
    let servidor = escutar_ou_sair("parte4", &args.servidor, BACKLOG);
    let desligando = match desligamento::instalar(&servidor) {
        Ok(bandeira) => bandeira,
        Err(e) => {
            eprintln!("parte4: {e:#}");
            std::process::exit(1);
        }
    };
    let config = servidor::Config {
        atraso: Duration::from_millis(args.atraso),
        max_clientes: args.max_clientes as usize,
        tempo_ocioso: Duration::from_secs(args.tempo_ocioso),
        silencioso: args.silencioso,
    };
    if let Err(e) = servidor::servir(servidor, config, desligando) {
        eprintln!("parte4: {e:#}");
        std::process::exit(1);
    }
}
