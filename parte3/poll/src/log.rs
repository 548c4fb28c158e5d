//! O log do laço de eventos: uma fila limitada e uma thread que a escreve
//! no terminal.
//!
//! Por que não `println!`, como a Parte 3 com threads: escrever no terminal
//! pode bloquear (um terminal lento; no Windows, basta clicar na janela do
//! console para a saída parar), e aqui há uma thread só. Um `println!`
//! parado pararia todos os clientes. O laço só põe a linha numa fila e
//! segue; uma thread à parte, dona do terminal, a escreve.
//!
//! E se o terminal travar e a fila encher? O laço não pode esperar por uma
//! vaga (seria o mesmo bloqueio). Ele guarda a linha em [`Log::atrasadas`] e
//! **para de gerar linhas**: não lê de nenhum cliente e não aceita conexões
//! até a fila andar (ver `servidor.rs`, `retomar`). É a mesma contrapressão
//! que ele aplica a um cliente que não lê as respostas. Só entram em
//! `atrasadas` as linhas que ele não pode evitar (desconexões, erros, no
//! máximo uma por conexão), e a memória fica limitada.

use common::tempo::{agora, Carimbo};
use crossbeam_channel::{bounded, Sender, TrySendError};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::thread;
use std::time::Duration;

/// Linhas que podem esperar na fila até a thread do log escrevê-las.
const CAPACIDADE_DA_FILA: usize = 4096;

/// Quanto a thread do log dorme depois de cada escrita, deixando as linhas
/// se juntarem: umas mil escritas por segundo, no máximo, em vez de uma por
/// mensagem (cada escrita num pipe acorda quem o lê). Medido com log ligado,
/// 10 clientes e a saída num pipe: 117 mil mensagens por segundo com a
/// pausa, 100 mil sem ela.
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// Maior lote escrito de uma vez.
const MAIOR_LOTE: usize = 64 * 1024;

/// A ponta do laço: enfileira linhas sem nunca esperar.
pub struct Log {
    fila: Sender<(Carimbo, String)>,
    /// Linhas que não couberam na fila, na ordem; enviadas por [`Log::enviar`].
    atrasadas: VecDeque<(Carimbo, String)>,
}

impl Log {
    /// Cria a fila e a thread que a escreve na saída padrão.
    pub fn iniciar() -> io::Result<Log> {
        let (fila, recebe) = bounded::<(Carimbo, String)>(CAPACIDADE_DA_FILA);
        thread::Builder::new().name("log".into()).spawn(move || {
            let mut lote = Vec::with_capacity(MAIOR_LOTE);
            // `recv` falha quando o laço termina (a ponta de envio some).
            while let Ok(primeira) = recebe.recv() {
                for (carimbo, texto) in std::iter::once(primeira).chain(recebe.try_iter()) {
                    let _ = writeln!(lote, "{carimbo} {texto}");
                    if lote.len() >= MAIOR_LOTE {
                        break;
                    }
                }
                let _ = io::stdout().lock().write_all(&lote);
                lote.clear();
                thread::sleep(PAUSA_PARA_JUNTAR);
            }
        })?;
        Ok(Log { fila, atrasadas: VecDeque::new() })
    }

    /// Registra uma linha com a hora de agora (a do evento, não a da escrita).
    /// Nunca espera: sem vaga na fila, a linha fica em `atrasadas`.
    pub fn linha(&mut self, texto: String) {
        self.atrasadas.push_back((agora(), texto));
        self.enviar();
    }

    /// A fila encheu e há linhas esperando vaga: o laço não deve gerar mais
    /// linhas do que as inevitáveis (ver o cabeçalho).
    pub fn cheio(&self) -> bool {
        !self.atrasadas.is_empty()
    }

    /// Passa para a fila as linhas atrasadas que couberem. Devolve `true` se
    /// não sobrou nenhuma.
    pub fn enviar(&mut self) -> bool {
        while let Some(linha) = self.atrasadas.pop_front() {
            match self.fila.try_send(linha) {
                Ok(()) => {}
                Err(TrySendError::Full(linha)) => {
                    self.atrasadas.push_front(linha);
                    return false;
                }
                // A thread do log morreu: não há mais onde escrever.
                Err(TrySendError::Disconnected(_)) => self.atrasadas.clear(),
            }
        }
        true
    }
}
