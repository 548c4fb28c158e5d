//! O log do laço. Escrever no terminal pode bloquear (um terminal lento; no Windows, basta clicar
//! na janela do console), e um `println!` parado pararia todos os clientes. O laço só põe a linha
//! numa fila, e a thread do log (o escritor de `common::log`) a escreve. A fila não tem tamanho
//! fixo, para o laço nunca esperar uma vaga: quem a limita é o laço, que não lê nem aceita (cada
//! mensagem lida, cada conexão aceita, seria mais uma linha) enquanto ela passa do limite.

use common::log::{escrever, linha, Linha, CAPACIDADE};
use crossbeam_channel::{unbounded, Sender};
use std::{io, thread};

pub struct Log(Sender<Linha>); // a outra ponta da fila é da thread do log

impl Log {
    pub fn iniciar() -> io::Result<Log> {
        let (fila, recebe) = unbounded();
        let proxima =
            move |espera| if espera { recebe.recv().ok() } else { recebe.try_recv().ok() };
        let escritor = move || escrever(proxima, io::stdout().lock());
        thread::Builder::new().name("log".into()).spawn(escritor)?;
        Ok(Log(fila))
    }

    /// Registra uma linha com a hora de agora (a do evento), sem esperar.
    pub fn linha(&self, texto: String) {
        let _ = self.0.send(linha(texto)); // (sem a thread do log, a linha se perde)
    }

    /// A fila passou de `common::log::CAPACIDADE` linhas: hora de não ler.
    pub fn atrasado(&self) -> bool {
        self.0.len() >= CAPACIDADE
    }
}
