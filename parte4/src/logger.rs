//! O logger: a única thread que escreve na saída padrão.
//!
//! Na Parte 3 cada thread chamava `println!`: as linhas saíam inteiras (a
//! trava de `Stdout`), mas cada thread esperava o terminal na sua vez. Aqui
//! o log segue o que a disciplina pede para um recurso compartilhado: as
//! threads de atendimento só põem a linha numa fila (um canal) e voltam ao
//! trabalho, e uma única thread, dona do terminal, as escreve na ordem em
//! que chegaram, em lote (tudo o que estiver na fila vai numa escrita só).
//!
//! Cada linha leva a hora do evento, tomada pela thread de atendimento; a
//! hora em que o logger a escreve não importa. Por isso o logger pode juntar
//! linhas por um instante ([`PAUSA_PARA_JUNTAR`]) sem atrasar a hora
//! impressa. Uma exceção, para o log nunca voltar no tempo: uma linha que
//! entra na fila depois de outra com carimbo mais novo sai com o carimbo
//! daquela (ver `escrever`); a diferença é de microssegundos.

use common::tempo::{agora, Carimbo};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use std::io::{self, BufWriter, Write};
use std::thread;
use std::time::Duration;

/// Linhas que podem esperar na fila. O canal é limitado para a memória ser
/// limitada: se o terminal for mais lento que os clientes, quem registra
/// espera uma vaga (nenhuma linha é descartada). Com `-q` as linhas por
/// mensagem nem são geradas.
const CAPACIDADE_DA_FILA: usize = 4096;

/// Quanto o logger dorme depois de cada escrita, deixando as linhas se
/// juntarem na fila. Acordar uma thread custa uma troca de contexto, e cada
/// escrita num pipe acorda quem o lê: com uma linha por mensagem, acordar a
/// cada linha custaria mais que escrevê-la. Assim são no máximo umas mil
/// escritas por segundo, e uma linha espera no máximo isso para aparecer
/// (a primeira depois de um silêncio sai na hora). Dormindo, o logger não
/// está esperando no canal, e quem envia não precisa acordá-lo.
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// A ponta de envio do log. Cada thread de atendimento usa a do estado
/// compartilhado; o logger termina com [`Log::encerrar`] (depois do resumo).
#[derive(Clone)]
pub struct Log {
    /// `None` é a última mensagem: ver [`Log::encerrar`].
    fila: Sender<Option<(Carimbo, String)>>,
}

impl Log {
    /// Registra uma linha com a hora de agora (a hora do evento, não a da
    /// escrita no terminal).
    pub fn linha(&self, texto: String) {
        // Só falha se o logger já terminou (fim do programa): nada a fazer.
        let _ = self.fila.send(Some((agora(), texto)));
    }

    /// A última linha já foi enviada (o resumo): o logger escreve o que está
    /// na fila e termina. O que chegar depois, de uma thread que ficou presa
    /// e só acordou depois do resumo, é descartado: o resumo já a contou, e a
    /// sua conexão já tem a linha "Fechada à força".
    pub fn encerrar(&self) {
        let _ = self.fila.send(None);
    }
}

/// Avisa quando o logger terminou: a thread do logger é dona da ponta de
/// envio deste canal e nunca envia nada; quando ela termina, a ponta é
/// destruída e quem espera acorda na hora.
pub struct Fim(Receiver<()>);

impl Fim {
    /// Espera o logger terminar, por no máximo `prazo`. Devolve `false` se
    /// o prazo passou antes (alguma thread presa ainda tem uma ponta do log).
    pub fn esperar(self, prazo: Duration) -> bool {
        self.0.recv_timeout(prazo) == Err(RecvTimeoutError::Disconnected)
    }
}

/// Inicia a thread do logger; devolve a ponta de envio e o aviso de fim.
pub fn iniciar() -> io::Result<(Log, Fim)> {
    let (fila, recebe) = bounded(CAPACIDADE_DA_FILA);
    let (terminou, fim) = bounded::<()>(0);
    thread::Builder::new().name("logger".into()).spawn(move || {
        escrever(recebe, io::stdout().lock());
        drop(terminou);
    })?;
    Ok((Log { fila }, Fim(fim)))
}

/// O laço do logger: escreve em `destino` (a saída padrão) até a última
/// ponta de envio sumir.
fn escrever(fila: Receiver<Option<(Carimbo, String)>>, destino: impl Write) {
    let mut saida = BufWriter::with_capacity(64 * 1024, destino);
    // O maior carimbo já impresso.
    let mut ultimo: Option<Carimbo> = None;
    // `recv` falha quando todas as pontas de envio foram destruídas.
    while let Ok(primeira) = fila.recv() {
        // O que já estiver na fila vai junto, sem esperar.
        for linha in std::iter::once(primeira).chain(fila.try_iter()) {
            let Some((carimbo, texto)) = linha else {
                let _ = saida.flush();
                return; // Log::encerrar
            };
            // Duas threads podem enfileirar fora da ordem dos carimbos. Imprimir
            // max(carimbo, último) mantém a causalidade: o carimbo é tomado antes
            // de a linha entrar na fila e antes de a resposta ser escrita.
            let carimbo = ultimo.map_or(carimbo, |ultimo| ultimo.max(carimbo));
            ultimo = Some(carimbo);
            let _ = writeln!(saida, "{carimbo} {texto}");
        }
        // Fila vazia: uma escrita (ou poucas) com tudo o que se juntou.
        let _ = saida.flush();
        thread::sleep(PAUSA_PARA_JUNTAR);
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn log_nunca_volta_no_tempo() {
        let antes = agora();
        thread::sleep(Duration::from_millis(5)); // carimbos com milissegundos diferentes
        let depois = agora();
        let (fila, recebe) = bounded(4);
        // Enfileiradas fora da ordem dos carimbos, como por duas threads.
        fila.send(Some((depois, "b".to_string()))).expect("o receptor existe");
        fila.send(Some((antes, "a".to_string()))).expect("o receptor existe");
        drop(fila);
        let mut saida = Vec::new();
        escrever(recebe, &mut saida);
        let texto = String::from_utf8(saida).expect("o log é UTF-8");
        assert_eq!(texto, format!("{depois} b\n{depois} a\n"));
    }
}
