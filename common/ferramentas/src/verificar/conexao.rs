//! O cliente cru e tolerante do `verificar`: fala o protocolo de linhas com
//! um servidor que ele não conhece, sem nunca travar.
//!
//! Tolerante porque os servidores da disciplina não seguem o nosso
//! protocolo à risca: muitos respondem `Echo: oi` sem o `\n` final. Uma
//! resposta sem `\n` conta como resposta quando os bytes chegam e depois vem
//! um silêncio ([`SILENCIO`]); quem a recebeu guarda a marca
//! [`Conexao::sem_terminador`], e o boletim avisa uma vez.
//!
//! Todo socket aqui é não bloqueante, e cada espera tem prazo: entre uma
//! tentativa e outra, a thread dorme um pouco (de 0,1 a 10 ms). Não usamos o
//! `SO_RCVTIMEO`: no Windows, depois de uma leitura que esgota esse prazo, o
//! estado do socket fica indefinido (ver a inatividade em `parte4/src/servidor.rs`).

use super::resposta::{Coleta, Resposta};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Quanto silêncio, depois de alguns bytes sem `\n`, encerra uma resposta
/// sem terminador. Um servidor que escreve a resposta de uma vez nunca fica
/// tanto tempo no meio dela, nem numa máquina carregada.
pub const SILENCIO: Duration = Duration::from_millis(500);

/// Maior quantidade de bytes guardada de uma conexão: a memória do
/// `verificar` fica limitada, responda o servidor o que responder.
pub const LIMITE_GUARDADO: usize = 1 << 20;

/// Uma conexão com o servidor verificado.
pub struct Conexao {
    socket: TcpStream,
    /// Bytes recebidos e ainda não entregues como resposta.
    pendente: Vec<u8>,
    /// O servidor fechou a conexão.
    fim: bool,
    /// Alguma resposta chegou sem o `\n` final.
    pub sem_terminador: bool,
    /// A resposta que se espera agora, se conhecida: chegando exatamente
    /// ela sem `\n`, não é preciso esperar o silêncio.
    esperado: Option<Vec<u8>>,
    /// Quando chegou o último byte: o tempo de uma resposta sem `\n` é até
    /// ele, não até o silêncio que a encerrou.
    ultimo_byte: Instant,
}

impl Conexao {
    /// Conecta a `endereco`, com prazo.
    pub fn conectar(endereco: SocketAddr, prazo: Duration) -> io::Result<Conexao> {
        Conexao::nova(TcpStream::connect_timeout(&endereco, prazo)?)
    }

    /// Usa um socket já conectado (a sondagem do [`super::alvo`]).
    pub fn nova(socket: TcpStream) -> io::Result<Conexao> {
        socket.set_nonblocking(true)?;
        // Cada mensagem sai numa escrita; sem Nagle, nenhuma espera o ACK
        // da anterior (a medida de tempo seria a do algoritmo, não a do servidor).
        socket.set_nodelay(true)?;
        Ok(Conexao {
            socket,
            pendente: Vec::new(),
            fim: false,
            sem_terminador: false,
            esperado: None,
            ultimo_byte: Instant::now(),
        })
    }

    /// Um clone do socket, para outra thread escrever enquanto esta lê.
    pub fn socket(&self) -> io::Result<TcpStream> {
        self.socket.try_clone()
    }

    /// Envia todos os `bytes` em até `prazo`.
    pub fn enviar(&mut self, bytes: &[u8], prazo: Duration) -> io::Result<()> {
        escrever_tudo(&self.socket, bytes, prazo)
    }

    /// Envia `mensagem` + `\n`, lê a resposta e diz quanto ela levou: até o
    /// `\n`, ou até o último byte de uma resposta sem ele.
    pub fn perguntar_medindo(&mut self, mensagem: &[u8], prazo: Duration) -> (Resposta, Duration) {
        let inicio = Instant::now();
        let resposta = self.perguntar(mensagem, prazo);
        let tempo = match resposta {
            Resposta::SemTerminador(_) => self.ultimo_byte.saturating_duration_since(inicio),
            _ => inicio.elapsed(),
        };
        (resposta, tempo)
    }

    /// Como [`Conexao::perguntar_medindo`], sabendo que a resposta certa é
    /// `prefixo` + `mensagem`: se ela chegar sem `\n`, vale na hora.
    pub fn perguntar_eco(
        &mut self,
        mensagem: &[u8],
        prefixo: &[u8],
        prazo: Duration,
    ) -> (Resposta, Duration) {
        let mut esperado = prefixo.to_vec();
        esperado.extend_from_slice(mensagem);
        self.esperado = Some(esperado);
        let medida = self.perguntar_medindo(mensagem, prazo);
        self.esperado = None;
        medida
    }

    /// Envia `mensagem` + `\n` e lê a resposta.
    pub fn perguntar(&mut self, mensagem: &[u8], prazo: Duration) -> Resposta {
        let mut linha = mensagem.to_vec();
        linha.push(b'\n');
        match self.enviar(&linha, prazo) {
            Ok(()) => self.ler_resposta(prazo),
            Err(e) => Resposta::Falha(e),
        }
    }

    /// Lê uma resposta: até o `\n`, ou bytes seguidos de [`SILENCIO`].
    pub fn ler_resposta(&mut self, prazo: Duration) -> Resposta {
        let inicio = Instant::now();
        let limite = inicio + prazo;
        let mut ultimo_byte = Instant::now();
        let mut espera = Espera::nova();
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.pendente) {
                let mut linha: Vec<u8> = self.pendente.drain(..=p).collect();
                linha.pop();
                if linha.last() == Some(&b'\r') {
                    linha.pop();
                }
                return Resposta::Linha(linha);
            }
            let agora = Instant::now();
            let completa = self.esperado.as_deref() == Some(&self.pendente[..]);
            let silencio =
                !self.pendente.is_empty() && (completa || agora - ultimo_byte >= SILENCIO);
            if self.fim || silencio || self.pendente.len() >= LIMITE_GUARDADO || agora >= limite {
                if self.pendente.is_empty() {
                    return if self.fim { Resposta::Fim } else { Resposta::Nada(inicio.elapsed()) };
                }
                self.sem_terminador = true;
                return Resposta::SemTerminador(std::mem::take(&mut self.pendente));
            }
            match self.ler_disponivel() {
                Ok(0) => espera.dormir(),
                Ok(_) => {
                    ultimo_byte = Instant::now();
                    espera = Espera::nova();
                }
                Err(e) => return Resposta::Falha(e),
            }
        }
    }

    /// Junta tudo o que chegar até `silencio` sem bytes novos (contado a
    /// partir do primeiro byte), o fim da conexão ou o `prazo`.
    pub fn coletar(&mut self, silencio: Duration, prazo: Duration) -> Coleta {
        let inicio = Instant::now();
        let limite = inicio + prazo;
        let mut ultimo_byte: Option<Instant> = None;
        let mut espera = Espera::nova();
        let mut coleta = Coleta::default();
        loop {
            let agora = Instant::now();
            if self.fim
                || agora >= limite
                || ultimo_byte.is_some_and(|t| agora - t >= silencio)
                || self.pendente.len() >= LIMITE_GUARDADO
            {
                coleta.fim = self.fim;
                coleta.cortada = self.pendente.len() >= LIMITE_GUARDADO;
                coleta.bytes = std::mem::take(&mut self.pendente);
                coleta.tempo = inicio.elapsed();
                return coleta;
            }
            match self.ler_disponivel() {
                Ok(0) => espera.dormir(),
                Ok(_) => {
                    ultimo_byte = Some(Instant::now());
                    espera = Espera::nova();
                }
                Err(e) => {
                    coleta.falha = Some(common::erros::descrever(&e));
                    coleta.bytes = std::mem::take(&mut self.pendente);
                    coleta.tempo = inicio.elapsed();
                    return coleta;
                }
            }
        }
    }

    /// Espera chegar algum byte (ou o fim, ou o `prazo`); `true` se chegou.
    pub fn esperar_bytes(&mut self, prazo: Duration) -> bool {
        let limite = Instant::now() + prazo;
        let mut espera = Espera::nova();
        while self.pendente.is_empty() && !self.fim && Instant::now() < limite {
            match self.ler_disponivel() {
                Ok(0) => espera.dormir(),
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        !self.pendente.is_empty()
    }

    /// Espera o servidor fechar a conexão (fim do fluxo), descartando o que
    /// chegar; devolve quanto esperou, ou `None` se o prazo passou.
    pub fn esperar_fim(&mut self, prazo: Duration) -> Option<Duration> {
        let inicio = Instant::now();
        let mut espera = Espera::nova();
        while inicio.elapsed() < prazo {
            self.pendente.clear();
            match self.ler_disponivel() {
                Ok(0) if self.fim => return Some(inicio.elapsed()),
                Ok(0) => espera.dormir(),
                Ok(_) => {}
                // Um RST também fecha a conexão do lado do servidor.
                Err(_) => return Some(inicio.elapsed()),
            }
        }
        None
    }

    /// Fecha o lado de escrita: o servidor lê o fim do fluxo (0 bytes).
    pub fn fechar_escrita(&self) {
        let _ = self.socket.shutdown(Shutdown::Write);
    }

    /// Fecha os dois sentidos (de todos os clones do socket): quem escreve
    /// nele por outra thread recebe erro na hora.
    pub fn interromper(&self) {
        let _ = self.socket.shutdown(Shutdown::Both);
    }

    /// Fecha com RST em vez de FIN (`SO_LINGER` com tempo 0): uma queda
    /// abrupta, como a de um cliente que morre ou perde a rede.
    pub fn resetar(self) {
        let _ = socket2::SockRef::from(&self.socket).set_linger(Some(Duration::ZERO));
        drop(self);
    }

    /// Lê o que já chegou, sem esperar; devolve quantos bytes (0 se nada).
    fn ler_disponivel(&mut self) -> io::Result<usize> {
        if self.fim {
            return Ok(0);
        }
        let mut buffer = [0u8; 16 * 1024];
        let espaco = LIMITE_GUARDADO.saturating_sub(self.pendente.len()).min(buffer.len());
        if espaco == 0 {
            return Ok(0);
        }
        match (&self.socket).read(&mut buffer[..espaco]) {
            Ok(0) => {
                self.fim = true;
                Ok(0)
            }
            Ok(n) => {
                self.pendente.extend_from_slice(&buffer[..n]);
                self.ultimo_byte = Instant::now();
                Ok(n)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => Ok(0),
            Err(e) => Err(e),
        }
    }
}

/// Quem fecha primeiro uma conexão TCP fica com ela em TIME-WAIT (uns 60 s
/// no Linux). Se for o servidor, a porta dele fica ocupada, e um servidor
/// sem `SO_REUSEADDR` reiniciado na mesma porta (fixa no código) cai com
/// `Address already in use`. Por isso o `verificar` fecha sempre primeiro
/// (FIN, como um cliente comum); e quando o servidor já fechou o lado dele
/// (ou caiu), responde com RST, que apaga a conexão do lado de lá em vez de
/// deixá-la esperando em TIME-WAIT.
impl Drop for Conexao {
    fn drop(&mut self) {
        let mut byte = [0u8; 1];
        let fechou = self.fim || matches!((&self.socket).read(&mut byte), Ok(0));
        if fechou {
            let _ = socket2::SockRef::from(&self.socket).set_linger(Some(Duration::ZERO));
        }
    }
}

/// Escreve todos os `bytes` num socket não bloqueante, em até `prazo`.
pub fn escrever_tudo(socket: &TcpStream, mut bytes: &[u8], prazo: Duration) -> io::Result<()> {
    let limite = Instant::now() + prazo;
    let mut espera = Espera::nova();
    let mut s = socket;
    while !bytes.is_empty() {
        match s.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = &bytes[n..];
                espera = Espera::nova();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                if Instant::now() >= limite {
                    return Err(ErrorKind::TimedOut.into());
                }
                espera.dormir();
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A pausa entre duas tentativas num socket não bloqueante: começa em
/// 0,1 ms (para medir esperas curtas com precisão) e dobra até 10 ms (para
/// cem clientes esperando não ocuparem a CPU).
struct Espera(Duration);

impl Espera {
    fn nova() -> Espera {
        Espera(Duration::from_micros(100))
    }

    fn dormir(&mut self) {
        thread::sleep(self.0);
        self.0 = (self.0 * 2).min(Duration::from_millis(10));
    }
}
