//! O registro das conexões ativas: a contagem para o log, o limite de
//! admissão, os totais do resumo e os sockets que o desligamento precisa
//! alcançar.

use crate::logger::Log;
use crate::servidor::Cliente;
use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Registro {
    /// `--max-clientes`: acima disso a conexão é recusada com `Erro:`.
    maximo: usize,
    /// Conexões ativas: número do cliente → quem é e o seu socket,
    /// compartilhado com a thread dele (`Arc`: o mesmo descritor, sem
    /// cópia). A trava guarda só o mapa; cada operação a segura por
    /// instantes, nunca durante E/S de rede.
    ativas: Mutex<HashMap<u64, (Cliente, Arc<TcpStream>)>>,
    /// Sinalizado a cada saída, para quem espera o registro esvaziar.
    saiu_alguem: Condvar,
    /// Totais do resumo final, contando também as conexões que ainda não
    /// terminaram. `Relaxed` basta: são só contadores, lidos no fim.
    admitidas: AtomicU64,
    ecos: AtomicU64,
}

/// A vaga de uma conexão admitida. Liberada no `Drop`: nenhum caminho de
/// saída da thread (inclusive um erro no meio) deixa a vaga ocupada.
pub struct Vaga<'a> {
    registro: &'a Registro,
    numero: u64,
}

impl Registro {
    pub fn novo(maximo: usize) -> Self {
        Registro {
            maximo,
            ativas: Mutex::default(),
            saiu_alguem: Condvar::new(),
            admitidas: AtomicU64::new(0),
            ecos: AtomicU64::new(0),
        }
    }

    fn travar(&self) -> MutexGuard<'_, HashMap<u64, (Cliente, Arc<TcpStream>)>> {
        // Uma thread que entrou em pânico com a trava não corrompe o mapa
        // (as operações são de uma linha); segue com os dados como estão.
        self.ativas.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ocupa uma vaga para `cliente`, se houver (senão, `None`: o servidor
    /// está lotado). Devolve a vaga e quantas conexões ficam ativas com ela.
    pub fn admitir(&self, cliente: Cliente, socket: &Arc<TcpStream>) -> Option<(Vaga<'_>, usize)> {
        let mut ativas = self.travar();
        if ativas.len() >= self.maximo {
            return None;
        }
        ativas.insert(cliente.numero, (cliente, Arc::clone(socket)));
        self.admitidas.fetch_add(1, Ordering::Relaxed);
        Some((Vaga { registro: self, numero: cliente.numero }, ativas.len()))
    }

    /// Um eco foi escrito no socket (para o resumo final).
    pub fn contar_eco(&self) {
        self.ecos.fetch_add(1, Ordering::Relaxed);
    }

    pub fn maximo(&self) -> usize {
        self.maximo
    }

    pub fn ativas(&self) -> usize {
        self.travar().len()
    }

    /// Espera até não haver conexões ativas ou o `prazo` passar.
    /// Devolve quantas ainda restam.
    pub fn esperar_esvaziar(&self, prazo: Duration) -> usize {
        let limite = Instant::now() + prazo;
        let mut ativas = self.travar();
        while !ativas.is_empty() {
            let resta = limite.saturating_duration_since(Instant::now());
            if resta.is_zero() {
                break;
            }
            ativas =
                self.saiu_alguem.wait_timeout(ativas, resta).unwrap_or_else(|e| e.into_inner()).0;
        }
        ativas.len()
    }

    /// Fecha à força (`shutdown` nos dois sentidos) as conexões que restam:
    /// uma thread presa numa escrita para um cliente que não lê é acordada
    /// com erro e termina.
    pub fn derrubar_restantes(&self) {
        for (_, socket) in self.travar().values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Os clientes cujas threads ainda não terminaram.
    pub fn restantes(&self) -> Vec<Cliente> {
        let mut clientes: Vec<Cliente> = self.travar().values().map(|(c, _)| *c).collect();
        clientes.sort_by_key(|c| c.numero);
        clientes
    }

    /// (conexões admitidas, ecos escritos), terminadas ou não.
    pub fn totais(&self) -> (u64, u64) {
        (self.admitidas.load(Ordering::Relaxed), self.ecos.load(Ordering::Relaxed))
    }
}

impl Vaga<'_> {
    /// Devolve a vaga e registra a última linha da conexão, feita por
    /// `linha` com quantas conexões ficam ativas, tudo sob a trava do mapa:
    /// duas saídas ao mesmo tempo não leem a mesma contagem, e a linha entra
    /// no log antes de a vaga ficar livre (o desligamento espera as vagas;
    /// assim nenhuma linha sai depois do resumo).
    pub fn liberar(self, log: &Log, linha: impl FnOnce(usize) -> String) {
        let mut ativas = self.registro.travar();
        ativas.remove(&self.numero);
        // Com a fila do log cheia, esperamos aqui o logger, que nunca pega
        // esta trava: a espera é curta e não há como travar em círculo.
        log.linha(linha(ativas.len()));
        // O `Drop` (abaixo) acorda quem espera, já sem a trava.
    }
}

impl Drop for Vaga<'_> {
    fn drop(&mut self) {
        self.registro.travar().remove(&self.numero);
        self.registro.saiu_alguem.notify_all();
    }
}
