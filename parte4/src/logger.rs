//! O logger: a única thread que escreve na saída padrão.
//!
//! Na Parte 3 cada thread chamava `println!`: as linhas saíam inteiras (a
//! trava de `Stdout`), mas cada thread esperava o terminal na sua vez. Aqui
//! o log segue o que a disciplina pede para um recurso compartilhado: as
//! threads de atendimento só põem a linha numa fila (um canal) e voltam ao
//! trabalho, e uma única thread, dona do terminal, as escreve na ordem em
//! que chegaram, em lote (tudo o que estiver na fila vai numa escrita só).

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

/// A ponta de envio do log. Cada thread de atendimento usa a do estado
/// compartilhado; o logger termina quando a última ponta é destruída.
#[derive(Clone)]
pub struct Log {
    fila: Sender<(Carimbo, String)>,
}

impl Log {
    /// Registra uma linha com a hora de agora (a hora do evento, não a da
    /// escrita no terminal).
    pub fn linha(&self, texto: String) {
        // Só falha se o logger já terminou (fim do programa): nada a fazer.
        let _ = self.fila.send((agora(), texto));
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
        escrever(recebe);
        drop(terminou);
    })?;
    Ok((Log { fila }, Fim(fim)))
}

fn escrever(fila: Receiver<(Carimbo, String)>) {
    let mut saida = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    // `recv` falha quando todas as pontas de envio foram destruídas.
    while let Ok((carimbo, texto)) = fila.recv() {
        let _ = writeln!(saida, "{carimbo} {texto}");
        // O que já estiver na fila vai junto, sem esperar.
        while let Ok((carimbo, texto)) = fila.try_recv() {
            let _ = writeln!(saida, "{carimbo} {texto}");
        }
        // Fila vazia: uma escrita (ou poucas) com tudo o que se juntou.
        let _ = saida.flush();
    }
}
