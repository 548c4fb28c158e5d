//! `cenario`: roda num terminal só o experimento da atividade, com processos
//! de verdade (o servidor da parte escolhida e K clientes), e mostra a
//! transcrição intercalada, a linha do tempo e as respostas medidas.
//!
//! O roteiro reproduz a atividade: o cliente 1 conecta, envia mensagens com
//! pausas e fica cerca de 3 s; o cliente 2 começa 0,2 s depois, envia a sua
//! mensagem na hora e, 1 s depois (se já tiver a resposta), sai; os demais,
//! de 0,2 em 0,2 s, fazem o mesmo.
//!
//! `cenario --relato RELATO.md` refaz os blocos gerados do relato (entre os
//! marcadores `<!-- cenario:ID -->` e `<!-- /cenario:ID -->`).

mod analise;
mod desenho;
mod execucao;
mod ordem;

use anyhow::{bail, Result};
use clap::Parser;
use common::linha_de_comando::{faixa, ArgsAjuda, MODELO_AJUDA};
use common::texto::quantidade;
use execucao::{Plano, PlanoCliente};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Intervalo entre o início de um cliente e o do seguinte.
const INTERVALO_ENTRE_CLIENTES: Duration = Duration::from_millis(200);

/// Roda o experimento da atividade (servidor + clientes, processos de verdade) e mostra o que aconteceu
#[derive(Parser, Debug)]
#[command(name = "cenario", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Parte cujo servidor será usado (1 a 4)
    #[arg(long, value_parser = faixa(1u8, 4), required_unless_present = "relato")]
    parte: Option<u8>,

    /// Quantos clientes (padrão: 1 na Parte 1, 2 nas outras)
    #[arg(long, value_name = "K", value_parser = faixa(1u16, 200))]
    clientes: Option<u16>,

    /// Repassado ao servidor (Partes 2 a 4): tamanho da fila do listen()
    #[arg(long, value_name = "N", value_parser = faixa(0u32, 65_535))]
    backlog: Option<u32>,

    /// Repassado ao servidor (Partes 2 a 4): espera antes de cada resposta
    #[arg(long, value_name = "MS", value_parser = faixa(0u64, 60_000))]
    atraso: Option<u64>,

    /// Também imprime a linha do tempo como um bloco Mermaid (gantt)
    #[arg(long)]
    mermaid: bool,

    /// Usa outro programa como servidor (ex.: parte3); o padrão é o da parte
    #[arg(long, value_name = "PROGRAMA")]
    servidor: Option<String>,

    /// Refaz os blocos gerados deste arquivo de relato e sai
    #[arg(long, value_name = "ARQUIVO", conflicts_with_all = ["parte", "clientes", "backlog", "atraso", "servidor"])]
    relato: Option<std::path::PathBuf>,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Um cenário a rodar.
#[derive(Clone, Debug)]
struct Cenario {
    parte: u8,
    servidor: String,
    clientes: usize,
    backlog: Option<u32>,
    atraso: Option<u64>,
}

impl Cenario {
    fn plano(&self) -> Plano {
        let mut args_servidor = Vec::new();
        if let Some(b) = self.backlog {
            args_servidor.extend(["--backlog".to_string(), b.to_string()]);
        }
        if let Some(a) = self.atraso {
            args_servidor.extend(["--atraso".to_string(), a.to_string()]);
        }
        let segundos = |s: f64| Duration::from_secs_f64(s);
        let clientes = (1..=self.clientes)
            .map(|i| {
                if i == 1 {
                    PlanoCliente {
                        inicio: Duration::ZERO,
                        linhas: vec![
                            (segundos(0.0), "olá, sou o cliente 1".into()),
                            (segundos(1.0), "segunda mensagem do cliente 1".into()),
                            (segundos(2.0), "terceira mensagem do cliente 1".into()),
                            (segundos(3.0), "sair".into()),
                        ],
                    }
                } else {
                    PlanoCliente {
                        inicio: INTERVALO_ENTRE_CLIENTES * (i as u32 - 1),
                        // Envia na hora e pede para sair 1 s depois; o cliente
                        // só lê o `sair` depois de receber a resposta.
                        linhas: vec![
                            (Duration::ZERO, format!("olá, sou o cliente {i}")),
                            (segundos(1.0), "sair".into()),
                        ],
                    }
                }
            })
            .collect();
        Plano { servidor: self.servidor.clone(), args_servidor, clientes }
    }

    /// O comando que reproduz este cenário.
    fn comando(&self) -> String {
        let mut c = format!("cargo run --bin cenario -- --parte {}", self.parte);
        let padrao = if self.parte == 1 { 1 } else { 2 };
        if self.clientes != padrao {
            c += &format!(" --clientes {}", self.clientes);
        }
        if let Some(b) = self.backlog {
            c += &format!(" --backlog {b}");
        }
        if let Some(a) = self.atraso {
            c += &format!(" --atraso {a}");
        }
        if self.servidor != format!("parte{}", self.parte) {
            c += &format!(" --servidor {}", self.servidor);
        }
        c
    }
}

/// O que um cenário produziu, já formatado.
struct Relatorio {
    transcricao: String,
    linha_do_tempo: String,
    respostas: Vec<String>,
    mermaid: String,
    pids: String,
}

fn rodar(cenario: &Cenario, parar: &Arc<AtomicBool>) -> Result<Relatorio> {
    let resultado = execucao::executar(&cenario.plano(), Arc::clone(parar))?;
    let eventos = ordem::ordenar(&resultado);
    let analise = analise::analisar(&resultado)?;
    let pids = std::iter::once(format!("servidor {}", analise.servidor.pid))
        .chain(analise.clientes.iter().map(|c| format!("cliente {} {}", c.numero, c.pid)))
        .collect::<Vec<_>>()
        .join(", ");
    let titulo = format!(
        "{}: {}",
        cenario.servidor,
        quantidade(cenario.clientes as u64, "cliente", "clientes")
    );
    Ok(Relatorio {
        transcricao: desenho::transcricao(&eventos),
        linha_do_tempo: desenho::linha_do_tempo(&analise),
        respostas: desenho::respostas(&analise),
        mermaid: desenho::mermaid(&analise, &titulo),
        pids,
    })
}

fn main() {
    let args: Args = common::linha_de_comando::ler();
    let parar = Arc::new(AtomicBool::new(false));
    let bandeira = Arc::clone(&parar);
    // Ctrl-C: os filhos também o recebem do terminal; aqui só se avisa o
    // cenário para parar, encerrar e esperar cada processo que iniciou.
    if let Err(e) = ctrlc::set_handler(move || bandeira.store(true, Ordering::SeqCst)) {
        eprintln!("cenario: instalar o tratador de Ctrl-C: {e}");
    }
    let resultado = match &args.relato {
        Some(arquivo) => atualizar_relato(arquivo, &parar),
        None => mostrar(&args, &parar),
    };
    if let Err(e) = resultado {
        eprintln!("cenario: {e:#}");
        std::process::exit(if parar.load(Ordering::SeqCst) { 130 } else { 1 });
    }
}

fn mostrar(args: &Args, parar: &Arc<AtomicBool>) -> Result<()> {
    let parte = args.parte.expect("clap exige --parte sem --relato");
    let cenario = Cenario {
        parte,
        servidor: args.servidor.clone().unwrap_or_else(|| format!("parte{parte}")),
        clientes: args.clientes.map(usize::from).unwrap_or(if parte == 1 { 1 } else { 2 }),
        backlog: args.backlog,
        atraso: args.atraso,
    };
    if cenario.backlog.is_some() && parte == 1 {
        bail!("--backlog não existe no servidor da Parte 1 (a fila dele é fixa: listen(1))");
    }
    if cenario.atraso.is_some() && parte == 1 {
        bail!("--atraso não existe no servidor da Parte 1");
    }
    println!(
        "== Cenário: {} ({}) — {}",
        cenario.servidor,
        quantidade(cenario.clientes as u64, "cliente", "clientes"),
        cenario.comando()
    );
    println!("   rodando... (o cliente 1 fica cerca de 3 s)");
    let relatorio = rodar(&cenario, parar)?;
    println!();
    println!("== Transcrição (todos os processos, em ordem causal: ver ordem.rs)");
    print!("{}", relatorio.transcricao);
    println!();
    println!("== {}", relatorio.linha_do_tempo);
    println!("== Respostas às perguntas da atividade (medidas)");
    for linha in &relatorio.respostas {
        println!("- {linha}");
    }
    if args.mermaid {
        println!();
        print!("{}", relatorio.mermaid);
    }
    println!();
    println!("Processos iniciados e já encerrados (PID): {}", relatorio.pids);
    Ok(())
}

/// Os cenários do relato: identificador do bloco e o cenário.
fn cenarios_do_relato() -> Vec<(&'static str, Cenario)> {
    let cenario = |parte: u8, clientes: usize, backlog: Option<u32>| Cenario {
        parte,
        servidor: format!("parte{parte}"),
        clientes,
        backlog,
        atraso: None,
    };
    vec![
        ("parte1", cenario(1, 1, None)),
        ("parte2", cenario(2, 2, None)),
        ("fila", cenario(2, 4, Some(1))),
        ("parte3", cenario(3, 2, None)),
        ("parte4", cenario(4, 2, None)),
    ]
}

fn bloco(cenario: &Cenario, relatorio: &Relatorio) -> String {
    let mut texto = format!("Gerado por `{}`:\n\n", cenario.comando());
    texto += &format!("```text\n{}```\n\n", relatorio.transcricao);
    texto += &format!("```text\n{}```\n\n", relatorio.linha_do_tempo);
    for linha in &relatorio.respostas {
        texto += &format!("- {linha}\n");
    }
    texto
}

fn atualizar_relato(arquivo: &std::path::Path, parar: &Arc<AtomicBool>) -> Result<()> {
    let mut blocos = Vec::new();
    let mut mermaids = Vec::new();
    for (id, cenario) in cenarios_do_relato() {
        eprintln!("cenario: rodando {} ({})...", id, cenario.comando());
        let relatorio = rodar(&cenario, parar)?;
        blocos.push((format!("cenario:{id}"), bloco(&cenario, &relatorio)));
        if id == "parte2" || id == "parte4" {
            mermaids.push(relatorio.mermaid);
        }
    }
    // As linhas do tempo das Partes 2 e 4 lado a lado (tabela HTML).
    let lado_a_lado = format!(
        "<table>\n<tr><th>Parte 2 (serial)</th><th>Parte 4 (concorrente)</th></tr>\n<tr>\n<td>\n\n{}\n</td>\n<td>\n\n{}\n</td>\n</tr>\n</table>\n",
        mermaids[0], mermaids[1]
    );
    blocos.push(("cenario:linhas-do-tempo".to_string(), lado_a_lado));
    ferramentas::relato::atualizar(arquivo, &blocos)?;
    eprintln!("cenario: {} atualizado", arquivo.display());
    Ok(())
}
