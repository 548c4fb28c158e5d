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
//! marcadores `<!-- cenario:ID -->` e `<!-- /cenario:ID -->`), e o da
//! comparação dos modelos a partir de `figuras/bancada.json` e
//! `figuras/escala.json`, as últimas execuções completas (ver `relato.rs`).

use anyhow::{bail, Result};
use apoio::servidores;
use clap::Parser;
use common::linha_de_comando::{faixa, faixa_decimal, ArgsAjuda, MODELO_AJUDA};
use common::texto::quantidade;
use ferramentas::cenario::execucao::{self, Foto, Plano, PlanoCliente};
use ferramentas::cenario::{analise, desenho, ordem, respostas};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod relato;

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

    /// Abre também uma conexão que envia meia linha e fecha (um cliente que morre no meio)
    #[arg(long)]
    meia_linha: bool,

    /// Envia Ctrl-C ao servidor S segundos depois do início (Linux e macOS)
    #[arg(long, value_name = "S", value_parser = faixa_decimal(0.0, 60.0))]
    ctrl_c: Option<f64>,

    /// Fotografa os sockets da porta com `ss` (Linux) S segundos depois do início (ex.: 1,5), ou no
    /// "fim"; repita para mais de uma foto: --ss 1 --ss fim
    #[arg(long, value_name = "S", action = clap::ArgAction::Append, value_parser = foto)]
    ss: Vec<Foto>,

    /// Também imprime a linha do tempo como um bloco Mermaid (gantt)
    #[arg(long)]
    mermaid: bool,

    /// Sem as respostas do fim, que medem e explicam (para prever antes de lê-las)
    #[arg(long, conflicts_with = "relato")]
    sem_respostas: bool,

    /// Usa outro programa como servidor (ex.: parte3); o padrão é o da parte
    #[arg(long, value_name = "PROGRAMA")]
    servidor: Option<String>,

    /// Refaz os blocos gerados deste arquivo de relato e sai
    #[arg(long, value_name = "ARQUIVO", conflicts_with_all = ["parte", "clientes", "backlog", "atraso", "servidor", "meia_linha", "ctrl_c", "ss"])]
    relato: Option<std::path::PathBuf>,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// `--ss 1,5,fim`: segundos (com vírgula ou ponto) ou `fim`.
fn foto(texto: &str) -> Result<Foto, String> {
    if texto.trim() == "fim" {
        return Ok(Foto::Fim);
    }
    faixa_decimal(0.0, 60.0)(texto)
        .map(|s| Foto::Em(Duration::from_secs_f64(s)))
        .map_err(|e| format!("{e}, ou fim"))
}

/// Um cenário a rodar.
#[derive(Clone, Debug, Default)]
struct Cenario {
    parte: u8,
    servidor: String,
    clientes: usize,
    backlog: Option<u32>,
    atraso: Option<u64>,
    meia_linha: bool,
    ctrl_c: Option<f64>,
    fotos: Vec<Foto>,
    /// Com `--sem-respostas`: os clientes também não explicam a espera do
    /// `connect()` (a causa é a pergunta do passo).
    sem_respostas: bool,
}

impl Cenario {
    /// O cenário padrão da parte: o servidor dela, 1 cliente na Parte 1 e 2 nas outras.
    fn da_parte(parte: u8) -> Cenario {
        let servidor = servidores::da_parte(parte).expect("o clap só aceita --parte de 1 a 4");
        Cenario {
            parte,
            servidor: servidor.binario.to_string(),
            clientes: if parte == 1 { 1 } else { 2 },
            ..Default::default()
        }
    }

    /// Quanto o cenário deve levar, para quem espera: o cliente 1 envia aos
    /// 0, 1 e 2 s, mas cada mensagem só depois da resposta à anterior, que
    /// leva o `--atraso`; sai aos 3 s ou depois da última resposta.
    fn quanto_demora(&self) -> String {
        if let Some(s) = self.ctrl_c {
            return format!("Ctrl-C no servidor a {} s", s.to_string().replace('.', ","));
        }
        let atraso = self.atraso.unwrap_or(0) as f64 / 1000.0;
        let ultima_resposta = (0..3).fold(0.0, |t: f64, k| t.max(k as f64) + atraso);
        let fim = ultima_resposta.max(3.0);
        format!("o cliente 1 fica cerca de {}", ferramentas::formato::duracao(fim))
    }

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
                        // Envia na hora e pede para sair 1 s depois; com a
                        // entrada vinda de um roteiro, o cliente só trata o
                        // `sair` depois de receber a resposta.
                        linhas: vec![
                            (Duration::ZERO, format!("olá, sou o cliente {i}")),
                            (segundos(1.0), "sair".into()),
                        ],
                    }
                }
            })
            .collect();
        Plano {
            servidor: self.servidor.clone(),
            args_servidor,
            clientes,
            // A conexão de teste chega depois do último cliente.
            meia_linha: self.meia_linha.then(|| INTERVALO_ENTRE_CLIENTES * self.clientes as u32),
            ctrl_c: self.ctrl_c.map(segundos),
            fotos: self.fotos.clone(),
            args_cliente: if self.sem_respostas {
                vec!["--sem-explicacoes".into()]
            } else {
                vec![]
            },
        }
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
        if self.meia_linha {
            c += " --meia-linha";
        }
        if let Some(s) = self.ctrl_c {
            c += &format!(" --ctrl-c {}", s.to_string().replace('.', ","));
        }
        for foto in &self.fotos {
            c += &format!(" --ss {}", desenho::quando_da_foto(foto));
        }
        if self.servidor != Cenario::da_parte(self.parte).servidor {
            c += &format!(" --servidor {}", self.servidor);
        }
        // O comando que o aluno rodou: copiado de volta, ainda sem as respostas.
        if self.sem_respostas {
            c += " --sem-respostas";
        }
        c
    }
}

/// O que um cenário produziu, já formatado.
struct Relatorio {
    transcricao: String,
    fotos: String,
    linha_do_tempo: String,
    respostas: respostas::Respostas,
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
        fotos: desenho::fotos(&resultado.fotos),
        linha_do_tempo: desenho::linha_do_tempo(&analise),
        respostas: respostas::respostas(&analise, resultado.servidor.codigo),
        mermaid: desenho::mermaid(&analise, &titulo),
        pids,
    })
}

fn main() {
    let args: Args = common::linha_de_comando::ler();
    let parar = Arc::new(AtomicBool::new(false));
    let marca = Arc::clone(&parar);
    // Ctrl-C: os filhos também o recebem do terminal; aqui só se avisa o
    // cenário para parar, encerrar e esperar cada processo que iniciou.
    if let Err(e) = ctrlc::set_handler(move || marca.store(true, Ordering::Relaxed)) {
        eprintln!("cenario: instalar o tratador de Ctrl-C: {e}");
    }
    let resultado = match &args.relato {
        Some(arquivo) => relato::atualizar(arquivo, &parar),
        None => mostrar(&args, &parar),
    };
    if let Err(e) = resultado {
        eprintln!("cenario: {e:#}");
        std::process::exit(if parar.load(Ordering::Relaxed) { 130 } else { 1 });
    }
}

fn mostrar(args: &Args, parar: &Arc<AtomicBool>) -> Result<()> {
    let parte = args.parte.expect("clap exige --parte sem --relato");
    let padrao = Cenario::da_parte(parte);
    let cenario = Cenario {
        servidor: args.servidor.clone().unwrap_or(padrao.servidor),
        clientes: args.clientes.map(usize::from).unwrap_or(padrao.clientes),
        backlog: args.backlog,
        atraso: args.atraso,
        meia_linha: args.meia_linha,
        ctrl_c: args.ctrl_c,
        fotos: args.ss.clone(),
        sem_respostas: args.sem_respostas,
        parte,
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
    println!("   rodando... ({})", cenario.quanto_demora());
    let relatorio = rodar(&cenario, parar)?;
    println!();
    println!(
        "== Transcrição (todos os processos, em ordem causal: ver \
         common/ferramentas/src/cenario/ordem.rs)"
    );
    print!("{}", relatorio.transcricao);
    if !relatorio.fotos.is_empty() {
        println!();
        print!("{}", relatorio.fotos);
    }
    println!();
    println!("== {}", relatorio.linha_do_tempo);
    if !args.sem_respostas {
        println!("== Respostas às perguntas da atividade (medidas)");
        for linha in &relatorio.respostas.por_cliente {
            println!("- {linha}");
        }
        for linha in relatorio.respostas.conclusoes(false) {
            println!("- {linha}");
        }
    }
    if args.mermaid {
        println!();
        print!("{}", relatorio.mermaid);
    }
    println!();
    println!("Processos iniciados e já encerrados (PID): {}", relatorio.pids);
    Ok(())
}
