//! Os cuidados, para ler depois do núcleo (`servidor.rs` e `conexao.rs`): o que falta para fazer
//! tudo o que o servidor de threads faz sem que o laço jamais espere. Onde a thread dorme ou
//! espera o cliente, a conexão marca uma hora ([`Relogios`]); onde ela escreve no terminal, a
//! linha passa por uma fila ([`Log`]).

use crate::conexao::{Conexao, Fase};
use common::protocolo::{erro_mensagem_grande, DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR};
use common::{log::Linha, protocolo::LIMITE_MENSAGEM, rede::silencioso};
use std::time::{Duration, Instant};
use std::{collections::BTreeSet, io::ErrorKind, io::Read, mem, net::Shutdown};

/// O log vai por uma fila a uma thread só, a dona do terminal, que pode travar. A fila é
/// limitada; cheia, o `send` espera uma vaga, e com ele o laço e todos os clientes.
pub type Log = crossbeam_channel::Sender<Linha>;

/// A cota da vez: uma leitura de linhas curtas daria milhares de linhas de log, e quem inunda
/// encheria a fila e faria todos esperarem o terminal. Com log, a conexão responde a no máximo
/// 128 mensagens e dá a vez (o resto fica `pendente`); com `-q`, à leitura inteira. O efeito,
/// com e sem log: `just inundacao`.
pub fn cota_de_linhas() -> usize {
    if silencioso() {
        return usize::MAX;
    }
    128
}

/// As horas marcadas (respostas presas, prazos, o `accept()` de novo), a mais cedo primeiro: o
/// `poll()` espera no máximo até ela, e uma hora que chega dá a vez à conexão, como um aviso.
#[derive(Default)]
pub struct Relogios(BTreeSet<(Instant, mio::Token)>);

impl Relogios {
    pub fn marcar(&mut self, depois: Duration, token: mio::Token) -> Instant {
        let hora = Instant::now() + depois;
        self.0.insert((hora, token));
        hora
    }
    pub fn espera(&self) -> Option<Duration> {
        self.0.first().map(|(hora, _)| hora.saturating_duration_since(Instant::now()))
    }
    pub fn vencido(&mut self) -> Option<mio::Token> {
        self.0.first().filter(|(hora, _)| *hora <= Instant::now())?;
        self.0.pop_first().map(|(_, token)| token)
    }
}

pub fn grande_demais() -> String {
    format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro")
}

impl Conexao {
    /// `--atraso`: um `sleep` pararia todos. A resposta sai da saída e fica presa até a hora
    /// marcada; até lá a conexão não lê, como a thread que dorme.
    pub fn prender_resposta(&mut self, relogios: &mut Relogios) {
        if !self.atraso.is_zero() {
            let ate = relogios.marcar(self.atraso, mio::Token(self.cliente.numero as usize));
            self.fase = Fase::RespostaPresa { ate, resposta: mem::take(&mut self.saida) };
        }
    }

    /// A mensagem grande demais: o `fechar_com_aviso` das threads, sem esperar por ele. O `Erro:`
    /// vai para a saída; depois, [`Conexao::descartar`] até o cliente fechar ou o prazo.
    pub fn encerrar_com_erro(&mut self, relogios: &mut Relogios) {
        self.saida.extend(format!("{}\n", erro_mensagem_grande()).bytes());
        let ate = relogios.marcar(ESPERA_AO_ENCERRAR, mio::Token(self.cliente.numero as usize));
        self.fase = Fase::EncerrandoComErro { ate, a_descartar: DESCARTE_MAXIMO };
    }

    /// O fechamento demorado, com o `Erro:` enviado: fecha a escrita (de novo não faz nada) e joga
    /// fora o que chegar (fechar com dados não lidos mandaria um RST, que pode apagar o `Erro:`).
    pub fn descartar(&mut self, lidos: &mut [u8]) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let n = match self.socket.read(lidos) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            lido => lido.unwrap_or(0), // um erro acaba o descarte, como o fim do fluxo
        };
        let Fase::EncerrandoComErro { a_descartar, .. } = &mut self.fase else { return false };
        *a_descartar = a_descartar.saturating_sub(n);
        if n == 0 || *a_descartar == 0 {
            self.fase = Fase::Acabou(grande_demais()); // o cliente fechou, ou descartou o bastante
        }
        n > 0
    }

    /// Na hora marcada, a resposta presa volta à saída, e o fechamento demorado desiste, com ou
    /// sem o `Erro:` entregue (um cliente que não lê nem fecha não segura a conexão).
    pub fn ver_a_hora(&mut self) {
        match &mut self.fase {
            Fase::RespostaPresa { ate, resposta } if *ate <= Instant::now() => {
                self.saida = mem::take(resposta);
                self.fase = Fase::Conversando;
            }
            Fase::EncerrandoComErro { ate, .. } if *ate <= Instant::now() => {
                self.saida = Vec::new();
                self.fase = Fase::Acabou(grande_demais());
            }
            _ => {}
        }
    }
}
