//! `verificar`: confere um servidor Echo qualquer (o `servidor.py` de um
//! aluno, um em C ou Java, um dos nossos) por TCP de verdade e imprime um
//! boletim em português. A lógica está em `ferramentas::verificar`; aqui só
//! a linha de comando, a saída e o código de saída.
//!
//! Códigos de saída: 0, tudo o que a `--parte` exige passou (sem `--parte`,
//! o servidor foi alcançado); 1, uma verificação exigida falhou ou o servidor
//! não pôde ser alcançado; 2, erro de uso.

use clap::Parser;
use common::linha_de_comando::{faixa, ArgsAjuda, MODELO_AJUDA};
use common::rede::PORTA_PADRAO;
use ferramentas::verificar::{self, alvo, boletim, Pedido};
use std::io::Write;

/// Verifica um servidor Echo (de qualquer linguagem) por TCP e imprime um boletim
#[derive(Parser, Debug)]
#[command(
    name = "verificar",
    disable_help_flag = true,
    help_template = MODELO_AJUDA,
    after_help = "Exemplos:\n  verificar --iniciar \"python servidor.py {porta}\" --parte 3\n  \
                  verificar --iniciar \"python servidor.py\" --porta 6000 --json\n  \
                  verificar --porta 5000   (um servidor já rodando)"
)]
struct Args {
    /// Servidor já rodando: nome ou IP (padrão: localhost)
    #[arg(long, default_value = "localhost", hide_default_value = true)]
    host: String,

    /// Porta do servidor (padrão: 5000); com --iniciar sem {porta}, a porta em que o comando escuta
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true,
          value_parser = faixa(1u16, 65_535))]
    porta: u16,

    /// Inicia o servidor com este comando (pelo shell); {porta} vira uma porta livre
    #[arg(long, value_name = "CMD")]
    iniciar: Option<String>,

    /// Parte da atividade (1 a 4): quais verificações são exigidas para o código de saída 0
    #[arg(long, value_name = "N", value_parser = faixa(1u8, 4))]
    parte: Option<u8>,

    /// Imprime só um objeto JSON (para corrigir uma turma num laço)
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn main() {
    let args: Args = common::linha_de_comando::ler();
    // O servidor iniciado fica num grupo de processos próprio e não recebe o
    // Ctrl-C do terminal: o tratador o encerra antes de sair.
    let _ = ctrlc::set_handler(|| {
        alvo::encerrar_o_iniciado_agora();
        std::process::exit(130);
    });
    let pedido = Pedido {
        host: args.host.clone(),
        porta: args.porta,
        iniciar: args.iniciar.clone(),
        parte: args.parte,
    };
    let descricao =
        args.iniciar.clone().unwrap_or_else(|| common::rede::host_porta(&args.host, args.porta));
    if !args.json {
        print!("{}", boletim::cabecalho(&descricao, args.iniciar.is_some(), args.parte));
        let _ = std::io::stdout().flush();
    }
    let alvo = match verificar::preparar_alvo(&pedido) {
        Ok(alvo) => alvo,
        Err(e) => {
            if args.json {
                let erro = format!("{e:#}");
                println!("{}", boletim::json_de_erro(&descricao, args.parte, &erro));
            }
            eprintln!("verificar: {e:#}");
            std::process::exit(1);
        }
    };
    let relatorio = verificar::verificar(&pedido, alvo, |resultado| {
        if !args.json {
            print!("{}", boletim::bloco(resultado));
            let _ = std::io::stdout().flush();
        }
    });
    if args.json {
        println!("{}", boletim::json(&relatorio));
    } else {
        print!("{}", boletim::rodape(&relatorio));
    }
    std::process::exit(if relatorio.aprovado() { 0 } else { 1 });
}
