//! Uma thread do gerador: as suas conexões, cada uma um laço fechado
//! (envia, espera a resposta, confere, envia a próxima), sobre `mio`.

use ferramentas::carga::Contas;
use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Prazo para todas as conexões completarem o `connect()`.
pub const PRAZO_DE_CONEXAO: Duration = Duration::from_secs(30);
/// Quantos `connect()` ficam pendentes ao mesmo tempo, por thread.
const LOTE_DE_CONEXOES: usize = 64;
/// Maior latência registrável no histograma (µs): 10 minutos.
pub const LATENCIA_MAXIMA_US: u64 = 600_000_000;
/// No fim, quanto esperar o servidor responder o que falta e fechar.
const PRAZO_DE_DESPEDIDA: Duration = Duration::from_secs(3);

/// O que cada thread faz: quantas mensagens sem resposta por conexão, de
/// que tamanho, e por quanto tempo (contado a partir da largada).
pub struct Pedido {
    pub pipeline: usize,
    pub tamanho: usize,
    /// Respostas nesse intervalo não contam.
    pub aquecimento: Duration,
    pub duracao: Duration,
}

/// O que uma thread do gerador devolve: os seus contadores e o erro da
/// primeira conexão que falhou (para a mensagem de "nenhuma conexão abriu").
#[derive(Default)]
pub struct DaThread {
    pub contas: Contas,
    pub primeira_falha: Option<io::Error>,
}

/// Uma conexão do gerador.
struct Conexao {
    socket: TcpStream,
    id: usize,
    conectada: bool,
    viva: bool,
    /// Chegou um aviso de leitura (dados, fim ou erro) enquanto as conexões
    /// ainda se conectavam: esse aviso não se repete (modo "borda"), então a
    /// primeira volta da medição lê o socket sem esperar um aviso novo.
    leitura_pendente: bool,
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
    pedido: &'a Pedido,
    da_thread: DaThread,
    latencias: Histogram<u64>,
    /// Respostas contadas, visíveis ao indicador de progresso.
    progresso: &'a AtomicU64,
    /// A resposta esperada, montada para comparar byte a byte.
    esperado: Vec<u8>,
    /// Buffer de leitura, reaproveitado (zerar 64 KiB a cada leitura custaria
    /// mais que a própria chamada de sistema).
    buffer: Vec<u8>,
}

/// O que uma leitura encontrou.
enum Lido {
    Dados,
    /// O servidor fechou (fim do fluxo).
    Fim,
    /// A conexão caiu (RST ou outro erro).
    Erro,
}

impl Gerador<'_> {
    fn completar_pipeline(&self, c: &mut Conexao) {
        while c.em_voo.len() < self.pedido.pipeline {
            escrever_mensagem(&mut c.saida, c.id, c.proxima, self.pedido.tamanho);
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
                    self.da_thread.contas.resets += 1;
                    return false;
                }
            }
        }
        c.saida.clear();
        c.enviados = 0;
        true
    }

    /// Lê o que há no socket para `c.entrada`. `fim_avisado`: o evento que
    /// trouxe a leitura já disse que o servidor fechou (FIN) ou que houve
    /// erro.
    fn ler_bytes(&mut self, c: &mut Conexao, fim_avisado: bool) -> Lido {
        loop {
            match c.socket.read(&mut self.buffer) {
                Ok(0) => return Lido::Fim,
                Ok(n) => {
                    c.entrada.extend_from_slice(&self.buffer[..n]);
                    // Leitura curta: o buffer do kernel ficou vazio. No Unix
                    // não é preciso outra leitura só para ouvir `WouldBlock`
                    // (uma chamada de sistema a mais por mensagem); se chegar
                    // mais, o epoll/kqueue avisa de novo. É o que o nginx faz
                    // com epoll. No Windows não: o mio simula o modo "borda"
                    // sobre o AFD e só volta a vigiar o socket depois de uma
                    // operação devolver `WouldBlock` (a documentação do mio
                    // exige ler até lá); parar antes deixaria a conexão sem
                    // nenhum aviso novo, para sempre.
                    //
                    // Nem depois de um aviso de fim: o FIN que chega junto
                    // com a última resposta vem no mesmo evento, que não se
                    // repete. A leitura curta esvaziou os dados, mas o fim
                    // do fluxo só aparece na próxima, que devolve 0; sem ela
                    // a conexão ficaria "viva" para sempre, e as mensagens
                    // que o servidor não respondeu nunca seriam contadas
                    // como faltando. (O `parte3-poll` tem a mesma guarda.)
                    if n < self.buffer.len() && cfg!(unix) && !fim_avisado {
                        return Lido::Dados;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Lido::Dados,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Lido::Erro,
            }
        }
    }

    /// Lê tudo o que há e confere cada linha; devolve `false` se a conexão caiu.
    fn ler(&mut self, c: &mut Conexao, fim_avisado: bool, medindo: bool, agora: Instant) -> bool {
        let lido = self.ler_bytes(c, fim_avisado);
        let mut consumido = 0;
        while let Some(fim) = memchr::memchr(b'\n', &c.entrada[consumido..]) {
            let linha = &c.entrada[consumido..consumido + fim];
            consumido += fim + 1;
            let Some((enviada, numero)) = c.em_voo.pop_front() else {
                self.da_thread.contas.respostas_erradas += 1;
                continue;
            };
            self.esperado.clear();
            self.esperado.extend_from_slice(b"Echo: ");
            escrever_mensagem(&mut self.esperado, c.id, numero, self.pedido.tamanho);
            if linha != self.esperado.as_slice() {
                self.da_thread.contas.respostas_erradas += 1;
                self.da_thread
                    .contas
                    .exemplo_de_erro
                    .get_or_insert_with(|| String::from_utf8_lossy(linha).into_owned());
                continue;
            }
            if medindo {
                c.medidas += 1;
                self.da_thread.contas.mensagens += 1;
                let _ = self.latencias.record(micros(agora - enviada));
            }
        }
        c.entrada.drain(..consumido);
        if medindo {
            self.progresso.store(self.da_thread.contas.mensagens, Ordering::Relaxed);
        }
        match lido {
            Lido::Dados => true,
            Lido::Fim => {
                self.da_thread.contas.respostas_faltando += c.em_voo.len() as u64;
                false
            }
            Lido::Erro => {
                self.da_thread.contas.resets += 1;
                false
            }
        }
    }
}

pub fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, LATENCIA_MAXIMA_US)
}

/// Conecta as conexões desta thread, no máximo [`LOTE_DE_CONEXOES`]
/// pendentes por vez: mil SYNs de uma vez estourariam a fila do `listen()`
/// do servidor (128), e os excedentes só seriam retransmitidos 1 s depois.
fn conectar(
    poll: &mut Poll,
    endereco: SocketAddr,
    ids: Vec<usize>,
    da_thread: &mut DaThread,
) -> io::Result<Vec<Conexao>> {
    let mut eventos = Events::with_capacity(1024);
    let mut conexoes: Vec<Conexao> = Vec::with_capacity(ids.len());
    let mut pendentes = 0;
    let mut ids = ids.into_iter();
    let prazo = Instant::now() + PRAZO_DE_CONEXAO;
    let falhou = |da_thread: &mut DaThread, e: io::Error| {
        da_thread.contas.falhas_de_conexao += 1;
        da_thread.primeira_falha.get_or_insert(e);
    };
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
                        leitura_pendente: false,
                        proxima: 0,
                        em_voo: VecDeque::new(),
                        saida: Vec::new(),
                        enviados: 0,
                        entrada: Vec::new(),
                        medidas: 0,
                    });
                    pendentes += 1;
                }
                Err(e) => falhou(da_thread, e),
            }
        }
        if pendentes == 0 {
            return Ok(conexoes);
        }
        if Instant::now() > prazo {
            for c in conexoes.iter_mut().filter(|c| !c.conectada && c.viva) {
                c.viva = false;
                falhou(da_thread, io::Error::from(ErrorKind::TimedOut));
            }
            return Ok(conexoes);
        }
        poll.poll(&mut eventos, Some(Duration::from_millis(100))).or_else(ignorar_interrupcao)?;
        for evento in eventos.iter() {
            let c = &mut conexoes[evento.token().0];
            // Um servidor que fala primeiro (ex.: "Erro: servidor lotado"
            // seguido do fim) pode ter avisado agora; ninguém lê antes da
            // largada.
            c.leitura_pendente |=
                evento.is_readable() || evento.is_read_closed() || evento.is_error();
            if c.conectada || !c.viva {
                continue;
            }
            // Um connect() não bloqueante terminou: com erro (SO_ERROR) ou
            // conectado (há endereço do outro lado).
            if let Ok(Some(e)) | Err(e) = c.socket.take_error() {
                c.viva = false;
                pendentes -= 1;
                falhou(da_thread, e);
                continue;
            }
            match c.socket.peer_addr() {
                Ok(_) => {
                    c.conectada = true;
                    let _ = c.socket.set_nodelay(true);
                    pendentes -= 1;
                }
                Err(e) if e.kind() == ErrorKind::NotConnected => {}
                Err(e) => {
                    c.viva = false;
                    pendentes -= 1;
                    falhou(da_thread, e);
                }
            }
        }
    }
}

fn ignorar_interrupcao(e: io::Error) -> io::Result<()> {
    if e.kind() == ErrorKind::Interrupted {
        Ok(())
    } else {
        Err(e)
    }
}

/// Uma thread do gerador: conecta as suas conexões, espera as outras
/// threads (`largada`) e gera carga até o fim da medição; então se despede
/// de cada conexão como um cliente educado.
pub fn rodar(
    pedido: &Pedido,
    endereco: SocketAddr,
    ids: Vec<usize>,
    largada: impl FnOnce(),
    progresso: &AtomicU64,
) -> io::Result<(DaThread, Histogram<u64>)> {
    let mut poll = Poll::new()?;
    let mut eventos = Events::with_capacity(1024);
    let mut gerador = Gerador {
        pedido,
        da_thread: DaThread::default(),
        latencias: Histogram::new_with_bounds(1, LATENCIA_MAXIMA_US, 3).expect("limites válidos"),
        progresso,
        esperado: Vec::new(),
        buffer: vec![0; 64 * 1024],
    };
    let conectadas = conectar(&mut poll, endereco, ids, &mut gerador.da_thread);
    largada(); // mesmo com erro: as outras threads não podem ficar esperando
    let mut conexoes = conectadas?;
    let aquecimento_ate = Instant::now() + pedido.aquecimento;
    let fim = aquecimento_ate + pedido.duracao;
    for c in conexoes.iter_mut().filter(|c| c.viva) {
        // O que chegou antes da largada: lido até o fim do que há (como
        // depois de um aviso de fim, sem o atalho da leitura curta).
        if c.leitura_pendente && !gerador.ler(c, true, false, Instant::now()) {
            c.viva = false;
            continue;
        }
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
            .or_else(ignorar_interrupcao)?;
        let agora = Instant::now();
        let medindo = agora >= aquecimento_ate && agora < fim;
        for evento in eventos.iter() {
            let c = &mut conexoes[evento.token().0];
            if !c.viva {
                continue;
            }
            let fim_avisado = evento.is_read_closed() || evento.is_error();
            if evento.is_readable() && !gerador.ler(c, fim_avisado, medindo, agora) {
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
    gerador.da_thread.contas.atendidos = conexoes.iter().filter(|c| c.medidas > 0).count() as u64;
    let agora = Instant::now();
    for c in conexoes.iter().filter(|c| c.viva) {
        for (enviada, _) in c.em_voo.iter().filter(|(t, _)| *t >= aquecimento_ate) {
            let _ = gerador.latencias.record(micros(agora - *enviada));
        }
    }
    despedir(&mut poll, &mut conexoes, &mut gerador.buffer)?;
    Ok((gerador.da_thread, gerador.latencias))
}

/// Encerra cada conexão como um cliente comum: fecha o lado de escrita
/// (o servidor vê o fim do fluxo, responde o que falta e fecha) e lê até o
/// fim, por no máximo [`PRAZO_DE_DESPEDIDA`]. Fechar com respostas ainda
/// não lidas faria o kernel mandar RST, e o servidor registraria uma falha
/// que não houve.
fn despedir(poll: &mut Poll, conexoes: &mut [Conexao], buffer: &mut [u8]) -> io::Result<()> {
    let mut abertas = 0;
    for c in conexoes.iter_mut().filter(|c| c.viva && c.conectada) {
        if c.socket.shutdown(Shutdown::Write).is_ok() {
            abertas += 1;
        } else {
            c.viva = false;
        }
    }
    let prazo = Instant::now() + PRAZO_DE_DESPEDIDA;
    let mut eventos = Events::with_capacity(1024);
    // Cada conexão lê até o fim do fluxo, sem conferir mais nada.
    let mut esvaziar = |c: &mut Conexao| loop {
        match c.socket.read(buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    };
    for c in conexoes.iter_mut().filter(|c| c.viva && c.conectada) {
        if esvaziar(c) {
            c.viva = false;
            abertas -= 1;
        }
    }
    while abertas > 0 && Instant::now() < prazo {
        poll.poll(&mut eventos, Some(prazo.saturating_duration_since(Instant::now())))
            .or_else(ignorar_interrupcao)?;
        for evento in eventos.iter() {
            let c = &mut conexoes[evento.token().0];
            if c.viva && c.conectada && esvaziar(c) {
                c.viva = false;
                abertas -= 1;
            }
        }
    }
    Ok(())
}
