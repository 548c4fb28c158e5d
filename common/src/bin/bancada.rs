//! `bancada`: mede os servidores das partes com o `carga` e escreve uma
//! tabela Markdown e um gráfico SVG (vazão e latência p99 × clientes).
//!
//! Para cada rodada, para cada número de clientes, cada servidor é iniciado
//! de novo (porta livre, log para o nulo) e medido; os servidores se
//! alternam dentro da rodada, de modo que uma mudança lenta da máquina
//! (outro processo, temperatura) afete todos igualmente. O resultado de cada
//! ponto é a mediana das rodadas.

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use common::binarios;
use common::rede::{ArgsAjuda, MODELO_AJUDA};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Mede os servidores das partes e escreve tabela e gráfico
#[derive(Parser, Debug)]
#[command(name = "bancada", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta (uma rodada, 1 s por ponto): termina em menos de 2 minutos
    #[arg(long)]
    rapido: bool,
    /// Rodadas; cada ponto é a mediana delas (padrão: 5)
    #[arg(long, default_value_t = 5, hide_default_value = true)]
    rodadas: usize,
    /// Segundos medidos por ponto (padrão: 3)
    #[arg(long, value_name = "S", default_value_t = 3.0, hide_default_value = true)]
    duracao: f64,
    /// Números de clientes (padrão: 1,2,10,100,1000)
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,10,100,1000",
        hide_default_value = true
    )]
    clientes: Vec<u32>,
    /// Pasta dos resultados (padrão: figuras)
    #[arg(long, default_value = "figuras", hide_default_value = true)]
    saida: PathBuf,
    /// Também atualiza a tabela deste relato (bloco `bancada:tabela`)
    #[arg(long, value_name = "ARQUIVO")]
    relato: Option<PathBuf>,
    /// Só para os testes: meio segundo por ponto, sem as medidas extras
    #[arg(long, hide = true)]
    fumaca: bool,
    /// Uso interno: vira um servidor de eco mínimo nesta porta
    #[arg(long, hide = true, value_name = "PORTA")]
    eco_trivial: Option<u16>,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Um servidor medido.
struct Variante {
    rotulo: &'static str,
    programa: &'static str,
    args: &'static [&'static str],
    /// Acima disso não se mede (o serial com 1.000 clientes só mostraria
    /// 999 clientes parados).
    max_clientes: u32,
}

const VARIANTES: &[Variante] = &[
    Variante {
        rotulo: "parte2",
        programa: "parte2",
        args: &["--backlog", "1024"],
        max_clientes: 10,
    },
    Variante { rotulo: "parte3", programa: "parte3", args: &[], max_clientes: u32::MAX },
    Variante { rotulo: "parte3-poll", programa: "parte3-poll", args: &[], max_clientes: u32::MAX },
    Variante {
        rotulo: "parte3-async",
        programa: "parte3-async",
        args: &[],
        max_clientes: u32::MAX,
    },
    Variante {
        rotulo: "parte4",
        programa: "parte4",
        args: &["--max-clientes", "5000"],
        max_clientes: u32::MAX,
    },
    Variante {
        rotulo: "parte4 -q",
        programa: "parte4",
        args: &["-q", "--max-clientes", "5000"],
        max_clientes: u32::MAX,
    },
];

/// A linha `--json` do `carga`.
#[derive(Deserialize, Debug, Clone, Default)]
struct Carga {
    mensagens_por_s: f64,
    p99_us: u64,
    max_us: u64,
    atendidos: u64,
    falhas_de_conexao: u64,
    respostas_erradas: u64,
    respostas_faltando: u64,
    resets: u64,
    cpu_s: Option<f64>,
}

/// Uma medida: o carga e o que o servidor gastou enquanto isso.
#[derive(Debug, Clone, Default)]
struct Medida {
    carga: Carga,
    /// CPU do servidor durante a execução do carga, em segundos (Linux).
    cpu_servidor_s: Option<f64>,
    /// Pico de memória residente do servidor, em KiB (Linux).
    memoria_kib: Option<u64>,
    /// Threads do servidor ao fim da medição (Linux).
    threads: Option<u64>,
    /// Segundos de relógio da execução do carga.
    relogio_s: f64,
}

impl Medida {
    fn erros(&self) -> u64 {
        let c = &self.carga;
        c.falhas_de_conexao + c.respostas_erradas + c.respostas_faltando + c.resets
    }
}

fn main() {
    let args = Args::parse();
    if let Some(porta) = args.eco_trivial {
        eco_trivial(porta);
    }
    if let Err(e) = executar(args) {
        eprintln!("bancada: {e:#}");
        std::process::exit(1);
    }
}

/// Ajustes de duração conforme o modo.
struct Plano {
    rodadas: usize,
    duracao: f64,
    aquecimento: f64,
    extras: bool,
}

fn executar(args: Args) -> Result<()> {
    let plano = if args.fumaca {
        Plano { rodadas: 1, duracao: 0.3, aquecimento: 0.1, extras: false }
    } else if args.rapido {
        Plano { rodadas: 1, duracao: 1.0, aquecimento: 0.3, extras: true }
    } else {
        Plano {
            rodadas: args.rodadas.max(1),
            duracao: args.duracao,
            aquecimento: 1.0,
            extras: true,
        }
    };
    let pasta = binarios::pasta()?;
    binarios::compilar(
        &pasta,
        &["parte2", "parte3", "parte3-poll", "parte3-async", "parte4", "carga"],
    )?;
    let inicio = Instant::now();
    // (rótulo, clientes) -> medidas das rodadas
    let mut medidas: BTreeMap<(usize, u32), Vec<Medida>> = BTreeMap::new();
    for rodada in 1..=plano.rodadas {
        for &clientes in &args.clientes {
            // A ordem dos servidores gira a cada rodada: quem mede primeiro
            // ou por último numa rodada muda, e a posição não favorece ninguém.
            let n = VARIANTES.len();
            for i in (0..n).map(|k| (k + rodada) % n) {
                let variante = &VARIANTES[i];
                if clientes > variante.max_clientes {
                    continue;
                }
                let extra: Vec<&str> = variante.args.to_vec();
                let carga = CargaPedida { clientes, pipeline: 1, ociosos: 0 };
                let medida = medir(&pasta, variante.programa, &extra, carga, &plano)?;
                eprintln!(
                    "bancada: rodada {rodada}/{}, {:<10} {:>5} clientes: {:>9.0} msg/s, p99 {:>7} µs, erros {}",
                    plano.rodadas,
                    variante.rotulo,
                    clientes,
                    medida.carga.mensagens_por_s,
                    medida.carga.p99_us,
                    medida.erros()
                );
                medidas.entry((i, clientes)).or_default().push(medida);
            }
        }
    }
    let mut extras = Vec::new();
    let mut ociosos = Vec::new();
    if plano.extras {
        extras = medir_extras(&pasta, &plano)?;
        ociosos = medir_ociosos(&pasta, &plano)?;
    }
    std::fs::create_dir_all(&args.saida)
        .with_context(|| format!("criar {}", args.saida.display()))?;
    let tabela = tabela(&medidas, &extras, &ociosos, &plano, &args, inicio.elapsed());
    let arquivo_md = args.saida.join("bancada.md");
    std::fs::write(&arquivo_md, &tabela)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_svg = args.saida.join("bancada.svg");
    grafico(&medidas, &arquivo_svg)?;
    if let Some(relato) = &args.relato {
        // No relato, sem o título do arquivo próprio (o relato tem os seus).
        // No relato a tabela fica dentro de "### Medidas": "## Metas" desce
        // dois níveis.
        let corpo = tabela.split_once('\n').map(|(_, resto)| resto.trim_start()).unwrap_or(&tabela);
        let corpo = corpo.replace("\n## Metas", "\n#### Metas");
        common::relato::atualizar(relato, &[("bancada:tabela".to_string(), corpo)])?;
        eprintln!("bancada: tabela atualizada em {}", relato.display());
    }
    println!("{tabela}");
    eprintln!(
        "bancada: escrevi {} e {} em {:.0} s",
        arquivo_md.display(),
        arquivo_svg.display(),
        inicio.elapsed().as_secs_f64()
    );
    Ok(())
}

/// As medidas das metas que não cabem na tabela principal.
struct Extra {
    descricao: &'static str,
    medida: Medida,
}

fn medir_extras(pasta: &Path, plano: &Plano) -> Result<Vec<Extra>> {
    let mut extras = Vec::new();
    for _ in 0..plano.rodadas {
        let carga = CargaPedida { clientes: 10, pipeline: 16, ociosos: 0 };
        let pipeline = medir(pasta, "parte4", &["-q"], carga, plano)?;
        extras.push(Extra { descricao: "parte4 -q, 10 clientes, pipeline 16", medida: pipeline });
        let carga = CargaPedida { clientes: 10, pipeline: 1, ociosos: 0 };
        let trivial = medir(pasta, "bancada", &["--eco-trivial"], carga, plano)?;
        extras.push(Extra {
            descricao: "eco trivial (1 thread, epoll), 10 clientes",
            medida: trivial,
        });
    }
    Ok(extras)
}

/// Clientes parados: cada servidor com 1.000 conexões abertas e ociosas (e
/// uma ativa), para medir o custo de memória e de threads de cada modelo.
fn medir_ociosos(pasta: &Path, plano: &Plano) -> Result<Vec<(usize, Medida)>> {
    let mut medidas = Vec::new();
    for (i, variante) in VARIANTES.iter().enumerate().filter(|(_, v)| v.max_clientes > 1000) {
        let carga = CargaPedida { clientes: 1, pipeline: 1, ociosos: OCIOSOS };
        medidas.push((i, medir(pasta, variante.programa, variante.args, carga, plano)?));
    }
    Ok(medidas)
}

/// Quantas conexões paradas na medida de memória.
const OCIOSOS: u32 = 1000;

/// Uma porta livre agora (o sistema escolhe; a porta é solta em seguida).
fn porta_livre() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Um processo encerrado e esperado em qualquer caminho.
struct Filho(Child);

impl Drop for Filho {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Uma carga: conexões ativas, mensagens em voo por conexão e conexões
/// paradas abertas ao mesmo tempo.
#[derive(Clone, Copy)]
struct CargaPedida {
    clientes: u32,
    pipeline: u32,
    ociosos: u32,
}

fn medir(
    pasta: &Path,
    programa: &str,
    args: &[&str],
    carga: CargaPedida,
    plano: &Plano,
) -> Result<Medida> {
    let CargaPedida { clientes, pipeline, ociosos } = carga;
    let porta = porta_livre()?;
    let mut comando = Command::new(binarios::caminho(pasta, programa)?);
    if args.first() == Some(&"--eco-trivial") {
        comando.args(["--eco-trivial", &porta.to_string()]);
    } else {
        comando.args(args).args(["--host", "127.0.0.1", "--porta", &porta.to_string()]);
    }
    let mut servidor = Filho(
        comando
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("iniciar o servidor")?,
    );
    // Espera o servidor aceitar conexões.
    let limite = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", porta)).is_err() {
        if Instant::now() > limite || servidor.0.try_wait()?.is_some() {
            bail!("o servidor {programa} não começou a escutar na porta {porta}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let pid = servidor.0.id();
    let cpu_antes = cpu_de(pid);
    let relogio = Instant::now();
    let mut carga = Command::new(binarios::caminho(pasta, "carga")?)
        .args(["--host", "127.0.0.1", "--porta", &porta.to_string(), "--json"])
        .args(["--clientes", &clientes.to_string(), "--pipeline", &pipeline.to_string()])
        .args(["--ociosos", &ociosos.to_string()])
        .args([
            "--duracao",
            &plano.duracao.to_string(),
            "--aquecimento",
            &plano.aquecimento.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("executar o carga")?;
    // Enquanto o carga roda, o maior número de threads do servidor (depois
    // que ele termina, as conexões fecham e as threads vão embora).
    let mut threads = None;
    while carga.try_wait()?.is_none() {
        threads = threads.max(campo_de_status(pid, "Threads:"));
        thread::sleep(Duration::from_millis(50));
    }
    let saida = carga.wait_with_output().context("esperar o carga")?;
    let relogio_s = relogio.elapsed().as_secs_f64();
    let cpu_servidor_s = cpu_antes.zip(cpu_de(pid)).map(|(a, b)| b - a);
    let memoria_kib = campo_de_status(pid, "VmHWM:");
    let linha = String::from_utf8_lossy(&saida.stdout);
    let carga: Carga = serde_json::from_str(linha.trim())
        .with_context(|| format!("ler o resultado do carga: {:?}", linha.trim()))?;
    drop(servidor);
    Ok(Medida { carga, cpu_servidor_s, memoria_kib, threads, relogio_s })
}

/// Tempo de CPU (usuário + sistema) do processo `pid`, em segundos (Linux).
fn cpu_de(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let campos: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some((campos.get(11)?.parse::<f64>().ok()? + campos.get(12)?.parse::<f64>().ok()?) / 100.0)
}

/// Um campo numérico de `/proc/<pid>/status` (ex.: `VmHWM:` em KiB, `Threads:`).
fn campo_de_status(pid: u32, campo: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(campo))?.split_whitespace().nth(1)?.parse().ok()
}

fn mediana(mut valores: Vec<f64>) -> f64 {
    if valores.is_empty() {
        return f64::NAN;
    }
    valores.sort_by(|a, b| a.total_cmp(b));
    let meio = valores.len() / 2;
    if valores.len() % 2 == 1 {
        valores[meio]
    } else {
        (valores[meio - 1] + valores[meio]) / 2.0
    }
}

/// Medianas de um ponto.
struct Resumo {
    vazao: f64,
    p99: f64,
    max: f64,
    atendidos: f64,
    erros: u64,
    /// % de um núcleo
    cpu_servidor: Option<f64>,
    cpu_carga: Option<f64>,
    /// MiB
    memoria: Option<f64>,
}

fn resumo(medidas: &[Medida]) -> Resumo {
    let vazao = mediana(medidas.iter().map(|m| m.carga.mensagens_por_s).collect());
    let p99 = mediana(medidas.iter().map(|m| m.carga.p99_us as f64).collect());
    let max = mediana(medidas.iter().map(|m| m.carga.max_us as f64).collect());
    let atendidos = mediana(medidas.iter().map(|m| m.carga.atendidos as f64).collect());
    let erros = medidas.iter().map(Medida::erros).sum();
    let porcento = |f: &dyn Fn(&Medida) -> Option<f64>| {
        let v: Vec<f64> =
            medidas.iter().filter_map(|m| f(m).map(|cpu| 100.0 * cpu / m.relogio_s)).collect();
        (!v.is_empty()).then(|| mediana(v))
    };
    let cpu_servidor = porcento(&|m| m.cpu_servidor_s);
    let cpu_carga = porcento(&|m| m.carga.cpu_s);
    let memoria = medidas.iter().filter_map(|m| m.memoria_kib).max().map(|k| k as f64 / 1024.0);
    Resumo { vazao, p99, max, atendidos, erros, cpu_servidor, cpu_carga, memoria }
}

fn maquina() -> String {
    let nucleos = thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let modelo = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    format!("{} ({nucleos} núcleos), {modelo}", std::env::consts::OS)
}

fn opcional(v: Option<f64>, casas: usize) -> String {
    v.map(|x| format!("{x:.casas$}")).unwrap_or_else(|| "—".into())
}

fn tabela(
    medidas: &BTreeMap<(usize, u32), Vec<Medida>>,
    extras: &[Extra],
    ociosos: &[(usize, Medida)],
    plano: &Plano,
    args: &Args,
    tempo: Duration,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Bancada: vazão e latência dos servidores\n");
    let _ = writeln!(
        md,
        "Gerado por `cargo run --release --bin bancada{}` em {:.0} s. Máquina: {}. {} rodada(s) de {} s medidos \
         (+{} s de aquecimento) por ponto; cada número é a mediana das rodadas. Mensagens de 32 bytes, uma em voo \
         por conexão (vai e volta). Log dos servidores para o nulo. CPU em % de um núcleo, durante a medição.\n",
        if args.rapido { " -- --rapido" } else { "" },
        tempo.as_secs_f64(),
        maquina(),
        plano.rodadas,
        plano.duracao,
        plano.aquecimento
    );
    let _ = writeln!(
        md,
        "| servidor | clientes | atendidos | msg/s | p99 (µs) | máx (µs) | erros | CPU servidor | CPU carga | memória pico (MiB) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ((i, clientes), lista) in medidas {
        let r = resumo(lista);
        let _ = writeln!(
            md,
            "| {} | {clientes} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {}% | {}% | {} |",
            VARIANTES[*i].rotulo,
            r.atendidos,
            r.vazao,
            r.p99,
            r.max,
            r.erros,
            opcional(r.cpu_servidor, 0),
            opcional(r.cpu_carga, 0),
            opcional(r.memoria, 1)
        );
    }
    if !extras.is_empty() {
        let _ = writeln!(
            md,
            "\n| medida extra | msg/s | p99 (µs) | erros | CPU servidor | CPU carga |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
        let mut descricoes: Vec<&str> = Vec::new();
        for e in extras {
            if !descricoes.contains(&e.descricao) {
                descricoes.push(e.descricao);
            }
        }
        for descricao in descricoes {
            let lista: Vec<Medida> = extras
                .iter()
                .filter(|e| e.descricao == descricao)
                .map(|e| e.medida.clone())
                .collect();
            let r = resumo(&lista);
            let _ = writeln!(
                md,
                "| {descricao} | {:.0} | {:.0} | {} | {}% | {}% |",
                r.vazao,
                r.p99,
                r.erros,
                opcional(r.cpu_servidor, 0),
                opcional(r.cpu_carga, 0)
            );
        }
    }
    if !ociosos.is_empty() {
        let _ = writeln!(md, "\n| com {OCIOSOS} clientes parados e 1 ativo | threads do servidor | memória pico (MiB) |");
        let _ = writeln!(md, "|---|---:|---:|");
        for (i, m) in ociosos {
            let threads = m.threads.map(|t| t.to_string()).unwrap_or_else(|| "—".into());
            let memoria = opcional(m.memoria_kib.map(|k| k as f64 / 1024.0), 1);
            let _ = writeln!(md, "| {} | {threads} | {memoria} |", VARIANTES[*i].rotulo);
        }
    }
    let _ = write!(md, "{}", metas(medidas, extras));
    md
}

/// As metas de desempenho, conferidas com os números medidos.
fn metas(medidas: &BTreeMap<(usize, u32), Vec<Medida>>, extras: &[Extra]) -> String {
    let vazao = |rotulo: &str, clientes: u32| -> Option<f64> {
        let i = VARIANTES.iter().position(|v| v.rotulo == rotulo)?;
        medidas.get(&(i, clientes)).map(|l| resumo(l).vazao)
    };
    let extra = |descricao: &str| -> Option<f64> {
        let lista: Vec<Medida> = extras
            .iter()
            .filter(|e| e.descricao.starts_with(descricao))
            .map(|e| e.medida.clone())
            .collect();
        (!lista.is_empty()).then(|| resumo(&lista).vazao)
    };
    let mut md = String::from("\n## Metas\n\n| meta | medido | ok? |\n|---|---|---|\n");
    let mut linha = |meta: &str, razao: Option<f64>, minimo: f64| {
        let (medido, ok) = match razao {
            Some(r) => {
                (format!("{r:.2}×").replace('.', ","), if r >= minimo { "sim" } else { "não" })
            }
            None => ("não medido".into(), "—"),
        };
        let _ = writeln!(md, "| {meta} | {medido} | {ok} |");
    };
    for c in [10, 100] {
        let razao = vazao("parte4 -q", c).zip(vazao("parte3", c)).map(|(a, b)| a / b);
        linha(&format!("parte4 -q ≥ 0,95 × parte3, {c} clientes"), razao, 0.95);
    }
    let razao = vazao("parte4", 10).zip(vazao("parte4 -q", 10)).map(|(a, b)| a / b);
    linha("parte4 (com log) ≥ 0,7 × parte4 -q, 10 clientes", razao, 0.7);
    let razao = extra("parte4 -q, 10 clientes, pipeline 16")
        .zip(vazao("parte4 -q", 10))
        .map(|(a, b)| a / b);
    linha("pipeline 16 ≥ 5 × vai e volta (parte4 -q, 10 clientes)", razao, 5.0);
    let razao = extra("eco trivial").zip(vazao("parte4 -q", 10)).map(|(a, b)| a / b);
    linha("carga contra o eco trivial ≥ 2 × parte4 -q, 10 clientes", razao, 2.0);
    md
}

fn grafico(medidas: &BTreeMap<(usize, u32), Vec<Medida>>, arquivo: &Path) -> Result<()> {
    use plotters::prelude::*;
    let raiz = SVGBackend::new(arquivo, (1000, 420)).into_drawing_area();
    raiz.fill(&WHITE).map_err(|e| anyhow!("desenhar: {e}"))?;
    let (esquerda, direita) = raiz.split_horizontally(500);
    let cores = [RED, BLUE, RGBColor(230, 140, 0), RGBColor(120, 60, 160), GREEN, BLACK];
    let max_clientes = medidas.keys().map(|(_, c)| *c).max().unwrap_or(1).max(2) as f64;
    // Por variante: (clientes, msg/s, p99 µs) de cada ponto.
    type Serie = (usize, Vec<(f64, f64, f64)>);
    let series: Vec<Serie> = (0..VARIANTES.len())
        .map(|i| {
            let pontos = medidas
                .iter()
                .filter(|((j, _), _)| *j == i)
                .map(|((_, c), l)| {
                    let r = resumo(l);
                    (*c as f64, r.vazao.max(1.0), r.p99.max(1.0))
                })
                .collect();
            (i, pontos)
        })
        .filter(|(_, p): &Serie| !p.is_empty())
        .collect();
    let max_vazao =
        series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(1.0, f64::max) * 1.1;
    let max_p99 = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.2)).fold(10.0, f64::max) * 2.0;
    let erro = |e: DrawingAreaErrorKind<_>| anyhow!("desenhar: {e:?}");

    let mut vazao = ChartBuilder::on(&esquerda)
        .caption("vazão (msg/s) × clientes", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(70)
        .build_cartesian_2d((0.8..max_clientes * 1.25).log_scale(), 0.0..max_vazao)
        .map_err(erro)?;
    let inteiro = |v: &f64| format!("{v:.0}");
    vazao
        .configure_mesh()
        .x_desc("clientes")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&inteiro)
        .draw()
        .map_err(erro)?;
    let mut p99 = ChartBuilder::on(&direita)
        .caption("latência p99 (µs) × clientes (parte2: só o atendido)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(70)
        .build_cartesian_2d((0.8..max_clientes * 1.25).log_scale(), (1.0..max_p99).log_scale())
        .map_err(erro)?;
    p99.configure_mesh()
        .x_desc("clientes")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&inteiro)
        .draw()
        .map_err(erro)?;
    for (i, pontos) in &series {
        let cor = cores[*i % cores.len()];
        vazao
            .draw_series(LineSeries::new(pontos.iter().map(|p| (p.0, p.1)), cor.stroke_width(2)))
            .map_err(erro)?
            .label(VARIANTES[*i].rotulo)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], cor.stroke_width(2)));
        p99.draw_series(LineSeries::new(pontos.iter().map(|p| (p.0, p.2)), cor.stroke_width(2)))
            .map_err(erro)?;
    }
    vazao
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(erro)?;
    raiz.present().map_err(|e| anyhow!("escrever o SVG: {e}"))?;
    Ok(())
}

/// Um servidor de eco mínimo, só para medir o próprio `carga`: uma thread,
/// `mio`, nenhum log, nenhum limite. Não é material didático.
fn eco_trivial(porta: u16) -> ! {
    use mio::net::TcpListener as Escuta;
    use mio::{Events, Interest, Poll, Token};
    use std::io::{ErrorKind, Read};
    let mut poll = Poll::new().expect("poll");
    let mut escuta = Escuta::bind(([127, 0, 0, 1], porta).into()).expect("bind do eco trivial");
    poll.registry()
        .register(&mut escuta, Token(usize::MAX), Interest::READABLE)
        .expect("registrar");
    let mut conexoes: Vec<Option<(mio::net::TcpStream, Vec<u8>)>> = Vec::new();
    let mut eventos = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut saida = Vec::new();
    loop {
        let _ = poll.poll(&mut eventos, None);
        for evento in eventos.iter() {
            if evento.token() == Token(usize::MAX) {
                while let Ok((mut s, _)) = escuta.accept() {
                    let _ = s.set_nodelay(true);
                    poll.registry()
                        .register(&mut s, Token(conexoes.len()), Interest::READABLE)
                        .expect("registrar");
                    conexoes.push(Some((s, Vec::new())));
                }
                continue;
            }
            let Some(Some((s, pendente))) = conexoes.get_mut(evento.token().0) else { continue };
            let mut fechar = false;
            saida.clear();
            loop {
                match s.read(&mut buf) {
                    Ok(0) => {
                        fechar = true;
                        break;
                    }
                    Ok(n) => {
                        pendente.extend_from_slice(&buf[..n]);
                        let mut inicio = 0;
                        while let Some(p) = memchr::memchr(b'\n', &pendente[inicio..]) {
                            saida.extend_from_slice(b"Echo: ");
                            saida.extend_from_slice(&pendente[inicio..inicio + p + 1]);
                            inicio += p + 1;
                        }
                        pendente.drain(..inicio);
                        if n < buf.len() {
                            break; // leitura curta: nada mais por ora (ver carga.rs)
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        fechar = true;
                        break;
                    }
                }
            }
            // Num eco trivial, respostas pequenas: o buffer do kernel sempre
            // tem espaço; escrita parcial encerra a conexão.
            if !saida.is_empty() && s.write(&saida).map(|n| n != saida.len()).unwrap_or(true) {
                fechar = true;
            }
            if fechar {
                conexoes[evento.token().0] = None;
            }
        }
    }
}
