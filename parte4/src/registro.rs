//! NOVO (passo 2, registro): as conexões ativas. Dele saem a contagem do
//! log, a decisão de admissão (`--max-clientes`, passo 3), os totais do
//! resumo e a lista de quem o desligamento (passo 4) precisa avisar.
//!
//! Duas travas, cada uma guardando uma coisa só, e nenhuma thread segura as
//! duas ao mesmo tempo:
//! - a do registro ([`Registro::ativas`]) guarda o mapa das conexões, e
//!   nada de E/S acontece sob ela: nem socket, nem fila do log;
//! - a de cada conexão ([`Conexao::escrita`]) guarda a vez de escrever no
//!   socket dela.

use crate::servidor::registrar;
use common::log::Linha;
use common::texto::Cliente;
use crossbeam_channel::Sender;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{atomic::AtomicU64, atomic::Ordering, Arc, Mutex};
use std::time::Duration;

/// A mensagem do `expect` de toda trava. Uma trava fica "envenenada" se uma
/// thread entra em pânico segurando-a; o código que as segura aqui não entra
/// em pânico (só mexe num mapa, num `bool` e num socket).
pub const TRAVA: &str = "nenhuma thread entra em pânico segurando uma trava";

/// Quanto o desligamento espera o `send()` do aviso: um cliente que não lê
/// (buffer de envio cheio) não prende o desligamento.
const ESPERA_PELO_AVISO: Duration = Duration::from_millis(100);

/// Uma conexão admitida, dividida (`Arc`) entre a sua thread e o registro.
pub struct Conexao {
    pub cliente: Cliente,
    /// Só a thread do cliente lê dele. O socket fecha quando a última ponta
    /// (`Arc`) some: quase sempre a da thread, no fim do atendimento.
    pub socket: TcpStream,
    /// A vez de escrever. Duas threads escrevem neste socket: a do cliente
    /// (cada eco, e a sua última linha `Erro:` ou `Aviso:`) e a do
    /// desligamento (o aviso de encerramento). Quem escreve segura a trava
    /// até o fim da escrita (a thread do cliente, na última linha, até o fim
    /// do fechamento demorado): uma linha nunca sai no meio da outra. Dentro,
    /// `true` depois do aviso de encerramento: o lado de escrita está
    /// fechado, e a thread do cliente não escreve mais nenhum eco.
    pub escrita: Mutex<bool>,
}

impl Conexao {
    /// Pelo desligamento: envia a última linha e o fim do fluxo (FIN), sem
    /// esperar o cliente (o `send()` espera no máximo [`ESPERA_PELO_AVISO`]
    /// por espaço no buffer). Se a thread do cliente está escrevendo agora,
    /// não faz nada (o desligamento tenta de novo daqui a pouco). Quem espera
    /// o cliente fechar é a thread dele, que descarta o que chegar até lá.
    pub fn avisar_sem_esperar(&self, aviso: &str) {
        let Ok(mut avisada) = self.escrita.try_lock() else { return };
        if !std::mem::replace(&mut *avisada, true) {
            let _ = self.socket.set_write_timeout(Some(ESPERA_PELO_AVISO));
            let _ = (&self.socket).write_all(format!("{aviso}\n").as_bytes());
            let _ = self.socket.shutdown(Shutdown::Write);
        }
    }
}

#[derive(Default)]
pub struct Registro {
    /// Conexões ativas, pelo número do cliente. A trava guarda só o mapa:
    /// sob ela, nada espera (nem socket, nem a fila do log).
    ativas: Mutex<BTreeMap<u64, Arc<Conexao>>>,
    /// Totais do resumo final, contando também as conexões que ainda não
    /// terminaram. Contadores atômicos: cada thread soma sem trava, e
    /// `Relaxed` basta, porque só são lidos no fim.
    pub admitidas: AtomicU64,
    pub ecos: AtomicU64,
    /// Threads que já saíram do mapa e ainda põem a sua última linha na
    /// fila do log (ver [`Vaga::liberar`]): o resumo espera que cheguem a 0,
    /// para sair depois de todas essas linhas.
    pub saindo: AtomicU64,
}

/// A vaga de uma conexão admitida, da thread do cliente: a conexão e uma
/// ponta do registro, para devolvê-la. Devolvida no `Drop`: nenhum caminho
/// de saída da thread deixa a vaga ocupada.
pub struct Vaga {
    pub registro: Arc<Registro>,
    pub conexao: Arc<Conexao>,
}

impl Registro {
    /// Ocupa uma vaga para o cliente, se houver; senão (o servidor está
    /// lotado), devolve o socket a quem chamou. Com a vaga, diz quantas
    /// conexões ficam ativas.
    pub fn admitir(
        registro: &Arc<Registro>,
        maximo: usize,
        cliente: Cliente,
        socket: TcpStream,
    ) -> Result<(Vaga, usize), TcpStream> {
        let mut ativas = registro.ativas.lock().expect(TRAVA);
        if ativas.len() >= maximo {
            return Err(socket);
        }
        let conexao = Arc::new(Conexao { cliente, socket, escrita: Mutex::new(false) });
        ativas.insert(cliente.numero, Arc::clone(&conexao));
        registro.admitidas.fetch_add(1, Ordering::Relaxed);
        Ok((Vaga { registro: Arc::clone(registro), conexao }, ativas.len()))
    }

    /// As conexões ativas agora (cópias dos `Arc`, para usá-las sem a trava).
    pub fn conexoes(&self) -> Vec<Arc<Conexao>> {
        self.ativas.lock().expect(TRAVA).values().cloned().collect()
    }

    /// Tira do registro as conexões que restam (o desligamento desistiu de
    /// esperá-las) e diz quem eram. Se a thread de uma delas ainda terminar,
    /// não registra mais nada: a sua linha sairia depois do resumo.
    pub fn retirar_restantes(&self) -> Vec<Cliente> {
        let restantes = std::mem::take(&mut *self.ativas.lock().expect(TRAVA));
        restantes.into_values().map(|c| c.cliente).collect()
    }
}

impl Vaga {
    /// Devolve a vaga e põe na fila do log a última linha da conexão: `fim`
    /// e quantas conexões ficam ativas. A conta sai sob a trava do mapa, junto
    /// com a saída dele: duas saídas ao mesmo tempo não leem a mesma
    /// contagem. A linha vai para a fila depois de soltar a trava, porque com
    /// a fila cheia o `send` espera, e ninguém deve esperar segurando o mapa
    /// (o laço do `accept()` o usa para admitir). Enquanto isso, `saindo`
    /// conta esta thread: o desligamento espera por ela antes do resumo.
    ///
    /// Se o desligamento já retirou a conexão do mapa (desistiu de esperá-la
    /// e a registrou como fechada à força), não registra nada: a linha
    /// sairia depois do resumo.
    pub fn liberar(self, log: &Sender<Linha>, fim: &str) {
        let mut ativas = self.registro.ativas.lock().expect(TRAVA);
        let Some(_) = ativas.remove(&self.conexao.cliente.numero) else { return };
        let restantes = ativas.len();
        // `SeqCst`, e não `Relaxed`: quem lê 0 em `saindo` precisa ver também
        // a linha já na fila (a ordem entre as duas threads importa aqui).
        self.registro.saindo.fetch_add(1, Ordering::SeqCst);
        drop(ativas); // solta a trava do mapa antes da fila do log
        registrar(log, format!("{fim}; conexões ativas: {restantes})"));
        self.registro.saindo.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Vaga {
    fn drop(&mut self) {
        self.registro.ativas.lock().expect(TRAVA).remove(&self.conexao.cliente.numero);
    }
}
