//! Os relógios das conexões: a resposta adiada pelo `--atraso`, o prazo do
//! fechamento demorado e a dica da linha sem `\n`. Um `sleep` pararia todos
//! os clientes; aqui cada espera vira uma hora marcada num heap só, e o
//! `poll()` dorme até a mais próxima (ver `servidor.rs`).

use super::Conexao;
use crate::log::Log;
use common::protocolo::{acrescentar_eco, dica_sem_fim_de_linha, ESPERA_PELA_DICA};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Os relógios do laço: (quando, conexão), o mais próximo primeiro. Servem
/// às respostas adiadas (`--atraso`), aos prazos de fechamento e à dica da
/// linha sem `\n`. Entradas de conexões já fechadas são ignoradas.
pub type Relogios = BinaryHeap<Reverse<(Instant, usize)>>;

impl Conexao {
    /// Um relógio desta conexão venceu: a resposta adiada, o prazo do
    /// fechamento demorado ou a dica.
    pub fn relogio(&mut self, agora: Instant, log: &mut Log) {
        if let Some((_, mensagem)) = self.adiada.take_if(|(hora, _)| *hora <= agora) {
            acrescentar_eco(&mut self.saida, &mensagem);
        }
        if self.descartando.is_some_and(|(prazo, _)| prazo <= agora) {
            self.descartando = None; // o cliente não fechou a tempo: fecha assim mesmo
        }
        let (bytes, desde, dada) = self.dica;
        let parada = self.enquadrador.meia_linha() == bytes && bytes > 0;
        if parada && !dada && agora >= desde + ESPERA_PELA_DICA {
            log.linha(format!("{} {}", self.cliente, dica_sem_fim_de_linha(bytes)));
            self.dica.2 = true;
        }
    }

    /// Uma meia linha nova ou que cresceu: marca a hora e agenda o relógio
    /// da dica (que confere, ao vencer, se ela ficou parada).
    pub(super) fn agendar_dica(&mut self, chave: usize, relogios: &mut Relogios) {
        let bytes = self.enquadrador.meia_linha();
        if bytes > 0 && bytes != self.dica.0 && !self.dica.2 {
            let agora = Instant::now();
            self.dica = (bytes, agora, false);
            relogios.push(Reverse((agora + ESPERA_PELA_DICA, chave)));
        }
    }
}
