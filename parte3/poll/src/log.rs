//! O log do laço. Escrever no terminal pode bloquear (um terminal lento; no
//! Windows, basta clicar na janela do console), e um `println!` parado
//! pararia o laço e todos os clientes. O laço entrega a linha à fila de
//! `common::log` com `try_send`, que nunca espera, e a thread do log a
//! escreve. Com a fila cheia, a linha espera em `atrasadas`, e ninguém lê
//! (cada mensagem lida seria mais uma linha) até a fila andar: ficam ali no
//! máximo as linhas de uma vez e as de conexão e desconexão.

use common::log::{iniciar, linha, Linha};
use crossbeam_channel::{Sender, TrySendError};
use std::{collections::VecDeque, io};

pub struct Log {
    fila: Sender<Linha>,        // a outra ponta é da thread do log
    atrasadas: VecDeque<Linha>, // as que não couberam na fila, na ordem
}

impl Log {
    pub fn iniciar() -> io::Result<Log> {
        Ok(Log { fila: iniciar()?.0, atrasadas: VecDeque::new() })
    }

    /// Registra uma linha com a hora de agora (a do evento), sem esperar.
    pub fn linha(&mut self, texto: String) {
        self.atrasadas.push_back(linha(texto));
        self.atrasado();
    }

    /// Passa para a fila as linhas atrasadas que couberem; diz se sobrou alguma.
    pub fn atrasado(&mut self) -> bool {
        while let Some(linha) = self.atrasadas.pop_front() {
            // (`Disconnected`, sem a thread do log: a linha se perde.)
            if let Err(TrySendError::Full(linha)) = self.fila.try_send(linha) {
                self.atrasadas.push_front(linha);
                return true;
            }
        }
        false
    }
}
