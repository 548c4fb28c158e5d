//! `escala`: quanto custa uma conexão aberta, de 10 a 10.000 conexões.
//!
//! Para cada servidor concorrente (parte3, parte3-poll, parte3-async e
//! parte4) e os dois ecos de referência (eco-mio e eco-tokio), e para cada
//! número de conexões abertas (10, 100, 1.000 e 10.000), inicia o servidor
//! do zero e roda o `carga` contra ele: 10 conexões ativas num laço fechado
//! (vai e volta) e as demais ociosas, cada uma com um eco ao chegar (a prova
//! de que o servidor a aceitou e atende, e não a deixou na fila do
//! `listen()`). No meio da medição, com todas abertas, lê do servidor a
//! memória residente (VmRSS) e as threads (/proc/<pid>/status), e da
//! máquina as pilhas de kernel (KernelStack) e a memória dos buffers TCP
//! (/proc/net/sockstat); a diferença em relação ao servidor aquecido e sem
//! conexões, dividida pelas conexões, é o custo de cada uma. Tudo se repete
//! em 3 rodadas (a ordem dos servidores gira), e cada número é a mediana.
//!
//! Os dois recursos que dez mil conexões gastam fora da memória
//! (descritores de arquivo e portas efêmeras) ficam em [`limites`].
//!
//! A tabela (`escala.md`), o gráfico (`escala.svg`) e o JSON (`escala.json`,
//! que o relato lê) saem de um resumo só ([`figuras::Escala`]).
//! Sem `--gravar`, escreve em `target/escala/`; com `--gravar` (só numa
//! execução completa), em `figuras/`.
//! Só no Linux há o que medir (lê `/proc`); nos outros sistemas, diz isso e
//! sai.

mod grafico;
mod limites;
mod medida;
mod tabela;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::linha_de_comando::{faixa, faixa_decimal, ArgsAjuda, MODELO_AJUDA};
use ferramentas::figuras::{self, Escala, Execucao, PontoDaEscala};
use ferramentas::formato::{inteiro, kib};
use ferramentas::medidos::{self, Medido, Opcoes};
use ferramentas::sistema;
use medida::{Medida, Tempos, ATIVAS};
use std::path::PathBuf;
use std::time::Instant;

/// Mede quanto custa uma conexão aberta em cada servidor concorrente, de 10 a 10.000 conexões
#[derive(Parser, Debug)]
#[command(name = "escala", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta: até 1.000 conexões, uma rodada, 1 s por ponto (menos de 1 minuto de medida)
    #[arg(long)]
    rapido: bool,
    /// Números de conexões abertas, separados por vírgula (padrão: 10,100,1000,10000)
    #[arg(long, value_name = "N,N...", value_delimiter = ',', value_parser = faixa(1u32, 10_000))]
    conexoes: Vec<u32>,
    /// Só estes servidores, separados por vírgula (padrão: todos; ex.: parte3-poll,eco-mio)
    #[arg(long, value_name = "NOME,...", value_delimiter = ',')]
    servidores: Vec<String>,
    /// Segundos medidos por ponto, depois de 0,5 s de aquecimento (padrão: 2; com --rapido, 1)
    #[arg(long, value_name = "S", value_parser = faixa_decimal(0.2, 60.0))]
    duracao: Option<f64>,
    /// Rodadas; cada número é a mediana delas (padrão: 3; com --rapido, 1)
    #[arg(long, value_parser = faixa(1u32, 20))]
    rodadas: Option<u32>,
    /// Pasta dos resultados (padrão: target/escala; com --gravar, figuras)
    #[arg(long, value_name = "PASTA")]
    saida: Option<PathBuf>,
    /// Grava figuras/escala.md, .json e .svg (só numa execução completa)
    #[arg(long)]
    gravar: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Os números de conexões abertas de uma execução completa.
const CONEXOES: &[u32] = &[10, 100, 1_000, 10_000];
/// Os de `--rapido`.
const CONEXOES_RAPIDO: &[u32] = &[10, 100, 1_000];

/// As opções dos servidores: a fila do `listen()` (as ociosas chegam uma
/// por vez, mas uma fila curta não pode ser o limite de ninguém) e o limite
/// de clientes da Parte 4 acima do maior ponto. Os ecos de referência não
/// têm nenhuma das duas (a fila deles é 1.024).
pub const OPCOES: Opcoes = Opcoes { backlog: Some(4096), max_clientes: Some(20_000) };

fn main() {
    let args = common::linha_de_comando::ler::<Args>();
    if let Err(e) = executar(args) {
        eprintln!("escala: {e:#}");
        std::process::exit(1);
    }
}

/// Uma linha de progresso por ponto medido.
fn mostrar(
    rodada: usize,
    rodadas: usize,
    servidor: &Medido,
    n: u32,
    medida: &Result<Medida, String>,
) {
    let onde = format!(
        "escala: rodada {}/{rodadas}, {:<16} {:>6} conexões:",
        rodada + 1,
        servidor.rotulo(),
        inteiro(f64::from(n))
    );
    match medida {
        Ok(m) => {
            // Com os separadores de milhar das tabelas (62.173, não 62173).
            let threads = m.cheio.threads.unwrap_or(0);
            eprintln!(
                "{onde} {:>6} atendidas, {:>7} msg/s, p99 {:>6} µs, {} KiB por conexão, {} {}, \
                 abertas em {} s",
                inteiro(m.atendidas() as f64),
                inteiro(m.carga.mensagens_por_s),
                inteiro(m.carga.p99_us as f64),
                m.rss_por_conexao_kib(n).map(kib).unwrap_or_default(),
                inteiro(threads as f64),
                if threads == 1 { "thread" } else { "threads" },
                ferramentas::formato::decimal(m.abertura_s, 1)
            )
        }
        Err(e) => eprintln!("{onde} não mediu: {e}"),
    }
}

fn executar(args: Args) -> Result<()> {
    if !cfg!(target_os = "linux") {
        bail!(
            "a escala lê a memória dos processos e do kernel em /proc, que só existe no Linux: \
             não disponível neste sistema (use o WSL no Windows)"
        );
    }
    let parcial = args.rapido || !args.conexoes.is_empty() || !args.servidores.is_empty();
    let rodadas = args.rodadas.unwrap_or(if args.rapido { 1 } else { 3 }) as usize;
    if args.gravar && (parcial || args.duracao.is_some_and(|d| d < 2.0) || rodadas < 3) {
        bail!(
            "--gravar só vale numa execução completa (todos os servidores, até 10.000 conexões, \
             3 rodadas ou mais, 2 s ou mais por ponto)"
        );
    }
    let conexoes: Vec<u32> = if !args.conexoes.is_empty() {
        args.conexoes.clone()
    } else if args.rapido {
        CONEXOES_RAPIDO.to_vec()
    } else {
        CONEXOES.to_vec()
    };
    let todos: Vec<Medido> = medidos::concorrentes().collect();
    let servidores: Vec<Medido> = if args.servidores.is_empty() {
        todos
    } else {
        let mut escolhidos = Vec::new();
        for nome in &args.servidores {
            let Some(s) = todos.iter().find(|s| s.binario == nome || s.rotulo() == *nome) else {
                let nomes: Vec<&str> = todos.iter().map(|s| s.binario).collect();
                bail!("servidor desconhecido: {nome:?}; os medidos são {}", nomes.join(", "));
            };
            escolhidos.push(*s);
        }
        escolhidos
    };
    let tempos = Tempos {
        duracao: args.duracao.unwrap_or(if args.rapido { 1.0 } else { 2.0 }),
        aquecimento: if args.rapido { 0.3 } else { 0.5 },
    };
    let maior = u64::from(conexoes.iter().copied().max().unwrap_or(0));

    let portas = limites::preparar(maior)?;

    let pasta = ferramentas::binarios::pasta()?;
    let mut programas: Vec<&str> = servidores.iter().map(|s| s.binario).collect();
    programas.push("carga");
    ferramentas::binarios::compilar(&pasta, &programas)?;

    let inicio = Instant::now();
    let (mut maior_time_wait, mut espera_por_portas_s) = (0, 0.0);
    // Servidor por servidor, de 10 a 10.000: os pontos grandes (os que
    // deixam milhares de portas em TIME-WAIT) ficam espaçados pelos
    // pequenos de outro servidor. A ordem dos servidores gira a cada rodada,
    // como na bancada: uma fase lenta da máquina não cai sempre no mesmo.
    let mut medidas: Vec<Vec<Result<Medida, String>>> =
        vec![Vec::new(); servidores.len() * conexoes.len()];
    for rodada in 0..rodadas {
        for i in (0..servidores.len()).map(|k| (k + rodada) % servidores.len()) {
            let servidor = &servidores[i];
            for (j, &n) in conexoes.iter().enumerate() {
                let (tw, esperou) = limites::esperar_portas(n, portas);
                maior_time_wait = maior_time_wait.max(tw);
                espera_por_portas_s += esperou;
                let medida = match limites::descritores_que_faltam(n) {
                    Some(falta) => Err(falta),
                    None => {
                        medida::medir(&pasta, servidor, n, tempos).map_err(|e| format!("{e:#}"))
                    }
                };
                mostrar(rodada, rodadas, servidor, n, &medida);
                medidas[i * conexoes.len() + j].push(medida);
            }
        }
    }
    let mut pontos = Vec::new();
    for (i, servidor) in servidores.iter().enumerate() {
        for (j, &n) in conexoes.iter().enumerate() {
            let rodadas = std::mem::take(&mut medidas[i * conexoes.len() + j]);
            // Um ponto que falhou em alguma rodada aparece como falha.
            let medida = rodadas.into_iter().collect::<Result<Vec<_>, _>>().map(Medida::mediana);
            pontos.push(PontoDaEscala {
                servidor: servidor.rotulo(),
                conexoes: n,
                medida: medida.as_ref().ok().map(|m| m.resumo(n)),
                nao_mediu: medida.err(),
            });
        }
    }
    let saida = match (&args.saida, args.gravar) {
        (Some(pasta), _) => pasta.clone(),
        (None, true) => PathBuf::from("figuras"),
        (None, false) => pasta.parent().unwrap_or(&pasta).join("escala"),
    };
    std::fs::create_dir_all(&saida).with_context(|| format!("criar {}", saida.display()))?;
    let segundos = inicio.elapsed().as_secs_f64();
    let comando = if args.gravar {
        "cargo run --release --bin escala -- --gravar".to_string()
    } else {
        let mut c = "cargo run --release --bin escala".to_string();
        let mut opcoes = Vec::new();
        if args.rapido {
            opcoes.push("--rapido".to_string());
        }
        if !args.conexoes.is_empty() {
            let lista: Vec<String> = args.conexoes.iter().map(u32::to_string).collect();
            opcoes.push(format!("--conexoes {}", lista.join(",")));
        }
        if !args.servidores.is_empty() {
            opcoes.push(format!("--servidores {}", args.servidores.join(",")));
        }
        if let Some(d) = args.duracao {
            opcoes.push(format!("--duracao {d}"));
        }
        if let Some(r) = args.rodadas {
            opcoes.push(format!("--rodadas {r}"));
        }
        if !opcoes.is_empty() {
            c = format!("{c} -- {}", opcoes.join(" "));
        }
        c
    };
    let escala = Escala {
        execucao: Execucao {
            comando,
            segundos,
            maquina: ferramentas::formato::maquina(),
            rodadas: rodadas as u32,
            duracao_s: tempos.duracao,
            aquecimento_s: tempos.aquecimento,
        },
        ativas: ATIVAS,
        limite_de_arquivos: ferramentas::limite::atual(),
        portas_efemeras: portas,
        tcp_tw_reuse: sistema::sysctl("net/ipv4/tcp_tw_reuse"),
        maior_time_wait,
        espera_por_portas_s,
        pontos,
    };
    // A tabela, o gráfico e o JSON saem dos mesmos números.
    let texto = tabela::tabela(&escala);
    let arquivo_md = saida.join("escala.md");
    std::fs::write(&arquivo_md, &texto)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_svg = saida.join("escala.svg");
    grafico::desenhar(&escala, &arquivo_svg)?;
    let arquivo_json = saida.join("escala.json");
    figuras::gravar(&arquivo_json, &escala)?;
    println!("{texto}");
    eprintln!(
        "escala: escrevi {}, {} e {} em {} s",
        arquivo_md.display(),
        arquivo_json.display(),
        arquivo_svg.display(),
        inteiro(segundos)
    );
    Ok(())
}
