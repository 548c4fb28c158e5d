//! `carga`: gerador de carga para os servidores Echo.
//!
//! C conexões, cada uma um laço fechado: envia uma mensagem única, espera a
//! resposta, confere byte a byte e envia a próxima (com `--pipeline N`, N
//! mensagens em voo por conexão). Mede por `--duracao` segundos depois de um
//! aquecimento que não conta, e relata mensagens por segundo, percentis de
//! latência e todo erro (falha de conexão, resposta errada ou faltando, RST).
//!
//! Para não ser o gargalo, o gerador usa E/S não bloqueante com `mio` (epoll
//! no Linux, kqueue no macOS, IOCP no Windows): uma thread atende muitas
//! conexões, sem uma troca de contexto por mensagem, e cada rodada de
//! `poll()` serve todas as conexões prontas.

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::rede::{resolver, ArgsAjuda, MODELO_AJUDA, PORTA_PADRAO};
use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use serde::Serialize;
use std::collections::VecDeque;
use std::io::{self, ErrorKind, IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Prazo para todas as conexões completarem o `connect()`.
const PRAZO_DE_CONEXAO: Duration = Duration::from_secs(30);
/// Quantos `connect()` ficam pendentes ao mesmo tempo, por thread.
const LOTE_DE_CONEXOES: usize = 64;
/// Maior latência registrável no histograma (µs): 10 minutos.
const LATENCIA_MAXIMA_US: u64 = 600_000_000;

/// Gera carga contra um servidor Echo e mede vazão e latência
#[derive(Parser, Debug, Clone)]
#[command(name = "carga", about, disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Servidor (padrão: localhost)
    #[arg(long, default_value = "localhost", hide_default_value = true)]
    host: String,
    /// Porta do servidor (padrão: 5000)
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true)]
    porta: u16,
    /// Conexões ativas, cada uma um laço fechado (padrão: 10)
    #[arg(long, default_value_t = 10, hide_default_value = true, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    clientes: u32,
    /// Segundos medidos (padrão: 5), depois do aquecimento
    #[arg(long, value_name = "S", default_value_t = 5.0, hide_default_value = true)]
    duracao: f64,
    /// Segundos de aquecimento, que não contam (padrão: 1)
    #[arg(long, value_name = "S", default_value_t = 1.0, hide_default_value = true)]
    aquecimento: f64,
    /// Mensagens em voo por conexão (padrão: 1, vai e volta)
    #[arg(long, value_name = "N", default_value_t = 1, hide_default_value = true, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pipeline: u32,
    /// Bytes por mensagem, sem o \n (padrão: 32)
    #[arg(long, value_name = "B", default_value_t = 32, hide_default_value = true, value_parser = clap::value_parser!(u32).range(24..=65_536))]
    tamanho: u32,
    /// Conexões extras abertas e paradas durante a medição (padrão: 0)
    #[arg(long, value_name = "K", default_value_t = 0, hide_default_value = true)]
    ociosos: u32,
    /// Threads do gerador (padrão: 1)
    #[arg(long, default_value_t = 1, hide_default_value = true, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// Imprime o resultado como uma linha JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// O resultado, também a linha do `--json`.
#[derive(Serialize, Debug, Default)]
struct Relatorio {
    clientes: u32,
    pipeline: u32,
    tamanho: u32,
    ociosos: u32,
    duracao_s: f64,
    mensagens: u64,
    mensagens_por_s: f64,
    p50_us: u64,
    p99_us: u64,
    p999_us: u64,
    max_us: u64,
    falhas_de_conexao: u64,
    respostas_erradas: u64,
    respostas_faltando: u64,
    resets: u64,
    /// Conexões que receberam ao menos uma resposta durante a medição (num
    /// servidor serial, só uma: as outras esperam a vez).
    atendidos: u64,
    /// Tempo de CPU gasto pelo próprio gerador (Linux), para conferir que ele
    /// não é o gargalo.
    cpu_s: Option<f64>,
    /// A primeira linha inesperada recebida (ex.: `Erro: servidor lotado`).
    exemplo_de_erro: Option<String>,
}

/// Contadores de uma thread.
#[derive(Default)]
struct Contas {
    mensagens: u64,
    falhas_de_conexao: u64,
    respostas_erradas: u64,
    respostas_faltando: u64,
    resets: u64,
    atendidos: u64,
    exemplo_de_erro: Option<String>,
}

/// Uma conexão do gerador.
struct Conexao {
    socket: TcpStream,
    id: usize,
    conectada: bool,
    viva: bool,
    /// Número da próxima mensagem.
    proxima: u64,
    /// (enviada em, número) das mensagens sem resposta, em ordem.
    em_voo: VecDeque<(Instant, u64)>,
    /// Bytes a enviar; `enviados` é quanto já foi.
    saida: Vec<u8>,
    enviados: usize,
    /// Bytes recebidos que ainda não formam uma linha.
    entrada: Vec<u8>,
    /// Respostas recebidas durante a medição.
    medidas: u64,
}

/// A mensagem `numero` da conexão `id`, com `tamanho` bytes: única, para
/// que uma resposta trocada ou repetida seja percebida.
fn escrever_mensagem(destino: &mut Vec<u8>, id: usize, numero: u64, tamanho: usize) {
    let inicio = destino.len();
    let _ = write!(destino, "c{id:06}m{numero:012}");
    destino.resize(inicio + tamanho, b'.');
}

struct Gerador<'a> {
    pipeline: usize,
    tamanho: usize,
    contas: Contas,
    latencias: Histogram<u64>,
    /// Respostas contadas, visíveis ao indicador de progresso.
    progresso: &'a AtomicU64,
    /// A resposta esperada, montada para comparar byte a byte.
    esperado: Vec<u8>,
    /// Buffer de leitura, reaproveitado (zerar 64 KiB a cada leitura custaria
    /// mais que a própria chamada de sistema).
    buffer: Vec<u8>,
}

impl Gerador<'_> {
    fn completar_pipeline(&self, c: &mut Conexao) {
        while c.em_voo.len() < self.pipeline {
            escrever_mensagem(&mut c.saida, c.id, c.proxima, self.tamanho);
            c.saida.push(b'\n');
            c.em_voo.push_back((Instant::now(), c.proxima));
            c.proxima += 1;
        }
    }

    /// Escreve o que der; devolve `false` se a conexão caiu.
    fn escrever(&mut self, c: &mut Conexao) -> bool {
        while c.enviados < c.saida.len() {
            match c.socket.write(&c.saida[c.enviados..]) {
                Ok(n) => c.enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.contas.resets += 1;
                    return false;
                }
            }
        }
        c.saida.clear();
        c.enviados = 0;
        true
    }

    /// Lê tudo o que há e confere cada linha; devolve `false` se a conexão caiu.
    fn ler(&mut self, c: &mut Conexao, medindo: bool, agora: Instant) -> bool {
        loop {
            match c.socket.read(&mut self.buffer) {
                Ok(0) => {
                    self.contas.respostas_faltando += c.em_voo.len() as u64;
                    return false;
                }
                Ok(n) => {
                    c.entrada.extend_from_slice(&self.buffer[..n]);
                    // Leitura curta: o buffer do kernel ficou vazio. Não é
                    // preciso outra leitura só para ouvir `WouldBlock` (uma
                    // chamada de sistema a mais por mensagem); se chegar mais,
                    // o poll avisa de novo. É o que o nginx faz com epoll.
                    if n < self.buffer.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.contas.resets += 1;
                    return false;
                }
            }
        }
        let mut consumido = 0;
        while let Some(fim) = memchr::memchr(b'\n', &c.entrada[consumido..]) {
            let linha = &c.entrada[consumido..consumido + fim];
            consumido += fim + 1;
            let Some((enviada, numero)) = c.em_voo.pop_front() else {
                self.contas.respostas_erradas += 1;
                continue;
            };
            self.esperado.clear();
            self.esperado.extend_from_slice(b"Echo: ");
            escrever_mensagem(&mut self.esperado, c.id, numero, self.tamanho);
            if linha != self.esperado.as_slice() {
                self.contas.respostas_erradas += 1;
                self.contas
                    .exemplo_de_erro
                    .get_or_insert_with(|| String::from_utf8_lossy(linha).into_owned());
                continue;
            }
            if medindo {
                c.medidas += 1;
                self.contas.mensagens += 1;
                let _ = self.latencias.record(micros(agora - enviada));
            }
        }
        c.entrada.drain(..consumido);
        if medindo {
            self.progresso.store(self.contas.mensagens, Ordering::Relaxed);
        }
        true
    }
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, LATENCIA_MAXIMA_US)
}

/// Conecta as conexões desta thread, no máximo [`LOTE_DE_CONEXOES`]
/// pendentes por vez: mil SYNs de uma vez estourariam a fila do `listen()`
/// do servidor (128), e os excedentes só seriam retransmitidos 1 s depois.
fn conectar(
    poll: &mut Poll,
    endereco: SocketAddr,
    ids: Vec<usize>,
    contas: &mut Contas,
) -> Result<Vec<Conexao>> {
    let mut eventos = Events::with_capacity(1024);
    let mut conexoes: Vec<Conexao> = Vec::with_capacity(ids.len());
    let mut pendentes = 0;
    let mut ids = ids.into_iter();
    let prazo = Instant::now() + PRAZO_DE_CONEXAO;
    loop {
        while pendentes < LOTE_DE_CONEXOES {
            let Some(id) = ids.next() else { break };
            match TcpStream::connect(endereco) {
                Ok(mut socket) => {
                    let token = Token(conexoes.len());
                    poll.registry().register(
                        &mut socket,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    conexoes.push(Conexao {
                        socket,
                        id,
                        conectada: false,
                        viva: true,
                        proxima: 0,
                        em_voo: VecDeque::new(),
                        saida: Vec::new(),
                        enviados: 0,
                        entrada: Vec::new(),
                        medidas: 0,
                    });
                    pendentes += 1;
                }
                Err(_) => contas.falhas_de_conexao += 1,
            }
        }
        if pendentes == 0 {
            return Ok(conexoes);
        }
        if Instant::now() > prazo {
            for c in conexoes.iter_mut().filter(|c| !c.conectada) {
                c.viva = false;
                contas.falhas_de_conexao += 1;
            }
            return Ok(conexoes);
        }
        poll.poll(&mut eventos, Some(Duration::from_millis(100))).or_else(|e| {
            if e.kind() == ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        for evento in eventos.iter() {
            let c = &mut conexoes[evento.token().0];
            if c.conectada || !c.viva {
                continue;
            }
            if evento.is_error() || c.socket.take_error().ok().flatten().is_some() {
                c.viva = false;
                contas.falhas_de_conexao += 1;
                pendentes -= 1;
                continue;
            }
            match c.socket.peer_addr() {
                Ok(_) => {
                    c.conectada = true;
                    let _ = c.socket.set_nodelay(true);
                    pendentes -= 1;
                }
                Err(e) if e.kind() == ErrorKind::NotConnected => {}
                Err(_) => {
                    c.viva = false;
                    contas.falhas_de_conexao += 1;
                    pendentes -= 1;
                }
            }
        }
    }
}

/// Uma thread do gerador: conecta as suas conexões, espera as outras
/// threads (`largada`) e gera carga até o fim da medição.
fn rodar(
    args: &Args,
    endereco: SocketAddr,
    ids: Vec<usize>,
    largada: &Barrier,
    progresso: &AtomicU64,
) -> Result<(Contas, Histogram<u64>)> {
    let mut poll = Poll::new().context("criar o poll")?;
    let mut eventos = Events::with_capacity(1024);
    let mut gerador = Gerador {
        pipeline: args.pipeline as usize,
        tamanho: args.tamanho as usize,
        contas: Contas::default(),
        latencias: Histogram::new_with_bounds(1, LATENCIA_MAXIMA_US, 3).expect("limites válidos"),
        progresso,
        esperado: Vec::new(),
        buffer: vec![0; 64 * 1024],
    };
    let conectadas = conectar(&mut poll, endereco, ids, &mut gerador.contas);
    largada.wait(); // mesmo com erro: as outras threads não podem ficar esperando
    let mut conexoes = conectadas?;
    let inicio = Instant::now();
    let aquecimento_ate = inicio + Duration::from_secs_f64(args.aquecimento);
    let fim = aquecimento_ate + Duration::from_secs_f64(args.duracao);
    for c in conexoes.iter_mut().filter(|c| c.viva) {
        gerador.completar_pipeline(c);
        if !gerador.escrever(c) {
            c.viva = false;
        }
    }
    loop {
        let agora = Instant::now();
        if agora >= fim {
            break;
        }
        poll.poll(&mut eventos, Some((fim - agora).min(Duration::from_millis(100))))
            .or_else(|e| if e.kind() == ErrorKind::Interrupted { Ok(()) } else { Err(e) })?;
        let agora = Instant::now();
        let medindo = agora >= aquecimento_ate && agora < fim;
        for evento in eventos.iter() {
            let c = &mut conexoes[evento.token().0];
            if !c.viva {
                continue;
            }
            if evento.is_readable() && !gerador.ler(c, medindo, agora) {
                c.viva = false;
                continue;
            }
            gerador.completar_pipeline(c);
            if !gerador.escrever(c) {
                c.viva = false;
            }
        }
    }
    // Mensagens ainda sem resposta: num servidor serial, os clientes que
    // nunca foram atendidos. A idade delas entra no histograma como um
    // limite inferior da latência (senão esses clientes não apareceriam).
    gerador.contas.atendidos = conexoes.iter().filter(|c| c.medidas > 0).count() as u64;
    let agora = Instant::now();
    for c in conexoes.iter().filter(|c| c.viva) {
        for (enviada, _) in c.em_voo.iter().filter(|(t, _)| *t >= aquecimento_ate) {
            let _ = gerador.latencias.record(micros(agora - *enviada));
        }
    }
    Ok((gerador.contas, gerador.latencias))
}

/// Tempo de CPU (usuário + sistema) deste processo, em segundos (Linux).
fn cpu_do_processo() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let campos: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = campos.get(11)?.parse::<f64>().ok()? + campos.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ é 100 em todas as arquiteturas Linux comuns
}

fn executar(args: &Args) -> Result<Relatorio> {
    let valido =
        args.duracao > 0.0 && args.duracao <= 3600.0 && (0.0..=600.0).contains(&args.aquecimento);
    if !valido {
        bail!("--duracao deve estar entre 0 e 3600 s e --aquecimento entre 0 e 600 s");
    }
    let endereco = resolver(&args.host, args.porta)
        .map_err(|_| anyhow::anyhow!("nome de host desconhecido ({:?})", args.host))?[0];
    // As conexões ociosas: abertas antes, mantidas até o fim.
    let mut ociosos = Vec::new();
    let mut falhas_ociosos = 0;
    for _ in 0..args.ociosos {
        match std::net::TcpStream::connect_timeout(&endereco, PRAZO_DE_CONEXAO) {
            Ok(s) => ociosos.push(s),
            Err(_) => falhas_ociosos += 1,
        }
    }
    let progresso: Arc<Vec<AtomicU64>> =
        Arc::new((0..args.threads).map(|_| AtomicU64::new(0)).collect());
    // Todas as threads (e esta) largam juntas, depois de conectar.
    let largada = Arc::new(Barrier::new(args.threads as usize + 1));
    let mut threads = Vec::new();
    for t in 0..args.threads as usize {
        let ids: Vec<usize> =
            (0..args.clientes as usize).filter(|i| i % args.threads as usize == t).collect();
        let args = args.clone();
        let progresso = Arc::clone(&progresso);
        let largada = Arc::clone(&largada);
        threads.push(thread::spawn(move || rodar(&args, endereco, ids, &largada, &progresso[t])));
    }
    largada.wait();
    let cpu_inicial = cpu_do_processo();
    let aquecimento_ate = Instant::now() + Duration::from_secs_f64(args.aquecimento);
    let fim = aquecimento_ate + Duration::from_secs_f64(args.duracao);
    mostrar_progresso(&progresso, aquecimento_ate, fim, args.json);
    let mut total = Contas { falhas_de_conexao: falhas_ociosos, ..Default::default() };
    let mut latencias =
        Histogram::<u64>::new_with_bounds(1, LATENCIA_MAXIMA_US, 3).expect("limites válidos");
    for t in threads {
        let (contas, h) =
            t.join().map_err(|_| anyhow::anyhow!("uma thread do gerador entrou em pânico"))??;
        total.mensagens += contas.mensagens;
        total.falhas_de_conexao += contas.falhas_de_conexao;
        total.respostas_erradas += contas.respostas_erradas;
        total.respostas_faltando += contas.respostas_faltando;
        total.resets += contas.resets;
        total.atendidos += contas.atendidos;
        total.exemplo_de_erro = total.exemplo_de_erro.or(contas.exemplo_de_erro);
        latencias.add(&h).expect("histogramas com os mesmos limites");
    }
    drop(ociosos);
    let cpu_s = cpu_inicial.zip(cpu_do_processo()).map(|(a, b)| b - a);
    let mensagens_por_s = total.mensagens as f64 / args.duracao;
    let percentil = |q: f64| if latencias.is_empty() { 0 } else { latencias.value_at_quantile(q) };
    Ok(Relatorio {
        clientes: args.clientes,
        pipeline: args.pipeline,
        tamanho: args.tamanho,
        ociosos: args.ociosos,
        duracao_s: args.duracao,
        mensagens: total.mensagens,
        mensagens_por_s,
        p50_us: percentil(0.5),
        p99_us: percentil(0.99),
        p999_us: percentil(0.999),
        max_us: latencias.max(),
        falhas_de_conexao: total.falhas_de_conexao,
        respostas_erradas: total.respostas_erradas,
        respostas_faltando: total.respostas_faltando,
        resets: total.resets,
        atendidos: total.atendidos,
        cpu_s,
        exemplo_de_erro: total.exemplo_de_erro,
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

fn main() {
    let args = Args::parse();
    match executar(&args) {
        Ok(r) => {
            if args.json {
                println!("{}", serde_json::to_string(&r).expect("relatório serializável"));
            } else {
                println!(
                    "carga: {} conexão(ões) × pipeline {}, mensagens de {} bytes, {} s medidos contra {}:{}",
                    r.clientes, r.pipeline, r.tamanho, r.duracao_s, args.host, args.porta
                );
                println!(
                    "mensagens respondidas: {} ({:.0} msg/s); conexões atendidas: {} de {}",
                    r.mensagens, r.mensagens_por_s, r.atendidos, r.clientes
                );
                println!(
                    "latência: p50 {}, p99 {}, p99,9 {}, máx {}",
                    formatar_us(r.p50_us),
                    formatar_us(r.p99_us),
                    formatar_us(r.p999_us),
                    formatar_us(r.max_us)
                );
                println!(
                    "falhas de conexão: {}; respostas erradas: {}; respostas faltando: {}; resets: {}",
                    r.falhas_de_conexao, r.respostas_erradas, r.respostas_faltando, r.resets
                );
                if let Some(exemplo) = &r.exemplo_de_erro {
                    println!(
                        "exemplo de resposta inesperada: {}",
                        common::texto::texto_seguro(exemplo.as_bytes())
                    );
                }
                if let Some(cpu) = r.cpu_s {
                    println!(
                        "CPU do gerador: {cpu:.2} s em {:.1} s",
                        args.aquecimento + args.duracao
                    );
                }
            }
            let erros = r.falhas_de_conexao + r.respostas_erradas + r.respostas_faltando + r.resets;
            std::process::exit(if erros > 0 { 1 } else { 0 });
        }
        Err(e) => {
            eprintln!("carga: {e:#}");
            std::process::exit(1);
        }
    }
}
