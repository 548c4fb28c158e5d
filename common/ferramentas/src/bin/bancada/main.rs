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
//! Sem `--gravar`, os resultados vão para `target/bancada/`: medir nunca
//! reescreve o relato nem `figuras/` por acidente.

mod grafico;
mod medida;
mod tabela;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::linha_de_comando::{ArgsAjuda, MODELO_AJUDA};
use common::texto::quantidade;
use ferramentas::formato::inteiro;
use medida::{Carga, Medida, Tempos, Variante};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Mede os servidores das partes e dois ecos de referência, e escreve tabela e gráfico
#[derive(Parser, Debug)]
#[command(name = "bancada", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta (uma rodada, 1 s por ponto): uns 3 minutos, para conferir algo
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
    /// Grava os resultados em figuras/ e na tabela do RELATO.md (só numa execução completa)
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

const fn v(
    rotulo: &'static str,
    programa: &'static str,
    args: &'static [&'static str],
) -> Variante {
    Variante { rotulo, programa, args }
}

/// A curva principal: cada servidor com `-q` (o custo do log é medido à
/// parte) e as duas referências.
pub const CURVA: &[Variante] = &[
    v("parte2 -q", "parte2", &["-q", "--backlog", "1024"]),
    v("parte3 -q", "parte3", &["-q"]),
    v("parte3-poll -q", "parte3-poll", &["-q"]),
    v("parte3-async -q", "parte3-async", &["-q"]),
    v("parte4 -q", "parte4", &["-q", "--max-clientes", "5000"]),
    v("eco-mio", "eco-mio", &[]),
    v("eco-tokio", "eco-tokio", &[]),
];

/// Os servidores concorrentes com o log ligado (10 clientes).
pub const COM_LOG: &[Variante] = &[
    v("parte3", "parte3", &[]),
    v("parte3-poll", "parte3-poll", &[]),
    v("parte3-async", "parte3-async", &[]),
    v("parte4", "parte4", &["--max-clientes", "5000"]),
];

/// Os que são medidos com 1.000 conexões paradas.
pub const PARADOS: &[Variante] = &[
    v("parte3 -q", "parte3", &["-q"]),
    v("parte3-poll -q", "parte3-poll", &["-q"]),
    v("parte3-async -q", "parte3-async", &["-q"]),
    v("parte4 -q", "parte4", &["-q", "--max-clientes", "5000"]),
];

/// Um ponto medido: quem e com que carga.
pub type Chave = (Variante, Carga);

/// As medidas de cada ponto, uma por rodada (na ordem das rodadas).
pub type Medidas = BTreeMap<Chave, Vec<Medida>>;

/// Um grupo de servidores medidos lado a lado com a mesma carga.
struct Grupo {
    variantes: Vec<Variante>,
    carga: Carga,
}

fn grupos(fumaca: bool) -> Vec<Grupo> {
    let carga = |clientes, pipeline| Carga { clientes, pipeline, ociosos: 0 };
    let mut grupos = Vec::new();
    let clientes: &[u32] = if fumaca { &[1, 2] } else { CLIENTES };
    for &c in clientes {
        let mut variantes: Vec<Variante> = CURVA
            .iter()
            .filter(|v| !(v.programa == "parte2" && c > MAX_CLIENTES_DO_SERIAL))
            .copied()
            .collect();
        if c == 10 || fumaca {
            variantes.extend(COM_LOG);
        }
        grupos.push(Grupo { variantes, carga: carga(c, 1) });
    }
    if !fumaca {
        let variantes = CURVA.iter().filter(|v| v.programa != "parte2").copied().collect();
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
    // Todos os servidores menos o da Parte 1 (que só atende um cliente por
    // vez e não tem `--backlog`), e o gerador de carga.
    let mut programas: Vec<&str> = apoio::servidores::SERVIDORES
        .iter()
        .filter(|s| s.parte() != Some(1))
        .map(|s| s.binario)
        .collect();
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
                    variante.rotulo,
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
        for variante in PARADOS {
            let medida = medida::medir(&pasta, variante, carga, &tempos)?;
            medidas.entry((*variante, carga)).or_default().push(medida);
        }
    }
    let saida = match (&args.saida, args.gravar) {
        (Some(pasta), _) => pasta.clone(),
        (None, true) => PathBuf::from("figuras"),
        (None, false) => pasta.parent().unwrap_or(&pasta).join("bancada"),
    };
    std::fs::create_dir_all(&saida).with_context(|| format!("criar {}", saida.display()))?;
    let descricao = tabela::Descricao {
        comando: if args.gravar {
            "cargo run --release --bin bancada -- --gravar".to_string()
        } else {
            format!(
                "cargo run --release --bin bancada{}",
                if args.rapido { " -- --rapido" } else { "" }
            )
        },
        segundos: inicio.elapsed().as_secs_f64(),
        rodadas,
        tempos,
        maquina: tabela::maquina(),
    };
    let texto = tabela::tabela(&medidas, &descricao);
    let arquivo_md = saida.join("bancada.md");
    std::fs::write(&arquivo_md, &texto)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_svg = saida.join("bancada.svg");
    grafico::desenhar(&medidas, &descricao, &arquivo_svg)?;
    if args.gravar {
        // No relato, só a comparação dos três modelos (com a última escala
        // gravada); o resto fica em figuras/.
        let relato = PathBuf::from("RELATO.md");
        let escala = std::fs::read_to_string(ferramentas::relato::TABELA_DA_ESCALA)
            .with_context(|| format!("ler {}", ferramentas::relato::TABELA_DA_ESCALA))?;
        ferramentas::relato::atualizar(
            &relato,
            &[(
                "bancada:modelos".to_string(),
                ferramentas::relato::modelos_da_bancada(&texto, &escala)?,
            )],
        )?;
        eprintln!("bancada: tabela atualizada em {}", relato.display());
    }
    println!("{texto}");
    eprintln!(
        "bancada: escrevi {} e {} em {:.0} s",
        arquivo_md.display(),
        arquivo_svg.display(),
        inicio.elapsed().as_secs_f64()
    );
    Ok(())
}
