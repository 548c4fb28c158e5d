//! O relógio das threads de atendimento: uma leitura que volta com
//! `TimedOut` quando passa um intervalo sem dados, para a thread conferir o
//! desligamento e a inatividade do seu cliente e voltar a ler.
//!
//! No Linux e no macOS, o relógio é o tempo limite de leitura do próprio
//! socket (`SO_RCVTIMEO`): a leitura esgotada não consome nada, e o socket
//! segue como estava. No Windows, não: a Microsoft documenta que, depois de
//! uma leitura com tempo esgotado, o socket fica num estado indeterminado e
//! não deve mais ser usado (a biblioteca padrão do Rust usa exatamente esse
//! `SO_RCVTIMEO` em `set_read_timeout`). Lá a thread espera com `WSAPoll`,
//! que só observa o socket, e lê só quando há o que ler — como faz o Python,
//! que implementa os seus tempos limite com `select`/`poll`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// O socket de um cliente com o relógio de verificação. O socket é
/// dividido com o registro (`Arc`); ler e escrever num `&TcpStream` basta.
pub struct SocketComRelogio {
    socket: Arc<TcpStream>,
    /// De quanto em quanto tempo uma leitura sem dados volta.
    #[cfg_attr(not(windows), allow(dead_code))]
    intervalo: Duration,
}

impl SocketComRelogio {
    pub fn novo(socket: Arc<TcpStream>, intervalo: Duration) -> io::Result<Self> {
        #[cfg(not(windows))]
        socket.set_read_timeout(Some(intervalo))?;
        Ok(SocketComRelogio { socket, intervalo })
    }

    /// O socket em si, para fechar a conexão com um aviso.
    pub fn tcp(&self) -> &TcpStream {
        &self.socket
    }
}

impl Read for SocketComRelogio {
    /// Lê o que houver; sem dados por um intervalo, devolve `TimedOut`
    /// (no Unix, `WouldBlock`: é o que o `SO_RCVTIMEO` produz lá).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(windows)]
        if !windows::pronto_para_ler(&self.socket, self.intervalo)? {
            return Err(io::ErrorKind::TimedOut.into());
        }
        (&*self.socket).read(buf)
    }
}

impl Write for SocketComRelogio {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.socket).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.socket).flush()
    }
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::net::TcpStream;
    use std::os::windows::io::AsRawSocket;
    use std::time::Duration;
    use windows_sys::Win32::Networking::WinSock::{WSAPoll, POLLRDNORM, SOCKET_ERROR, WSAPOLLFD};

    /// Espera até `prazo` que haja algo para ler (dados, o fim do fluxo ou
    /// um erro, que a leitura seguinte vai relatar). Não consome nada.
    pub fn pronto_para_ler(socket: &TcpStream, prazo: Duration) -> io::Result<bool> {
        let mut alvo =
            WSAPOLLFD { fd: socket.as_raw_socket() as usize, events: POLLRDNORM, revents: 0 };
        let milissegundos = prazo.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `alvo` é um WSAPOLLFD válido e vivo durante a chamada, e o
        // 1 diz que o vetor tem um elemento só.
        match unsafe { WSAPoll(&mut alvo, 1, milissegundos) } {
            SOCKET_ERROR => Err(io::Error::last_os_error()),
            0 => Ok(false),
            _ => Ok(true),
        }
    }
}
