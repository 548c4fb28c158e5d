//! NOVO (passo 2, registro): as conexões ativas. Dele sai a contagem do log
//! e, nos passos seguintes, a decisão de admissão (`--max-clientes`, passo
//! 3), a lista de quem o desligamento (passo 4) encerra e os totais do
//! resumo.
//!
//! A trava do registro ([`Registro`]) guarda o estado ([`Estado`]). Sob ela
//! não se mexe em socket; a única espera possível é a da fila do log, cheia,
//! na última linha de cada conexão (ver [`Vaga::liberar`]). A outra trava,
//! a de cada conexão ([`Conexao::escrita`], passo 5), guarda a vez de
//! escrever no socket dela. Nenhuma thread segura as duas ao mesmo tempo:
//! assim, duas threads nunca esperam uma pela outra, cada uma com uma trava
//! na mão (o impasse, ou deadlock).

use crate::servidor::registrar;
use common::{log::Linha, texto::Cliente};
use crossbeam_channel::Sender;
use std::{collections::BTreeMap, net::TcpStream, sync::Arc, sync::Mutex};

/// A mensagem do `expect` de toda trava. Uma trava fica "envenenada" se uma
/// thread entra em pânico segurando-a; o código que as segura não entra em
/// pânico: só mexe em memória e em sockets, e um erro de socket é um valor
/// (`io::Result`), não um pânico.
pub const TRAVA: &str = "nenhuma thread entra em pânico segurando uma trava";

/// Uma conexão admitida, dividida (`Arc`) entre a sua thread e o registro.
pub struct Conexao {
    pub cliente: Cliente,
    /// Só a thread do cliente lê dele. O socket fecha quando a última ponta
    /// (`Arc`) some: quase sempre a da thread, no fim do atendimento.
    pub socket: TcpStream,
    /// NOVO (passo 5, aviso): a vez de escrever. Duas threads escrevem
    /// neste socket: a do cliente (cada eco, e a sua última linha `Erro:` ou
    /// `Aviso:`) e a do desligamento (o aviso de encerramento). Quem escreve
    /// segura a trava até o fim da escrita (a thread do cliente, na última
    /// linha, até o fim do fechamento demorado): uma linha nunca sai no meio
    /// da outra. Dentro, `true` depois do aviso de encerramento: o lado de
    /// escrita está fechado, e a thread do cliente não escreve mais nenhum
    /// eco.
    pub escrita: Mutex<bool>,
}

/// O que a trava do registro guarda.
#[derive(Default)]
pub struct Estado {
    /// Conexões ativas, pelo número do cliente.
    pub ativas: BTreeMap<u64, Arc<Conexao>>,
    /// NOVO (passo 4, desligamento): os totais do resumo final, contando
    /// também as conexões que ainda não terminaram.
    pub admitidas: u64,
    pub ecos: u64,
}

/// O registro: o estado das conexões, sob uma trava, dividido (`Arc`) entre
/// o laço do `accept()` e as threads dos clientes.
pub type Registro = Mutex<Estado>;

/// A vaga de uma conexão admitida, da thread do cliente: a conexão e uma
/// ponta do registro, para devolvê-la. Devolvida no `Drop`: nenhum caminho
/// de saída da thread deixa a vaga ocupada.
pub struct Vaga {
    pub registro: Arc<Registro>,
    pub conexao: Arc<Conexao>,
}

/// Ocupa uma vaga para o cliente, se houver; senão (NOVO, passo 3: o
/// servidor está lotado), devolve o socket a quem chamou. Com a vaga, diz
/// quantas conexões ficam ativas.
pub fn admitir(
    registro: &Arc<Registro>,
    maximo: usize,
    cliente: Cliente,
    socket: TcpStream,
) -> Result<(Vaga, usize), TcpStream> {
    let mut estado = registro.lock().expect(TRAVA);
    if estado.ativas.len() >= maximo {
        return Err(socket);
    }
    let conexao = Arc::new(Conexao { cliente, socket, escrita: Mutex::new(false) });
    estado.ativas.insert(cliente.numero, Arc::clone(&conexao));
    estado.admitidas += 1;
    Ok((Vaga { registro: Arc::clone(registro), conexao }, estado.ativas.len()))
}

impl Vaga {
    /// Devolve a vaga e põe na fila do log a última linha da conexão, que
    /// `linha` escreve com quantas conexões ficam ativas. As duas coisas
    /// acontecem sob a trava: duas saídas ao mesmo tempo não leem a mesma
    /// contagem, e a linha já está na fila quando outra thread vê o mapa sem
    /// esta conexão. Com a fila do log cheia, o `send` espera uma vaga, e o
    /// laço do `accept()` espera com ele; mas ele esperaria de qualquer
    /// jeito, para registrar o próximo `Conectado`.
    ///
    /// NOVO (passo 4, desligamento): se o desligamento já retirou a conexão
    /// do mapa (desistiu de esperá-la e a registrou como fechada à força),
    /// não registra nada: a linha sairia depois do resumo.
    pub fn liberar(self, log: &Sender<Linha>, linha: impl FnOnce(usize) -> String) {
        let mut estado = self.registro.lock().expect(TRAVA);
        if estado.ativas.remove(&self.conexao.cliente.numero).is_some() {
            registrar(log, linha(estado.ativas.len()));
        }
        // A trava sai antes do `Drop` da vaga (logo depois, no fim desta
        // função), que a pede de novo.
        drop(estado);
    }
}

impl Drop for Vaga {
    fn drop(&mut self) {
        self.registro.lock().expect(TRAVA).ativas.remove(&self.conexao.cliente.numero);
    }
}
