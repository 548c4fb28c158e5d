//! `bancada`: mede os servidores das partes com o `carga`, ao lado de dois
//! ecos de referência sem nada de didático (`eco-mio` e `eco-tokio`), e
//! escreve uma tabela Markdown e um gráfico SVG.
//!
//! Cada medida inicia o servidor do zero (porta 0, banner) e roda o `carga`
//! contra ele. Numa rodada, os servidores comparados num mesmo ponto se
//! alternam, e a ordem gira de uma rodada para outra: uma mudança lenta da
//! máquina (outro processo, temperatura) afeta todos igualmente. Cada número
//! da tabela é a mediana das rodadas; cada razão entre dois servidores é a
//! mediana das razões rodada a rodada (os dois medidos lado a lado), com o
//! menor e o maior valor entre as rodadas.
//!
//! A tabela (`bancada.md`), o gráfico (`bancada.svg`) e os mesmos números
//! em JSON (`bancada.json`, que o relato lê) saem de um resumo só
//! ([`resumo`]). Sem `--gravar`, vão para `target/bancada/`: medir nunca
//! reescreve o relato nem `figuras/` por acidente.

mod grafico;
mod medida;
mod resumo;
mod tabela;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::linha_de_comando::{ArgsAjuda, MODELO_AJUDA};
use common::texto::quantidade;
use ferramentas::figuras::{self, Execucao};
use ferramentas::formato::inteiro;
use ferramentas::medidos::{self, Medido, Opcoes};
use medida::{Carga, Medida, Tempos};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Mede os servidores das partes e dois ecos de referência, e escreve tabela e gráfico
#[derive(Parser, Debug)]
#[command(name = "bancada", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta (uma rodada, 1 s por ponto): menos de 2 minutos de medida, para conferir algo
    #[arg(long)]
    rapido: bool,
    /// Rodadas; cada ponto é a mediana delas (padrão: 5)
    #[arg(long, default_value_t = 5, hide_default_value = true, value_parser = common::linha_de_comando::faixa(1u32, 50))]
    rodadas: u32,
    /// Segundos medidos por ponto, depois de 0,5 s de aquecimento (padrão: 2)
    #[arg(long, value_name = "S", default_value_t = 2.0, hide_default_value = true,
          value_parser = common::linha_de_comando::faixa_decimal(0.2, 60.0))]
    duracao: f64,
    /// Pasta dos resultados (padrão: target/bancada; com --gravar, figuras)
    #[arg(long, value_name = "PASTA")]
    saida: Option<PathBuf>,
    /// Grava os resultados em figuras/ (só numa execução completa)
    #[arg(long)]
    gravar: bool,
    /// Só para os testes: uma rodada curtíssima, poucos pontos
    #[arg(long, hide = true)]
    fumaca: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Os números de clientes da curva principal.
const CLIENTES: &[u32] = &[1, 2, 10, 100, 1000];

/// Conexões paradas na medida de memória.
pub const OCIOSOS: u32 = 1000;

/// O serial só é medido até 10 clientes: com mais, só mostraria clientes
/// parados na fila.
const MAX_CLIENTES_DO_SERIAL: u32 = 10;

/// A curva principal: cada servidor sem log (o custo do log é medido à
/// parte) e as duas referências.
pub fn curva() -> Vec<Medido> {
    medidos::da_bancada().collect()
}

/// Os servidores concorrentes com o log ligado (10 clientes).
pub fn com_log() -> Vec<Medido> {
    medidos::concorrentes().filter_map(|m| m.ligando_o_log()).collect()
}

/// Os que são medidos com 1.000 conexões paradas: os concorrentes das partes.
fn parados() -> Vec<Medido> {
    medidos::concorrentes().filter(|m| m.servidor().didatico()).collect()
}

/// As opções de cada servidor na bancada: a fila do `listen()` do serial
/// cabe os clientes que esperam a vez, e a Parte 4 aceita todos os da
/// medida.
pub fn opcoes(medido: &Medido) -> Opcoes {
    let serial = !medido.servidor().concorrente();
    Opcoes { backlog: serial.then_some(1024), max_clientes: Some(5000) }
}

/// Um ponto medido: quem e com que carga.
pub type Chave = (Medido, Carga);

/// As medidas de cada ponto, uma por rodada (na ordem das rodadas).
pub type Medidas = BTreeMap<Chave, Vec<Medida>>;

/// Um grupo de servidores medidos lado a lado com a mesma carga.
struct Grupo {
    variantes: Vec<Medido>,
    carga: Carga,
}

fn grupos(fumaca: bool) -> Vec<Grupo> {
    let carga = |clientes, pipeline| Carga { clientes, pipeline, ociosos: 0 };
    let mut grupos = Vec::new();
    let clientes: &[u32] = if fumaca { &[1, 2] } else { CLIENTES };
    for &c in clientes {
        let mut variantes: Vec<Medido> = curva()
            .into_iter()
            .filter(|v| v.servidor().concorrente() || c <= MAX_CLIENTES_DO_SERIAL)
            .collect();
        if c == 10 || fumaca {
            variantes.extend(com_log());
        }
        grupos.push(Grupo { variantes, carga: carga(c, 1) });
    }
    if !fumaca {
        let variantes = curva().into_iter().filter(|v| v.servidor().concorrente()).collect();
        grupos.push(Grupo { variantes, carga: carga(10, 16) });
    }
    grupos
}

fn main() {
    let args = common::linha_de_comando::ler::<Args>();
    if let Err(e) = executar(args) {
        eprintln!("bancada: {e:#}");
        std::process::exit(1);
    }
}

fn executar(args: Args) -> Result<()> {
    let (rodadas, tempos) = if args.fumaca {
        (1, Tempos { duracao: 0.3, aquecimento: 0.1 })
    } else if args.rapido {
        (1, Tempos { duracao: 1.0, aquecimento: 0.3 })
    } else {
        (args.rodadas, Tempos { duracao: args.duracao, aquecimento: 0.5 })
    };
    if args.gravar && (args.rapido || args.fumaca || rodadas < 5 || args.duracao < 2.0) {
        bail!(
            "--gravar só vale numa execução completa (5 rodadas ou mais, 2 s ou mais por ponto): \
             uma medida curta é ruidosa demais para ir ao relato"
        );
    }
    let pasta = ferramentas::binarios::pasta()?;
    // Os servidores medidos e o gerador de carga.
    let mut programas: Vec<&str> = curva().iter().map(|m| m.binario).collect();
    programas.push("carga");
    ferramentas::binarios::compilar(&pasta, &programas)?;
    let inicio = Instant::now();
    let mut medidas = Medidas::new();
    let grupos = grupos(args.fumaca);
    for rodada in 0..rodadas as usize {
        for grupo in &grupos {
            // A ordem dos servidores gira a cada rodada: quem mede primeiro
            // ou por último muda, e a posição não favorece ninguém.
            let n = grupo.variantes.len();
            for i in (0..n).map(|k| (k + rodada) % n) {
                let variante = &grupo.variantes[i];
                let medida = medida::medir(&pasta, variante, grupo.carga, &tempos)?;
                eprintln!(
                    "bancada: rodada {}/{rodadas}, {:<16} {:>14} × pipeline {:<2}: {:>9} msg/s, p99 {:>7} µs, erros {}",
                    rodada + 1,
                    variante.rotulo(),
                    quantidade(u64::from(grupo.carga.clientes), "cliente", "clientes"),
                    grupo.carga.pipeline,
                    inteiro(medida.carga.mensagens_por_s),
                    inteiro(medida.carga.p99_us as f64),
                    medida.carga.erros()
                );
                medidas.entry((*variante, grupo.carga)).or_default().push(medida);
            }
        }
    }
    // Memória e threads com 1.000 clientes ociosos e 1 ativo: uma vez só
    // (não depende do barulho da máquina como a vazão).
    if !args.fumaca {
        let carga = Carga { clientes: 1, pipeline: 1, ociosos: OCIOSOS };
        for variante in parados() {
            let medida = medida::medir(&pasta, &variante, carga, &tempos)?;
            medidas.entry((variante, carga)).or_default().push(medida);
        }
    }
    let saida = match (&args.saida, args.gravar) {
        (Some(pasta), _) => pasta.clone(),
        (None, true) => PathBuf::from("figuras"),
        (None, false) => pasta.parent().unwrap_or(&pasta).join("bancada"),
    };
    std::fs::create_dir_all(&saida).with_context(|| format!("criar {}", saida.display()))?;
    let execucao = Execucao {
        comando: if args.gravar {
            "cargo run --release --bin bancada -- --gravar".to_string()
        } else {
            format!(
                "cargo run --release --bin bancada{}",
                if args.rapido { " -- --rapido" } else { "" }
            )
        },
        segundos: inicio.elapsed().as_secs_f64(),
        maquina: ferramentas::formato::maquina(),
        rodadas,
        duracao_s: tempos.duracao,
        aquecimento_s: tempos.aquecimento,
    };
    // A tabela, o gráfico e o JSON saem dos mesmos números.
    let bancada = resumo::resumir(&medidas, execucao);
    let texto = tabela::tabela(&bancada);
    let arquivo_md = saida.join("bancada.md");
    std::fs::write(&arquivo_md, &texto)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_svg = saida.join("bancada.svg");
    grafico::desenhar(&bancada, &arquivo_svg)?;
    let arquivo_json = saida.join("bancada.json");
    figuras::gravar(&arquivo_json, &bancada)?;
    println!("{texto}");
    eprintln!(
        "bancada: escrevi {}, {} e {} em {:.0} s",
        arquivo_md.display(),
        arquivo_json.display(),
        arquivo_svg.display(),
        inicio.elapsed().as_secs_f64()
    );
    Ok(())
}
