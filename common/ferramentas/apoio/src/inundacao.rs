//! A inundação: algumas conexões mandam linhas curtas o mais rápido que o
//! servidor as aceita, e um cliente leve mede quanto espera por cada
//! resposta enquanto isso. É a prova de justiça dos servidores concorrentes:
//! nenhum cliente pode segurar os outros. Um laço de eventos que lê um
//! socket até ele esvaziar nunca largaria quem não para de enviar, e o
//! cliente leve esperaria para sempre.
//!
//! Usada pelos testes ([`crate::provas::inundacao_nao_segura_os_outros`]) e
//! pela ferramenta `inundacao`, que mede todos os servidores e escreve a
//! tabela.

use common::protocolo::{LeitorDeLinhas, Recebido, PREFIXO_ECO};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A linha que cada conexão da inundação repete: 16 bytes com o `\n`.
pub const LINHA: &[u8; 16] = b"inundando-0123!\n";

/// Cada escrita da inundação: 64 KiB de linhas (4.096 linhas).
pub const BLOCO: usize = 64 * 1024;

/// O tamanho da resposta a uma linha da inundação (`Echo: ` + a linha).
pub const RESPOSTA: u64 = (PREFIXO_ECO.len() + LINHA.len()) as u64;

/// De quanto em quanto tempo uma thread parada numa escrita ou leitura
/// confere se a inundação acabou.
const CONFERIR_A_CADA: Duration = Duration::from_millis(200);

/// Conexões que inundam o servidor: cada uma tem uma thread que escreve
/// blocos de [`BLOCO`] bytes sem parar e outra que lê (e conta) as
/// respostas ao mesmo tempo, para o servidor nunca ficar com respostas
/// presas. Termina em [`Inundacao::parar`] (ou ao sair de escopo).
pub struct Inundacao {
    parar: Arc<AtomicBool>,
    /// Bytes de resposta recebidos, somando todas as conexões.
    recebidos: Arc<AtomicU64>,
    sockets: Vec<TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Inundacao {
    /// Abre `conexoes` conexões com `endereco` e começa a inundar.
    pub fn iniciar(endereco: SocketAddr, conexoes: usize) -> io::Result<Inundacao> {
        let mut inundacao = Inundacao {
            parar: Arc::new(AtomicBool::new(false)),
            recebidos: Arc::new(AtomicU64::new(0)),
            sockets: Vec::new(),
            threads: Vec::new(),
        };
        for _ in 0..conexoes {
            let socket = TcpStream::connect_timeout(&endereco, Duration::from_secs(10))?;
            socket.set_nodelay(true)?;
            socket.set_write_timeout(Some(CONFERIR_A_CADA))?;
            socket.set_read_timeout(Some(CONFERIR_A_CADA))?;
            let (escrita, leitura) = (socket.try_clone()?, socket.try_clone()?);
            inundacao.sockets.push(socket);
            let parar = Arc::clone(&inundacao.parar);
            inundacao.threads.push(thread::spawn(move || escrever_sem_parar(escrita, &parar)));
            let (parar, recebidos) =
                (Arc::clone(&inundacao.parar), Arc::clone(&inundacao.recebidos));
            inundacao.threads.push(thread::spawn(move || contar(leitura, &parar, &recebidos)));
        }
        Ok(inundacao)
    }

    /// Bytes de resposta recebidos até agora (todas as conexões).
    pub fn recebidos(&self) -> u64 {
        self.recebidos.load(Ordering::Relaxed)
    }

    /// Para de inundar: fecha as conexões e espera as threads.
    pub fn parar(mut self) {
        self.encerrar();
    }

    fn encerrar(&mut self) {
        self.parar.store(true, Ordering::Relaxed);
        for socket in self.sockets.drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Inundacao {
    fn drop(&mut self) {
        self.encerrar();
    }
}

/// Escreve blocos de linhas até a inundação parar ou a conexão falhar.
/// Uma escrita que esgota o prazo (o servidor não lê) só confere a marca e
/// continua de onde parou: nenhuma linha sai cortada.
fn escrever_sem_parar(mut socket: TcpStream, parar: &AtomicBool) {
    let bloco = LINHA.repeat(BLOCO / LINHA.len());
    let mut enviado = 0;
    while !parar.load(Ordering::Relaxed) {
        match socket.write(&bloco[enviado..]) {
            Ok(n) => enviado = (enviado + n) % bloco.len(),
            Err(e) if esgotou(&e) => {}
            Err(_) => return,
        }
    }
}

/// Lê e conta as respostas até a inundação parar ou a conexão fechar.
fn contar(mut socket: TcpStream, parar: &AtomicBool, recebidos: &AtomicU64) {
    let mut buffer = vec![0u8; BLOCO];
    while !parar.load(Ordering::Relaxed) {
        match socket.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => {
                recebidos.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if esgotou(&e) => {}
            Err(_) => return,
        }
    }
}

/// Um prazo de leitura ou escrita que passou (ou um sinal): não é erro.
fn esgotou(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted)
}

/// O cliente leve: envia uma linha curta, espera a resposta e mede o vai e
/// volta; a próxima linha sai [`Leve::medir`]`(intervalo)` depois da
/// anterior (ou logo que a resposta chega, se ela demorou mais que isso).
pub struct Leve {
    socket: TcpStream,
    leitor: LeitorDeLinhas,
    enviadas: u64,
}

/// O que o cliente leve viu: os vai e volta medidos e, se uma resposta não
/// veio, o porquê.
#[derive(Debug, Default, Clone)]
pub struct Medida {
    pub vai_e_volta: Vec<Duration>,
    /// A resposta que não chegou (prazo, conexão fechada, eco errado).
    pub falha: Option<String>,
}

/// Mediana, percentil 99 e máximo de uma amostra.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentis {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub maximo: Duration,
}

impl Medida {
    /// Os percentis (`None` sem nenhuma resposta).
    pub fn percentis(&self) -> Option<Percentis> {
        percentis(&self.vai_e_volta)
    }
}

/// Percentis pelo método do posto mais próximo: o p99 de 100 amostras é a
/// 99ª menor, o de 1.000, a 990ª.
pub fn percentis(amostra: &[Duration]) -> Option<Percentis> {
    let mut ordenada = amostra.to_vec();
    ordenada.sort();
    let posto = |p: f64| {
        let i = ((p * ordenada.len() as f64).ceil() as usize).max(1);
        ordenada[i.min(ordenada.len()) - 1]
    };
    let maximo = *ordenada.last()?;
    Some(Percentis { n: ordenada.len(), p50: posto(0.50), p99: posto(0.99), maximo })
}

impl Leve {
    pub fn conectar(endereco: SocketAddr) -> io::Result<Leve> {
        let socket = TcpStream::connect_timeout(&endereco, Duration::from_secs(10))?;
        socket.set_nodelay(true)?;
        Ok(Leve { socket, leitor: LeitorDeLinhas::novo(), enviadas: 0 })
    }

    /// Mede até `quantas` respostas ou até `duracao` passar (o que vier
    /// primeiro), uma linha a cada `intervalo`, esperando cada resposta até
    /// `prazo`. Para na primeira resposta que falha.
    pub fn medir(
        &mut self,
        quantas: usize,
        duracao: Duration,
        intervalo: Duration,
        prazo: Duration,
    ) -> Medida {
        let mut medida = Medida::default();
        let inicio = Instant::now();
        let mut proxima = inicio;
        while medida.vai_e_volta.len() < quantas && inicio.elapsed() < duracao {
            thread::sleep(proxima.saturating_duration_since(Instant::now()));
            let enviada = Instant::now();
            proxima = enviada + intervalo;
            match self.vai_e_volta(prazo) {
                Ok(()) => medida.vai_e_volta.push(enviada.elapsed()),
                Err(falha) => {
                    medida.falha = Some(falha);
                    break;
                }
            }
        }
        medida
    }

    /// Uma linha e a sua resposta, conferida.
    fn vai_e_volta(&mut self, prazo: Duration) -> Result<(), String> {
        self.enviadas += 1;
        let mensagem = format!("leve {:06}", self.enviadas);
        let enviar = self.socket.write_all(format!("{mensagem}\n").as_bytes());
        enviar.map_err(|e| format!("a linha {:?} não saiu: {e}", mensagem))?;
        let limite = Instant::now() + prazo;
        loop {
            let resta = limite.saturating_duration_since(Instant::now());
            if resta.is_zero() {
                return Err(format!("nenhuma resposta a {mensagem:?} em {prazo:?}"));
            }
            let _ = self.socket.set_read_timeout(Some(resta));
            match self.leitor.proxima(&mut self.socket) {
                Ok(Recebido::Mensagem(resposta)) => {
                    let esperada = format!("{PREFIXO_ECO}{mensagem}");
                    if resposta != esperada.as_bytes() {
                        let veio = String::from_utf8_lossy(&resposta);
                        return Err(format!("resposta errada a {mensagem:?}: {veio:?}"));
                    }
                    return Ok(());
                }
                Ok(outro) => return Err(format!("a conexão acabou: {outro:?}")),
                Err(e) if esgotou(&e) => {}
                Err(e) => return Err(format!("a conexão falhou: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn percentis_pelo_posto_mais_proximo() {
        let amostra: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = percentis(&amostra).expect("amostra não vazia");
        assert_eq!((p.n, p.p50, p.p99, p.maximo), (100, amostra[49], amostra[98], amostra[99]));
        assert_eq!(percentis(&[]), None);
        let uma = percentis(&[Duration::from_millis(7)]).expect("uma amostra");
        assert_eq!((uma.p50, uma.p99, uma.maximo), (Duration::from_millis(7), uma.p50, uma.p50));
    }
}
