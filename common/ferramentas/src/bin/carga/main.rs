//! `carga`: gerador de carga para os servidores Echo.
//!
//! C conexões, cada uma um laço fechado: envia uma mensagem única, espera a
//! resposta, confere byte a byte e envia a próxima (com `--pipeline N`, N
//! mensagens enviadas sem esperar resposta, por conexão). Mede por
//! `--duracao` segundos depois de um aquecimento que não conta, e relata
//! mensagens por segundo, percentis de latência e todo erro (falha de
//! conexão, resposta errada ou faltando, RST). No fim, cada conexão se
//! despede como um cliente comum (fim do fluxo), para o servidor registrar
//! uma desconexão normal.
//!
//! Com `--ociosos K`, K conexões a mais abrem antes da medição, uma por vez,
//! cada uma com um eco (a prova de que o servidor a aceitou e atende, e não
//! a deixou só na fila do `listen()`), e ficam paradas até o fim: o custo
//! de uma conexão que não faz nada (a `escala` mede até 10.000). O `carga`
//! sobe o seu próprio limite de arquivos abertos (`ulimit -n`), e diz o que
//! fazer se nem assim couberem todas as conexões.
//!
//! Para não ser o gargalo, o gerador usa E/S não bloqueante com `mio` (epoll
//! no Linux, kqueue no macOS, IOCP no Windows): uma thread atende muitas
//! conexões, sem uma troca de contexto por mensagem, e cada rodada de
//! `poll()` serve todas as conexões prontas.

mod conexoes;
mod gerador;
mod ociosas;

use anyhow::{anyhow, bail, Context, Result};
use apoio::linux::cpu_do_processo;
use clap::Parser;
use common::erros::descrever;
use common::linha_de_comando::{faixa, faixa_decimal, ArgsAjuda, MODELO_AJUDA};
use common::rede::{host_porta, resolver, PORTA_PADRAO};
use common::texto::{milhares, quantidade};
use ferramentas::carga::Relatorio;
use ferramentas::formato::inteiro;
use gerador::{DaThread, Pedido, LATENCIA_MAXIMA_US};
use hdrhistogram::Histogram;
use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Gera carga contra um servidor Echo já rodando e mede vazão e latência
#[derive(Parser, Debug, Clone)]
#[command(name = "carga", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Servidor (padrão: localhost)
    #[arg(long, default_value = "localhost", hide_default_value = true)]
    host: String,
    /// Porta do servidor (padrão: 5000)
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true, value_parser = faixa(1u16, 65_535))]
    porta: u16,
    /// Conexões ativas, cada uma um laço fechado (padrão: 10)
    #[arg(long, default_value_t = 10, hide_default_value = true, value_parser = faixa(1u32, 20_000))]
    clientes: u32,
    /// Segundos medidos (padrão: 5), depois do aquecimento
    #[arg(long, value_name = "S", default_value_t = 5.0, hide_default_value = true,
          value_parser = faixa_decimal(0.01, 3600.0))]
    duracao: f64,
    /// Segundos de aquecimento, que não contam (padrão: 1)
    #[arg(long, value_name = "S", default_value_t = 1.0, hide_default_value = true,
          value_parser = faixa_decimal(0.0, 600.0))]
    aquecimento: f64,
    /// Mensagens enviadas sem esperar resposta, por conexão (padrão: 1, vai e volta)
    #[arg(long, value_name = "N", default_value_t = 1, hide_default_value = true, value_parser = faixa(1u32, 4096))]
    pipeline: u32,
    /// Bytes por mensagem, sem o \n (padrão: 32)
    #[arg(long, value_name = "B", default_value_t = 32, hide_default_value = true, value_parser = faixa(24u32, 65_536))]
    tamanho: u32,
    /// Conexões extras abertas antes da medição, cada uma com um eco, e depois ociosas (padrão: 0)
    #[arg(long, value_name = "K", default_value_t = 0, hide_default_value = true, value_parser = faixa(0u32, 20_000))]
    ociosos: u32,
    /// Threads do gerador (padrão: 1)
    #[arg(long, default_value_t = 1, hide_default_value = true, value_parser = faixa(1u32, 64))]
    threads: u32,
    /// Imprime o resultado como uma linha JSON
    #[arg(long)]
    json: bool,
    /// Para a `escala`: escreve "carga: largada" na saída de erros quando
    /// todas as conexões abriram e o aquecimento começa
    #[arg(long, hide = true)]
    anunciar_largada: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

fn executar(args: &Args) -> Result<Relatorio> {
    let onde = host_porta(&args.host, args.porta);
    let conexoes = u64::from(args.clientes + args.ociosos);
    ferramentas::limite::exigir(
        conexoes,
        &format!("o carga com {}", quantidade(conexoes, "conexão", "conexões")),
    )?;
    let endereco = resolver(&args.host, args.porta).map_err(|_| {
        anyhow!("o nome {:?} não foi encontrado (DNS); confira o --host", args.host)
    })?[0];
    // As conexões ociosas: abertas antes, cada uma com um eco, mantidas até o fim.
    let mut total = DaThread::default();
    let ociosos = ociosas::abrir(endereco, args.ociosos, &mut total);
    let progresso: Arc<Vec<AtomicU64>> =
        Arc::new((0..args.threads).map(|_| AtomicU64::new(0)).collect());
    let pedido = Arc::new(Pedido {
        pipeline: args.pipeline as usize,
        tamanho: args.tamanho as usize,
        aquecimento: Duration::from_secs_f64(args.aquecimento),
        duracao: Duration::from_secs_f64(args.duracao),
    });
    // Todas as threads (e esta) largam juntas, depois de conectar.
    let largada = Arc::new(Barrier::new(args.threads as usize + 1));
    let mut threads = Vec::new();
    for t in 0..args.threads as usize {
        let ids: Vec<usize> =
            (0..args.clientes as usize).filter(|i| i % args.threads as usize == t).collect();
        let (progresso, largada, pedido) =
            (Arc::clone(&progresso), Arc::clone(&largada), Arc::clone(&pedido));
        threads.push(thread::spawn(move || {
            gerador::rodar(
                &pedido,
                endereco,
                ids,
                || {
                    largada.wait();
                },
                &progresso[t],
            )
        }));
    }
    largada.wait();
    if args.anunciar_largada {
        eprintln!("carga: largada");
    }
    let cpu_inicial = cpu_do_processo();
    let aquecimento_ate = Instant::now() + pedido.aquecimento;
    mostrar_progresso(&progresso, aquecimento_ate, aquecimento_ate + pedido.duracao, args.json);
    let mut latencias =
        Histogram::<u64>::new_with_bounds(1, LATENCIA_MAXIMA_US, 3).expect("limites válidos");
    for t in threads {
        let (da_thread, h) = t
            .join()
            .map_err(|_| anyhow!("uma thread do gerador entrou em pânico"))?
            .context("poll()")?;
        total.contas.somar(da_thread.contas);
        total.primeira_falha = total.primeira_falha.or(da_thread.primeira_falha);
        latencias.add(&h).expect("histogramas com os mesmos limites");
    }
    // As ociosas se despedem com o fim do fluxo (nada foi enviado nem há
    // resposta a ler, então o fechamento é um FIN comum).
    drop(ociosos);
    if total.contas.falhas_de_conexao == conexoes {
        let motivo = total.primeira_falha.as_ref().map(descrever).unwrap_or_default();
        bail!(
            "não foi possível conectar a {onde}: {motivo}. Nenhuma conexão abriu, nada foi \
             medido. O servidor está rodando nessa porta?"
        );
    }
    let cpu_s = cpu_inicial.zip(cpu_do_processo()).map(|(a, b)| b - a);
    let percentil = |q: f64| if latencias.is_empty() { 0 } else { latencias.value_at_quantile(q) };
    Ok(Relatorio {
        clientes: args.clientes,
        pipeline: args.pipeline,
        tamanho: args.tamanho,
        ociosos: args.ociosos,
        duracao_s: args.duracao,
        mensagens_por_s: total.contas.mensagens as f64 / args.duracao,
        p50_us: percentil(0.5),
        p99_us: percentil(0.99),
        p999_us: percentil(0.999),
        max_us: latencias.max(),
        contas: total.contas,
        cpu_s,
    })
}

/// Uma linha de progresso por segundo, na saída de erros, se ela for um terminal.
fn mostrar_progresso(contadores: &[AtomicU64], aquecimento_ate: Instant, fim: Instant, json: bool) {
    let terminal = io::stderr().is_terminal() && !json;
    let mut anterior = 0;
    while Instant::now() < fim {
        thread::sleep(
            Duration::from_millis(1000).min(fim.saturating_duration_since(Instant::now())),
        );
        if !terminal {
            continue;
        }
        let agora = Instant::now();
        let total: u64 = contadores.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        if agora < aquecimento_ate {
            eprint!("\rcarga: aquecendo...                          ");
        } else {
            let resta = fim.saturating_duration_since(agora).as_secs_f64();
            eprint!("\rcarga: {:>10} msg/s, faltam {resta:>4.1} s     ", total - anterior);
        }
        anterior = total;
    }
    if terminal {
        eprintln!();
    }
}

fn formatar_us(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1000.0).replace('.', ",")
    } else {
        format!("{:.2} s", us as f64 / 1e6).replace('.', ",")
    }
}

fn mostrar(r: &Relatorio, args: &Args) {
    println!(
        "carga: {} × pipeline {}, mensagens de {} bytes, {} s medidos contra {}",
        quantidade(u64::from(r.clientes), "conexão", "conexões"),
        r.pipeline,
        r.tamanho,
        r.duracao_s.to_string().replace('.', ","),
        host_porta(&args.host, args.porta)
    );
    println!(
        "mensagens respondidas: {} ({} msg/s); conexões atendidas: {} de {}",
        milhares(r.contas.mensagens),
        inteiro(r.mensagens_por_s),
        milhares(r.contas.atendidos),
        milhares(u64::from(r.clientes))
    );
    if r.ociosos > 0 {
        println!(
            "conexões ociosas: {} de {} responderam ao eco de chegada e ficaram abertas",
            r.contas.ociosos_atendidos, r.ociosos
        );
    }
    println!(
        "latência: p50 {}, p99 {}, p99,9 {}, máx {}",
        formatar_us(r.p50_us),
        formatar_us(r.p99_us),
        formatar_us(r.p999_us),
        formatar_us(r.max_us)
    );
    println!(
        "falhas de conexão: {}; respostas erradas: {}; respostas faltando: {}; resets: {}",
        r.contas.falhas_de_conexao,
        r.contas.respostas_erradas,
        r.contas.respostas_faltando,
        r.contas.resets
    );
    if let Some(exemplo) = &r.contas.exemplo_de_erro {
        println!(
            "exemplo de resposta inesperada: {}",
            common::texto::texto_seguro(exemplo.as_bytes())
        );
    }
    if let Some(cpu) = r.cpu_s {
        let total = args.aquecimento + args.duracao;
        println!(
            "CPU do gerador: {} s em {} s",
            format!("{cpu:.2}").replace('.', ","),
            format!("{total:.1}").replace('.', ",")
        );
    }
}

fn main() {
    let args: Args = common::linha_de_comando::ler();
    match executar(&args) {
        Ok(r) => {
            if args.json {
                println!("{}", serde_json::to_string(&r).expect("relatório serializável"));
            } else {
                mostrar(&r, &args);
            }
            std::process::exit(if r.erros() > 0 { 1 } else { 0 });
        }
        Err(e) => {
            eprintln!("carga: {e:#}");
            std::process::exit(1);
        }
    }
}
