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
//! Os dois recursos que dez mil conexões gastam fora da memória, e o que a
//! escala faz com cada um:
//! - descritores de arquivo: um por conexão no `carga` e um no servidor. A escala sobe o próprio limite (`ulimit -n`), que o
//!   servidor e o `carga` herdam, e para com uma explicação se não der;
//! - portas efêmeras: cada conexão do `carga` ocupa uma porta local, e quem
//!   fecha primeiro (o `carga`) a deixa 60 s em TIME-WAIT. O Linux só
//!   proíbe repetir a mesma quádrupla (origem, destino), e cada ponto inicia
//!   o servidor numa porta nova, então um ponto não colide com os
//!   anteriores; mas as portas em TIME-WAIT continuam reservadas para um
//!   `bind()` na porta 0 (o do servidor seguinte). Antes de cada ponto, a
//!   escala confere quantas há (/proc/net/sockstat) e, se a faixa de portas
//!   não tiver folga para o ponto, espera as mais velhas expirarem.
//!
//! Sem `--gravar`, escreve em `target/escala/`; com `--gravar` (só numa
//! execução completa), em `figuras/escala.md` e `figuras/escala.svg`.
//! Só no Linux há o que medir (lê `/proc`); nos outros sistemas, diz isso e
//! sai.

mod grafico;
mod medida;
mod tabela;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::linha_de_comando::{faixa, faixa_decimal, ArgsAjuda, MODELO_AJUDA};
use ferramentas::formato::inteiro;
use ferramentas::sistema;
use medida::{Medida, Servidor, Tempos};
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

/// Mede quanto custa uma conexão aberta em cada servidor concorrente, de 10 a 10.000 conexões
#[derive(Parser, Debug)]
#[command(name = "escala", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta: até 1.000 conexões, uma rodada, 1 s por ponto (menos de 1 minuto)
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
    /// Grava figuras/escala.md e figuras/escala.svg (só numa execução completa)
    #[arg(long)]
    gravar: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Os números de conexões abertas de uma execução completa.
const CONEXOES: &[u32] = &[10, 100, 1_000, 10_000];
/// Os de `--rapido`.
const CONEXOES_RAPIDO: &[u32] = &[10, 100, 1_000];

/// Tamanho da fila do `listen()` pedido aos servidores: as ociosas chegam
/// uma por vez, mas uma fila curta não pode ser o limite de ninguém.
const BACKLOG: &str = "4096";

const fn s(
    rotulo: &'static str,
    programa: &'static str,
    args: &'static [&'static str],
    descritores_por_conexao: u64,
) -> Servidor {
    Servidor { rotulo, programa, args, descritores_por_conexao }
}

/// Os servidores medidos, com `-q` (sem uma linha de log por mensagem). Os
/// ecos de referência não têm log nem `--backlog` (a fila deles é 1.024).
pub const SERVIDORES: &[Servidor] = &[
    s("parte3 -q", "parte3", &["-q", "--backlog", BACKLOG], 1),
    s("parte3-poll -q", "parte3-poll", &["-q", "--backlog", BACKLOG], 1),
    s("parte3-async -q", "parte3-async", &["-q", "--backlog", BACKLOG], 1),
    s("parte4 -q", "parte4", &["-q", "--backlog", BACKLOG, "--max-clientes", "20000"], 1),
    s("eco-mio", "eco-mio", &[], 1),
    s("eco-tokio", "eco-tokio", &[], 1),
];

/// Portas efêmeras deixadas livres além das do próximo ponto: outros
/// programas da máquina também conectam.
const FOLGA_DE_PORTAS: i64 = 1_000;
/// Mais que os 60 s de TIME-WAIT do Linux: a espera por portas nunca passa disso.
const ESPERA_MAXIMA_POR_PORTAS: Duration = Duration::from_secs(75);

/// Um ponto medido (ou a razão de não ter sido).
pub struct Ponto {
    pub servidor: Servidor,
    pub conexoes: u32,
    pub medida: Result<Medida, String>,
}

/// As condições da execução, para o cabeçalho da tabela.
pub struct Condicoes {
    pub comando: String,
    pub segundos: f64,
    pub rodadas: usize,
    pub tempos: Tempos,
    pub maquina: String,
    /// Limite de arquivos abertos em vigor (herdado pelos servidores e pelo carga).
    pub limite_de_arquivos: u64,
    pub portas: Option<(u32, u32)>,
    pub tw_reuse: Option<String>,
    /// Maior número de conexões em TIME-WAIT visto antes de um ponto, e o
    /// total de segundos esperando elas expirarem.
    pub maior_time_wait: i64,
    pub espera_por_portas_s: f64,
}

fn main() {
    let args = common::linha_de_comando::ler::<Args>();
    if let Err(e) = executar(args) {
        eprintln!("escala: {e:#}");
        std::process::exit(1);
    }
}

/// Antes de um ponto com `conexoes` conexões: se as portas em TIME-WAIT
/// somadas às do ponto não couberem na faixa efêmera (com folga), espera
/// as mais velhas expirarem. Devolve quantas havia e os segundos esperados.
fn esperar_portas(conexoes: u32, portas: Option<(u32, u32)>) -> (i64, f64) {
    let (Some((baixa, alta)), Some(tcp)) = (portas, sistema::sockets_tcp()) else {
        return (0, 0.0);
    };
    let faixa = i64::from(alta) - i64::from(baixa) + 1;
    let cabe = |tw: i64| tw + i64::from(conexoes) + FOLGA_DE_PORTAS <= faixa;
    let inicio = Instant::now();
    let mut tw = tcp.time_wait;
    if !cabe(tw) {
        eprintln!(
            "escala: {} conexões em TIME-WAIT e {} a abrir não cabem nas {} portas efêmeras; \
             esperando as mais velhas expirarem (até 60 s)",
            inteiro(tw as f64),
            inteiro(f64::from(conexoes)),
            inteiro(faixa as f64)
        );
        while !cabe(tw) && inicio.elapsed() < ESPERA_MAXIMA_POR_PORTAS {
            thread::sleep(Duration::from_millis(500));
            tw = sistema::sockets_tcp().map(|t| t.time_wait).unwrap_or(0);
        }
    }
    (tcp.time_wait, inicio.elapsed().as_secs_f64())
}

/// Se o servidor não cabe no limite de arquivos abertos com `conexoes`
/// conexões, o motivo (e o `ulimit -n` que resolveria).
fn descritores_que_faltam(servidor: &Servidor, conexoes: u32) -> Option<String> {
    let precisa =
        servidor.descritores_por_conexao * u64::from(conexoes) + ferramentas::limite::FOLGA;
    let limite = ferramentas::limite::atual();
    (precisa > limite).then(|| {
        format!(
            "precisaria de {} descritores ({} por conexão), e o limite de arquivos abertos é {} \
             (`ulimit -Hn`: só sobe com privilégio); com `ulimit -n {precisa}` antes, seria medido",
            inteiro(precisa as f64),
            servidor.descritores_por_conexao,
            inteiro(limite as f64)
        )
    })
}

/// Uma linha de progresso por ponto medido.
fn mostrar(
    rodada: usize,
    rodadas: usize,
    servidor: &Servidor,
    n: u32,
    medida: &Result<Medida, String>,
) {
    let onde = format!(
        "escala: rodada {}/{rodadas}, {:<16} {:>6} conexões:",
        rodada + 1,
        servidor.rotulo,
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
                m.rss_por_conexao_kib(n).map(tabela::kib).unwrap_or_default(),
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
    let servidores: Vec<Servidor> = if args.servidores.is_empty() {
        SERVIDORES.to_vec()
    } else {
        let mut escolhidos = Vec::new();
        for nome in &args.servidores {
            let Some(s) = SERVIDORES.iter().find(|s| s.programa == nome || s.rotulo == nome) else {
                let nomes: Vec<&str> = SERVIDORES.iter().map(|s| s.programa).collect();
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

    // Descritores: o carga e os servidores são filhos desta escala e herdam
    // o limite. Sobe até o que o servidor que mais gasta precisaria no maior
    // ponto; o mínimo para medir é um descritor por conexão (o carga e quase
    // todos os servidores). Um ponto que não cabe no limite não é medido, e a
    // tabela diz por quê.
    let por_conexao = servidores.iter().map(|s| s.descritores_por_conexao).max().unwrap_or(1);
    ferramentas::limite::subir(maior * por_conexao + ferramentas::limite::FOLGA);
    ferramentas::limite::exigir(
        maior,
        &format!("o carga e cada servidor com {} conexões", inteiro(maior as f64)),
    )?;
    // Portas: um ponto sozinho precisa caber na faixa efêmera.
    let portas = sistema::portas_efemeras();
    if let Some((baixa, alta)) = portas {
        let faixa = u64::from(alta - baixa + 1);
        if maior + 1 > faixa {
            bail!(
                "a faixa de portas efêmeras ({baixa}–{alta}, net.ipv4.ip_local_port_range) tem \
                 {faixa} portas, menos que as {maior} conexões do maior ponto"
            );
        }
    }

    let pasta = ferramentas::binarios::pasta()?;
    let mut programas: Vec<&str> = servidores.iter().map(|s| s.programa).collect();
    programas.push("carga");
    ferramentas::binarios::compilar(&pasta, &programas)?;

    let inicio = Instant::now();
    let mut condicoes = Condicoes {
        comando: String::new(),
        segundos: 0.0,
        rodadas,
        tempos,
        maquina: ferramentas::formato::maquina(),
        limite_de_arquivos: ferramentas::limite::atual(),
        portas,
        tw_reuse: sistema::sysctl("net/ipv4/tcp_tw_reuse"),
        maior_time_wait: 0,
        espera_por_portas_s: 0.0,
    };
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
                let (tw, esperou) = esperar_portas(n, portas);
                condicoes.maior_time_wait = condicoes.maior_time_wait.max(tw);
                condicoes.espera_por_portas_s += esperou;
                let medida = match descritores_que_faltam(servidor, n) {
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
            pontos.push(Ponto { servidor: *servidor, conexoes: n, medida });
        }
    }
    let saida = match (&args.saida, args.gravar) {
        (Some(pasta), _) => pasta.clone(),
        (None, true) => PathBuf::from("figuras"),
        (None, false) => pasta.parent().unwrap_or(&pasta).join("escala"),
    };
    std::fs::create_dir_all(&saida).with_context(|| format!("criar {}", saida.display()))?;
    condicoes.segundos = inicio.elapsed().as_secs_f64();
    condicoes.comando = if args.gravar {
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
    let texto = tabela::tabela(&pontos, &condicoes);
    let arquivo_md = saida.join("escala.md");
    std::fs::write(&arquivo_md, &texto)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_svg = saida.join("escala.svg");
    grafico::desenhar(&pontos, &condicoes, &arquivo_svg)?;
    println!("{texto}");
    eprintln!(
        "escala: escrevi {} e {} em {} s",
        arquivo_md.display(),
        arquivo_svg.display(),
        inteiro(condicoes.segundos)
    );
    Ok(())
}
