//! `verificar`: confere um servidor Echo qualquer (o `servidor.py` de um
//! aluno, um em C ou Java, um dos nossos) por TCP de verdade e imprime um
//! boletim em português; `verificar turma PASTA` confere uma turma inteira.
//! A lógica está em `ferramentas::verificar`; aqui só a linha de comando, a
//! saída e o código de saída.
//!
//! Códigos de saída: 0, a parte pedida cumpre o que a atividade pede (sem
//! `--parte`, o servidor foi alcançado; na turma, a tabela foi escrita); 1,
//! a parte não cumpre, ou o servidor não pôde ser alcançado; 2, erro de uso.

use clap::{Parser, Subcommand};
use common::linha_de_comando::{faixa, ArgsAjuda};
use common::rede::PORTA_PADRAO;
use ferramentas::verificar::boletim::{self, Dicas};
use ferramentas::verificar::{self, alvo, diagnostico, turma, Pedido};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Verifica um servidor Echo (de qualquer linguagem) por TCP e imprime um boletim
#[derive(Parser, Debug)]
#[command(
    name = "verificar",
    disable_help_flag = true,
    disable_help_subcommand = true,
    help_template = "{about}\n\nUso: {bin} [OPÇÕES]\n     {bin} turma PASTA [OPÇÕES]\n\nOpções:\n{options}{after-help}",
    after_help = "Exemplos:\n  verificar --iniciar \"python servidor.py {porta}\" --parte 3\n  \
                  verificar --iniciar \"python servidor.py\" --porta 5000 --json\n  \
                  verificar --porta 5000   (um servidor já rodando)\n  \
                  verificar turma entregas --parte 3   (uma subpasta ou um .py por aluno;\n      \
                  o comando padrão é \"python {arquivo} {porta}\"; a tabela e os boletins vão\n      \
                  para entregas-verificar/)"
)]
struct Args {
    #[command(subcommand)]
    turma: Option<Comando>,

    /// Servidor já rodando: nome ou IP (padrão: localhost)
    #[arg(long, global = true, default_value = "localhost", hide_default_value = true)]
    host: String,

    /// Porta do servidor (padrão: 5000); com --iniciar sem {porta}, a porta em que o comando escuta
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true,
          value_parser = faixa(1u16, 65_535))]
    porta: u16,

    /// Inicia o servidor com este comando (pelo shell); {porta} vira uma porta livre; na turma, {arquivo} vira o arquivo do aluno
    #[arg(long, global = true, value_name = "CMD")]
    iniciar: Option<String>,

    /// Parte da atividade (1 a 4): o veredito é o dessa parte (código de saída 0 se ela cumpre o que a atividade pede)
    #[arg(long, global = true, value_name = "N", value_parser = faixa(1u8, 4))]
    parte: Option<u8>,

    /// Imprime só um objeto JSON
    #[arg(long)]
    json: bool,

    /// Mostra o observado e esconde o porquê, o que mudar e as causas nomeadas (para exercícios de achar o erro; no --json, os diagnósticos ficam só com o observado)
    #[arg(long)]
    sem_dicas: bool,

    /// Na turma: quantas entregas rodam ao mesmo tempo (padrão: 3)
    #[arg(long, global = true, value_name = "N", default_value_t = 3, hide_default_value = true,
          value_parser = faixa(1usize, 16))]
    simultaneas: usize,

    /// Na turma: onde gravar a tabela e os boletins (padrão: PASTA-verificar, ao lado da pasta)
    #[arg(long, global = true, value_name = "PASTA")]
    saida: Option<PathBuf>,

    /// Na turma: tempo máximo de cada entrega, em segundos (padrão: 150)
    #[arg(long, global = true, value_name = "SEG", default_value_t = 150, hide_default_value = true,
          value_parser = faixa(10u64, 3600))]
    limite: u64,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

#[derive(Subcommand, Debug)]
enum Comando {
    /// Verifica uma turma inteira: uma subpasta ou um arquivo .py por aluno
    Turma {
        /// A pasta com as entregas
        #[arg(value_name = "PASTA")]
        pasta: PathBuf,
    },
}

fn main() {
    let args: Args = common::linha_de_comando::ler();
    // Os servidores iniciados ficam num grupo de processos próprio e não
    // recebem o Ctrl-C do terminal: o tratador os encerra antes de sair.
    let _ = ctrlc::set_handler(|| {
        alvo::encerrar_os_iniciados_agora();
        std::process::exit(130);
    });
    if let Some(Comando::Turma { pasta }) = &args.turma {
        std::process::exit(rodar_turma(&args, pasta));
    }
    let pedido = Pedido {
        host: args.host.clone(),
        porta: args.porta,
        iniciar: args.iniciar.clone(),
        parte: args.parte,
        pasta: None,
        limite: None,
    };
    let descricao =
        args.iniciar.clone().unwrap_or_else(|| common::rede::host_porta(&args.host, args.porta));
    let dicas = if args.sem_dicas { Dicas::Esconder } else { Dicas::Mostrar };
    if !args.json {
        print!("{}", boletim::cabecalho(&descricao, args.iniciar.is_some(), args.parte));
        if dicas == Dicas::Esconder {
            print!("{}", boletim::SEM_DICAS);
        }
        let _ = std::io::stdout().flush();
    }
    let alvo = match verificar::preparar_alvo(&pedido) {
        Ok(alvo) => alvo,
        Err(e) => {
            let mut erro = format!("{e:#}");
            if dicas == Dicas::Esconder {
                erro = diagnostico::sem_a_causa(&erro);
            }
            if args.json {
                println!("{}", boletim::json_de_erro(&descricao, args.parte, &erro, dicas));
            }
            eprintln!("verificar: {erro}");
            std::process::exit(1);
        }
    };
    let mut nivel_anterior = None;
    let relatorio = verificar::verificar(&pedido, alvo, |resultado| {
        if !args.json {
            if nivel_anterior != Some(resultado.nivel) {
                print!("{}", boletim::secao(resultado.nivel, args.parte));
                nivel_anterior = Some(resultado.nivel);
            }
            print!("{}", boletim::bloco(resultado, dicas));
            let _ = std::io::stdout().flush();
        }
    });
    if args.json {
        println!("{}", boletim::json(&relatorio, dicas));
    } else {
        print!("{}", boletim::rodape(&relatorio, dicas));
    }
    std::process::exit(if relatorio.cumpre() == Some(false) { 1 } else { 0 });
}

/// `verificar turma PASTA`: o progresso, uma linha por aluno, e a tabela.
fn rodar_turma(args: &Args, pasta: &std::path::Path) -> i32 {
    let dados = turma::Turma {
        pasta: pasta.to_path_buf(),
        comando: args.iniciar.clone().unwrap_or_else(turma::comando_padrao),
        parte: args.parte,
        host: args.host.clone(),
        simultaneas: args.simultaneas,
        saida: args.saida.clone().unwrap_or_else(|| turma::saida_padrao(pasta)),
        limite: Duration::from_secs(args.limite),
    };
    println!(
        "Turma {}: {} ({} por vez; as de porta fixa no fim, uma por vez)",
        pasta.display(),
        dados.comando,
        dados.simultaneas
    );
    match turma::rodar(&dados, |linha| {
        println!("{linha}");
        let _ = std::io::stdout().flush();
    }) {
        Ok(tabela) => {
            println!("\n{tabela}");
            println!(
                "Tabela: {} e {}; boletins em {}",
                dados.saida.join("turma.md").display(),
                dados.saida.join("turma.csv").display(),
                dados.saida.join("boletins").display()
            );
            0
        }
        Err(e) => {
            eprintln!("verificar: {e:#}");
            1
        }
    }
}
