//! A vida de uma conexão do gerador fora da medição: abrir as conexões em
//! lotes, antes da largada, e despedir-se delas como um cliente comum,
//! depois.

use crate::gerador::DaThread;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

/// Prazo para todas as conexões completarem o `connect()`.
pub const PRAZO_DE_CONEXAO: Duration = Duration::from_secs(30);
/// Quantos `connect()` ficam pendentes ao mesmo tempo, por thread.
const LOTE_DE_CONEXOES: usize = 64;
/// No fim, quanto esperar o servidor responder o que falta e fechar.
const PRAZO_DE_DESPEDIDA: Duration = Duration::from_secs(3);

/// Uma conexão do gerador.
pub struct Conexao {
    pub socket: TcpStream,
    pub id: usize,
    pub conectada: bool,
    pub viva: bool,
    /// Chegou um aviso de leitura (dados, fim ou erro) enquanto as conexões
    /// ainda se conectavam: esse aviso não se repete (modo "borda"), então a
    /// primeira volta da medição lê o socket sem esperar um aviso novo.
    pub leitura_pendente: bool,
    /// Número da próxima mensagem.
    pub proxima: u64,
    /// (enviada em, número) das mensagens sem resposta, em ordem.
    pub em_voo: VecDeque<(Instant, u64)>,
    /// Bytes a enviar; `enviados` é quanto já foi.
    pub saida: Vec<u8>,
    pub enviados: usize,
    /// Bytes recebidos que ainda não formam uma linha.
    pub entrada: Vec<u8>,
    /// Respostas recebidas durante a medição.
    pub medidas: u64,
}

/// Conecta as conexões desta thread, no máximo [`LOTE_DE_CONEXOES`]
/// pendentes por vez: mil SYNs de uma vez estourariam a fila do `listen()`
/// do servidor (128), e os excedentes só seriam retransmitidos 1 s depois.
pub fn conectar(
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

pub fn ignorar_interrupcao(e: io::Error) -> io::Result<()> {
    if e.kind() == ErrorKind::Interrupted {
        Ok(())
    } else {
        Err(e)
    }
}

/// Encerra cada conexão como um cliente comum: fecha o lado de escrita
/// (o servidor vê o fim do fluxo, responde o que falta e fecha) e lê até o
/// fim, por no máximo [`PRAZO_DE_DESPEDIDA`]. Fechar com respostas ainda
/// não lidas faria o kernel mandar RST, e o servidor registraria uma falha
/// que não houve.
pub fn despedir(poll: &mut Poll, conexoes: &mut [Conexao], buffer: &mut [u8]) -> io::Result<()> {
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
