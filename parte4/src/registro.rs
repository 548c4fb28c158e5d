//! O registro das conexões ativas: contagem para o log, limite de admissão
//! e os sockets que o desligamento precisa alcançar.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Registro {
    /// `--max-clientes`: acima disso a conexão é recusada com `Erro:`.
    maximo: usize,
    /// Conexões ativas: número do cliente → cópia do seu socket (`try_clone`,
    /// o mesmo socket do kernel). A trava guarda o mapa e os totais; cada
    /// operação a segura só por alguns instantes, nunca durante E/S de rede.
    ativas: Mutex<Ativas>,
    /// Sinalizado a cada saída, para quem espera o registro esvaziar.
    saiu_alguem: Condvar,
}

#[derive(Default)]
struct Ativas {
    sockets: HashMap<u64, TcpStream>,
    /// Totais das conexões já encerradas, para o resumo final.
    atendidas: u64,
    mensagens: u64,
}

/// O servidor está cheio: já há `maximo` conexões ativas.
pub struct Lotado;

/// A vaga de uma conexão admitida. Liberada no `Drop`: nenhum caminho de
/// saída da thread (inclusive um erro no meio) deixa a vaga ocupada.
pub struct Vaga<'a> {
    registro: &'a Registro,
    numero: u64,
    /// Mensagens desta conexão, somadas aos totais na saída.
    pub mensagens: u64,
}

impl Registro {
    pub fn novo(maximo: usize) -> Self {
        Registro { maximo, ativas: Mutex::default(), saiu_alguem: Condvar::new() }
    }

    fn travar(&self) -> MutexGuard<'_, Ativas> {
        // Uma thread que entrou em pânico com a trava não corrompe o mapa
        // (as operações são de uma linha); segue com os dados como estão.
        self.ativas.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ocupa uma vaga para o cliente `numero`, se houver.
    /// Devolve a vaga e quantas conexões ficam ativas com ela.
    pub fn admitir(&self, numero: u64, socket: &TcpStream) -> Result<(Vaga<'_>, usize), Lotado> {
        let copia = socket.try_clone().map_err(|_| Lotado)?;
        let mut ativas = self.travar();
        if ativas.sockets.len() >= self.maximo {
            return Err(Lotado);
        }
        ativas.sockets.insert(numero, copia);
        Ok((Vaga { registro: self, numero, mensagens: 0 }, ativas.sockets.len()))
    }

    pub fn maximo(&self) -> usize {
        self.maximo
    }

    pub fn ativas(&self) -> usize {
        self.travar().sockets.len()
    }

    /// Espera até não haver conexões ativas ou o `prazo` passar.
    /// Devolve quantas ainda restam.
    pub fn esperar_esvaziar(&self, prazo: Duration) -> usize {
        let limite = Instant::now() + prazo;
        let mut ativas = self.travar();
        while !ativas.sockets.is_empty() {
            let resta = limite.saturating_duration_since(Instant::now());
            if resta.is_zero() {
                break;
            }
            ativas =
                self.saiu_alguem.wait_timeout(ativas, resta).unwrap_or_else(|e| e.into_inner()).0;
        }
        ativas.sockets.len()
    }

    /// Fecha à força (`shutdown` nos dois sentidos) as conexões que restam:
    /// uma thread presa numa escrita para um cliente que não lê é acordada
    /// com erro e termina.
    pub fn derrubar_restantes(&self) {
        for socket in self.travar().sockets.values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// (conexões atendidas, mensagens ecoadas) das que já terminaram.
    pub fn totais(&self) -> (u64, u64) {
        let ativas = self.travar();
        (ativas.atendidas, ativas.mensagens)
    }
}

impl Drop for Vaga<'_> {
    fn drop(&mut self) {
        let mut ativas = self.registro.travar();
        ativas.sockets.remove(&self.numero);
        ativas.atendidas += 1;
        ativas.mensagens += self.mensagens;
        self.registro.saiu_alguem.notify_all();
    }
}
