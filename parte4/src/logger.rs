//! O logger: a única thread que escreve na saída padrão.
//!
//! Na Parte 3 cada thread chamava `println!`, que toma a trava de `Stdout`
//! e faz uma chamada de sistema por linha; com muitos clientes, as threads
//! fazem fila nessa trava. Aqui as threads de atendimento só põem a linha
//! num canal (a "fila" que a disciplina sugere para proteger um recurso
//! compartilhado) e voltam ao trabalho; o logger escreve em lote: tudo o
//! que estiver na fila vai para o terminal numa escrita só.

use common::tempo::{agora, Carimbo};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::io::{self, BufWriter, Write};
use std::thread::{self, JoinHandle};

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

/// Inicia a thread do logger; devolve a ponta de envio e o handle da thread.
pub fn iniciar() -> io::Result<(Log, JoinHandle<()>)> {
    let (fila, recebe) = bounded(CAPACIDADE_DA_FILA);
    let logger = thread::Builder::new().name("logger".into()).spawn(move || escrever(recebe))?;
    Ok((Log { fila }, logger))
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
