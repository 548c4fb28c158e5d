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
//! uma vaga (Parte 4), uma tarefa espera com `.await` (async), e o laço de
//! eventos também espera, e com ele todos os clientes (poll, que por isso
//! limita as linhas de log que cada conexão gera numa vez).

use crate::tempo::{agora, Carimbo};
use crossbeam_channel::{bounded, Sender};
use std::io::{self, BufWriter, Write};
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
/// cada linha custaria mais que escrevê-la). Uma linha espera no máximo isso
/// para aparecer; a primeira depois de um silêncio sai na hora.
pub const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// Uma linha com a hora de agora (a do evento, não a da escrita).
pub fn linha(texto: String) -> Linha {
    (agora(), texto)
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
pub fn escrever(mut proxima: impl FnMut(bool) -> Option<Linha>, destino: impl Write) {
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
