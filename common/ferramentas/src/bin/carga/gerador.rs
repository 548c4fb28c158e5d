//! Uma thread do gerador: as suas conexões, cada uma um laço fechado
//! (envia, espera a resposta, confere, envia a próxima), sobre `mio`.

use crate::conexoes::{conectar, despedir, ignorar_interrupcao, Conexao};
use ferramentas::carga::Contas;
use hdrhistogram::Histogram;
use mio::{Events, Poll};
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Maior latência registrável no histograma (µs): 10 minutos.
pub const LATENCIA_MAXIMA_US: u64 = 600_000_000;

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
