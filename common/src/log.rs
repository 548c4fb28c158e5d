//! O log por fila: quem registra só põe a linha numa fila limitada, e uma
//! thread só, a dona do terminal, as escreve. É o "proteja o recurso
//! compartilhado com uma fila" da disciplina, e o que usam os servidores em
//! que ninguém pode esperar o terminal: o laço de eventos
//! (`parte3/poll`), as tarefas async (`parte3/assincrono`) e as threads da
//! Parte 4. Escrever no terminal pode bloquear: um terminal lento; no
//! Windows, basta clicar na janela do console para a saída parar.
//!
//! Cada linha leva a hora do evento, tomada por quem a registra
//! ([`linha`]); a hora em que o escritor a escreve não importa. Por isso o
//! escritor pode juntar linhas por um instante ([`PAUSA_PARA_JUNTAR`]) sem
//! atrasar a hora impressa.
//!
//! A fila é limitada para a memória ser limitada. O que acontece quando ela
//! enche é de quem registra, e é a lição de cada modelo: uma thread espera
//! uma vaga (Parte 4); o laço de eventos (poll) e a thread das tarefas
//! (async) não podem esperar, ou um terminal parado pararia todos os
//! clientes: descartam a linha e contam ([`LogSemEspera`]).

use crate::tempo::{agora, Carimbo};
use crate::texto::quantidade;
use crossbeam_channel::{bounded, Sender};
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Uma linha de log: a hora do evento e o texto.
pub type Linha = (Carimbo, String);

/// A ponta da fila por onde se registra (a de [`iniciar`]).
pub type Log = Sender<Linha>;

/// Linhas que cabem na fila. Com `-q` as linhas por mensagem nem são
/// geradas, e a fila quase não é usada.
pub const CAPACIDADE: usize = 4096;

/// Quanto o escritor dorme depois de esvaziar a fila, deixando as linhas se
/// juntarem: no máximo umas mil escritas por segundo, em vez de uma por
/// mensagem (cada escrita num pipe acorda quem o lê, e acordar o escritor a
/// cada linha custaria mais que escrevê-la). Quando a fila esvazia, uma
/// linha espera no máximo isso para aparecer; sob carga contínua, ela sai
/// quando o buffer de escrita enche. A primeira depois de um silêncio sai na
/// hora.
pub const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// Uma linha com a hora de agora (a do evento, não a da escrita).
pub fn linha(texto: String) -> Linha {
    (agora(), texto)
}

/// O log de quem nunca pode esperar (um laço de eventos, a thread das
/// tarefas async): com a fila cheia (o terminal não está lendo), a linha é
/// descartada e contada, e a próxima que couber vem depois de um aviso com a
/// conta. Os clientes continuam atendidos; só o log perde linhas.
pub struct LogSemEspera {
    fila: Log,
    descartadas: AtomicU64,
}

impl LogSemEspera {
    pub fn novo(fila: Log) -> Self {
        LogSemEspera { fila, descartadas: AtomicU64::new(0) }
    }

    /// Põe a linha, com a hora de agora, na fila, se houver vaga.
    pub fn registrar(&self, texto: String) {
        let perdidas = self.descartadas.load(Relaxed);
        if perdidas > 0 {
            let conta =
                quantidade(perdidas, "linha de log descartada", "linhas de log descartadas");
            let aviso = format!("({conta}: o terminal não lia, e o servidor não espera por ele)");
            if self.fila.try_send(linha(aviso)).is_err() {
                self.descartadas.fetch_add(1, Relaxed);
                return;
            }
            self.descartadas.fetch_sub(perdidas, Relaxed);
        }
        if self.fila.try_send(linha(texto)).is_err() {
            self.descartadas.fetch_add(1, Relaxed);
        }
    }
}

/// Cria a fila e o escritor, que escreve na saída padrão até a última ponta
/// de envio sumir (todas as cópias do `Sender` destruídas). Quem quiser
/// saber que a última linha saiu espera a thread devolvida.
pub fn iniciar() -> io::Result<(Log, JoinHandle<()>)> {
    let (fila, recebe) = bounded::<Linha>(CAPACIDADE);
    let escritor = thread::Builder::new().name("log".into()).spawn(move || {
        let proxima =
            |esperar: bool| if esperar { recebe.recv().ok() } else { recebe.try_recv().ok() };
        escrever(proxima, io::stdout().lock());
    })?;
    Ok((fila, escritor))
}

/// O laço do escritor: `proxima(true)` espera a próxima linha (`None`: a
/// fila acabou); `proxima(false)` só pega uma que já está na fila. Escreve
/// tudo o que se juntou numa escrita só e dorme [`PAUSA_PARA_JUNTAR`].
///
/// O log nunca volta no tempo: duas threads podem enfileirar fora da ordem
/// dos carimbos, e uma linha que chega depois de outra com carimbo mais novo
/// sai com o carimbo daquela. A diferença costuma ser de microssegundos; com
/// a fila cheia, é o tempo que quem registrou esperou uma vaga. Como o
/// carimbo é tomado antes de a linha entrar na fila (e, no `Recebido`, antes
/// de a resposta ser escrita), a ordem de causa e efeito se mantém.
fn escrever(mut proxima: impl FnMut(bool) -> Option<Linha>, destino: impl Write) {
    let mut saida = BufWriter::with_capacity(64 * 1024, destino);
    let mut ultimo: Option<Carimbo> = None;
    while let Some(primeira) = proxima(true) {
        // Sob carga contínua a fila nunca esvazia: o `BufWriter` escreve a
        // cada 64 KiB, e as linhas não ficam presas aqui.
        let mut linha = Some(primeira);
        while let Some((carimbo, texto)) = linha {
            let carimbo = ultimo.map_or(carimbo, |ultimo| ultimo.max(carimbo));
            ultimo = Some(carimbo);
            let _ = writeln!(saida, "{carimbo} {texto}");
            linha = proxima(false);
        }
        let _ = saida.flush();
        thread::sleep(PAUSA_PARA_JUNTAR);
    }
    let _ = saida.flush();
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn sem_espera_descarta_com_a_fila_cheia_e_depois_diz_quantas() {
        let (fila, recebe) = bounded(2);
        let log = LogSemEspera::novo(fila);
        for i in 0..5 {
            log.registrar(format!("linha {i}")); // só as duas primeiras cabem
        }
        let textos = |recebe: &crossbeam_channel::Receiver<Linha>| {
            recebe.try_iter().map(|(_, texto)| texto).collect::<Vec<_>>()
        };
        assert_eq!(textos(&recebe), ["linha 0", "linha 1"]);
        log.registrar("linha 5".to_string());
        let depois = textos(&recebe);
        assert!(depois[0].starts_with("(3 linhas de log descartadas"), "{depois:?}");
        assert_eq!(depois[1], "linha 5");
    }

    #[test]
    fn log_nunca_volta_no_tempo() {
        let antes = agora();
        thread::sleep(Duration::from_millis(5)); // carimbos com milissegundos diferentes
        let depois = agora();
        // Enfileiradas fora da ordem dos carimbos, como por duas threads.
        let mut fila = vec![(antes, "a".to_string()), (depois, "b".to_string())];
        let mut saida = Vec::new();
        escrever(|_| fila.pop(), &mut saida);
        let texto = String::from_utf8(saida).expect("o log é UTF-8");
        assert_eq!(texto, format!("{depois} b\n{depois} a\n"));
    }
}
