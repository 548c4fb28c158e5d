//! O lado da escrita de uma conexão: escrever o que o kernel aceitar, sem
//! esperar; pedir ao poll o aviso de "gravável" só quando falta escrever; e
//! o fechamento demorado depois de um `Erro:`.

use super::{Conexao, LIMITE_DE_SAIDA};
use common::protocolo::DESCARTE_MAXIMO;
use mio::net::TcpStream;
use mio::Interest;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::Instant;

impl Conexao {
    /// Escreve o que o kernel aceitar agora; o resto espera o aviso de
    /// "gravável". Tudo enviado, a memória da saída é devolvida.
    pub(super) fn escrever(&mut self) -> io::Result<()> {
        while self.pendente() > 0 {
            match self.socket.write(&self.saida[self.enviados..]) {
                Ok(n) => self.enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        (self.saida, self.enviados) = (Vec::new(), 0);
        if self.descartando.is_some() {
            // O cliente recebe a linha de erro e depois o fim do fluxo.
            let _ = self.socket.shutdown(Shutdown::Write);
        }
        Ok(())
    }

    /// Os avisos que o laço precisa pedir ao kernel para esta conexão agora.
    pub fn interesse_necessario(&self) -> Interest {
        interesse_para(self.pendente())
    }
}

/// Os avisos a pedir ao poll: só os que vão ser usados. "Gravável" só
/// enquanto há resposta presa (quase toda resposta cabe no buffer de envio
/// do kernel e sai na hora). Na contrapressão, nem "legível": a conexão não
/// vai ler, e no Windows (e no Wine) o aviso de "legível" se repetiria sem
/// parar, girando o laço em falso. No Linux, pedir os dois o tempo todo não
/// mudou o número de chamadas de sistema (medido com `strace -c`): o epoll
/// por borda junta os avisos de um mesmo socket.
fn interesse_para(pendente: usize) -> Interest {
    if pendente >= LIMITE_DE_SAIDA {
        Interest::WRITABLE
    } else if pendente > 0 {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    }
}

/// Descarta o que chegar depois de um `Erro:`, para o fechamento não virar
/// um RST que apague a linha de erro. Devolve `true` quando pode fechar.
pub(super) fn descartar(
    socket: &mut TcpStream,
    lixo: &mut [u8],
    descartados: &mut usize,
    prazo: Instant,
) -> bool {
    loop {
        match socket.read(lixo) {
            Ok(0) => return true,
            Ok(n) => {
                *descartados += n;
                if *descartados >= DESCARTE_MAXIMO {
                    return true;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Instant::now() >= prazo,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}
