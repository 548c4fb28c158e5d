//! Os cuidados, para ler depois do núcleo: o resto do que as threads fazem, sem o laço esperar.
//! Onde a thread dorme ou espera, marca-se uma hora ([`Relogios`]); onde escreve, a fila ([`Log`]).

use crate::conexao::{Conexao, Fase};
use common::protocolo::{erro_mensagem_grande, DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR};
use common::{log::Linha, protocolo::LIMITE_MENSAGEM};
use mio::Token;
use std::time::{Duration, Instant};
use std::{collections::BTreeSet, io::ErrorKind, mem, net::Shutdown};

/// O log vai por uma fila limitada a uma thread só, a dona do terminal, que pode travar; cheia, o
/// `send` espera uma vaga, e com ele o laço e todos. Por isso a cota da vez, com log: sem ela, quem
/// inunda geraria milhares de linhas por vez e encheria a fila (o resto fica `pendente`; o efeito:
/// `just inundacao`).
pub type Log = crossbeam_channel::Sender<Linha>;
pub const LINHAS_POR_VEZ: usize = 128;

/// As horas marcadas (respostas presas, prazos, o `accept()` de novo), a mais cedo primeiro: o
/// `poll()` espera no máximo até ela, e uma hora que chega dá a vez à conexão, como um aviso.
pub type Relogios = BTreeSet<(Instant, Token)>;

pub fn espera(relogios: &Relogios) -> Option<Duration> {
    relogios.first().map(|(hora, _)| hora.saturating_duration_since(Instant::now()))
}
pub fn vencido(relogios: &mut Relogios) -> Option<Token> {
    relogios.first().filter(|(hora, _)| *hora <= Instant::now())?;
    relogios.pop_first().map(|(_, token)| token)
}
pub fn grande_demais() -> String {
    format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro")
}

impl Conexao {
    /// `--atraso` sem o `sleep` (pararia todos): a resposta fica presa até a hora, sem ler nada.
    pub fn prender_resposta(&mut self, relogios: &mut Relogios) {
        if !self.atraso.is_zero() {
            let ate = Instant::now() + self.atraso;
            relogios.insert((ate, Token(self.cliente.numero as usize))); // o token do registro
            let resposta = mem::take(&mut self.saida).into_boxed_slice(); // menor que um `Vec`
            self.fase = Fase::RespostaPresa { ate, resposta };
        }
    }
    /// O `fechar_com_aviso` das threads, sem esperar: o `Erro:` na saída, e depois `descartar`.
    pub fn encerrar_com_erro(&mut self, relogios: &mut Relogios) {
        self.saida.extend(format!("{}\n", erro_mensagem_grande()).bytes());
        let ate = Instant::now() + ESPERA_AO_ENCERRAR;
        relogios.insert((ate, Token(self.cliente.numero as usize)));
        self.fase = Fase::EncerrandoComErro { ate, a_descartar: DESCARTE_MAXIMO };
    }
    /// Enviado o `Erro:`, fecha a escrita e descarta o que chegar (um RST pode apagar o `Erro:`).
    pub fn descartar(&mut self, lidos: &mut [u8]) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let (n, fim) = self.ler(lidos);
        let Fase::EncerrandoComErro { a_descartar, .. } = &mut self.fase else { return false };
        *a_descartar = a_descartar.saturating_sub(n);
        if fim || *a_descartar == 0 {
            self.fase = Fase::Acabou(grande_demais()); // o cliente fechou, ou descartou o bastante
        }
        n == lidos.len()
    }
    /// Na hora, a resposta presa volta à saída; o fechamento demorado desiste, como a escrita com
    /// prazo das threads (um cliente que não lê nem fecha não segura a conexão).
    pub fn ver_a_hora(&mut self) {
        match &mut self.fase {
            Fase::RespostaPresa { ate, resposta } if *ate <= Instant::now() => {
                self.saida = mem::take(resposta).into_vec();
                self.fase = Fase::Conversando;
            }
            Fase::EncerrandoComErro { ate, .. } if *ate <= Instant::now() => {
                _ = self.falhou(&ErrorKind::TimedOut.into())
            }
            _ => {}
        }
    }
}
