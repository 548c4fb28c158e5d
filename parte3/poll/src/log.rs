//! O log do laço de eventos: por que ele não pode ser um `println!` aqui.
//!
//! Escrever no terminal pode bloquear (um terminal lento; no Windows, basta
//! clicar na janela do console para a saída parar), e aqui há uma thread
//! só: um `println!` parado pararia todos os clientes. O laço entrega a
//! linha à fila do `common::log` com `try_send`, que nunca espera, e segue;
//! a thread do log, dona do terminal, a escreve.
//!
//! E se a fila encher? Esperar uma vaga seria o mesmo bloqueio. A linha que
//! não coube fica em `atrasadas`, e enquanto houver alguma o laço não lê de
//! cliente nenhum (cada mensagem lida seria mais uma linha `Recebido:`):
//! é a contrapressão que ele já aplica a quem não lê as respostas. As
//! respostas já prontas continuam saindo, e quem lê primeiro quando a fila
//! anda segue a regra da vez (`servidor.rs`). A memória fica limitada: além
//! das linhas de uma leitura, só entram em `atrasadas` as de conexão e
//! desconexão, duas por cliente.

use common::log::{iniciar, linha, Linha};
use crossbeam_channel::{Sender, TrySendError};
use std::collections::VecDeque;
use std::io;

pub struct Log {
    /// A ponta de envio da fila; a outra é da thread do log.
    fila: Sender<Linha>,
    /// Linhas que não couberam na fila, na ordem, com a hora do evento.
    atrasadas: VecDeque<Linha>,
}

impl Log {
    /// Cria a fila e a thread que a escreve. O laço nunca termina, então
    /// ninguém espera a thread: ela vive enquanto o processo.
    pub fn iniciar() -> io::Result<Log> {
        let (fila, _thread) = iniciar()?;
        Ok(Log { fila, atrasadas: VecDeque::new() })
    }

    /// Registra uma linha com a hora de agora, sem nunca esperar.
    pub fn linha(&mut self, texto: String) {
        self.atrasadas.push_back(linha(texto));
        self.enviar();
    }

    /// Há linhas esperando vaga: o laço não lê até a fila andar.
    pub fn atrasado(&self) -> bool {
        !self.atrasadas.is_empty()
    }

    /// Passa para a fila as linhas atrasadas que couberem.
    pub fn enviar(&mut self) {
        while let Some(linha) = self.atrasadas.pop_front() {
            match self.fila.try_send(linha) {
                Ok(()) => {}
                Err(TrySendError::Full(linha)) => return self.atrasadas.push_front(linha),
                // A thread do log morreu: não há mais onde escrever.
                Err(TrySendError::Disconnected(_)) => self.atrasadas.clear(),
            }
        }
    }
}
