//! NOVO (passo 3, admissão): o que acontece com quem chega e encontra o
//! servidor lotado (`--max-clientes`). A decisão é do laço do `accept()`
//! (`registro::admitir`), antes de existir uma thread para o cliente; aqui
//! fica o resto: a linha `Erro:` e o fechamento, por uma thread só, a de
//! recusas. Uma rajada de milhares de conexões não vira milhares de threads.

use crate::servidor::registrar;
use common::protocolo::{descartar_ate_o_fim, ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM};
use common::{log::Linha, texto::quantidade, texto::Cliente};
use crossbeam_channel::Sender;
use std::{io, io::Read, io::Write, net::Shutdown, net::TcpStream, thread, time::Instant};

/// Quantos recusados podem esperar ao mesmo tempo na fila da thread de
/// recusas, cada um com o seu socket aberto por até 2 s. Com a fila cheia, o
/// recusado é fechado na hora (e pode levar RST). Para ver quantos leem o
/// `Erro:` numa rajada: `cargo test -p parte4 rajada -- --ignored --nocapture`.
const FILA_DE_RECUSAS: usize = 256;

/// Do laço do `accept()`: o máximo de clientes, para a linha `Erro:`, e a
/// ponta de envio da fila da thread de recusas, para onde vai cada recusado
/// com o seu socket e o prazo para o cliente fechar o lado dele.
pub struct Recusas {
    maximo: usize,
    fila: Sender<(TcpStream, Instant)>,
}

/// Cria a fila e a thread de recusas, que fecha cada socket recebido (ver
/// [`esperar_o_fim`]) e termina quando a fila acaba.
pub fn iniciar(maximo: usize) -> io::Result<Recusas> {
    let (fila, recusados) = crossbeam_channel::bounded(FILA_DE_RECUSAS);
    thread::Builder::new()
        .name("recusas".into())
        .spawn(move || recusados.iter().for_each(esperar_o_fim))?;
    Ok(Recusas { maximo, fila })
}

impl Recusas {
    /// O servidor está lotado: o cliente recebe na hora, no laço do
    /// `accept()`, uma linha `Erro:` que diz por quê, e o fim do fluxo
    /// (FIN). Um cliente lento ou malicioso não segura o laço: o socket vira
    /// não bloqueante antes de ler ou escrever, e a linha cabe com folga no
    /// buffer de envio, vazio numa conexão nova.
    ///
    /// Fechar logo em seguida seria arriscado: fechar um socket com dados
    /// recebidos e não lidos (ou recebê-los depois de fechado) faz o kernel
    /// mandar RST em vez de FIN, e o RST pode descartar, do lado do cliente,
    /// a linha `Erro:` que ele ainda não leu (o Windows descarta). Um
    /// `cliente` que lê de um pipe envia a mensagem logo depois de conectar.
    /// Por isso aqui só se descarta o que já chegou, e o socket vai para a
    /// thread de recusas, que espera o cliente fechar o lado dele.
    pub fn recusar(&self, mut conexao: TcpStream, cliente: Cliente, log: &Sender<Linha>) {
        let maximo = quantidade(self.maximo as u64, "cliente", "clientes");
        registrar(log, format!("{cliente} Recusado: servidor lotado ({maximo} ao mesmo tempo)"));
        let _ = conexao.set_nonblocking(true);
        let erro = format!("Erro: servidor lotado (máximo de {maximo}); tente mais tarde\n");
        let _ = conexao.write_all(erro.as_bytes());
        let _ = conexao.shutdown(Shutdown::Write);
        let _ = io::copy(&mut (&conexao).take(LIMITE_MENSAGEM as u64), &mut io::sink());
        // O prazo do fim conta da recusa. Com a fila cheia, o `try_send`
        // devolve o socket, e o close() é aqui, na hora.
        let _ = self.fila.try_send((conexao, Instant::now() + ESPERA_AO_ENCERRAR));
    }
}

/// O fim de um recusado, na thread de recusas, um de cada vez: descarta o
/// que ele enviar até ele fechar o lado dele, por no máximo 2 s contados da
/// recusa (o prazo do fechamento demorado de `fechar_com_aviso`). Os prazos
/// correm juntos: com vários recusados calados, a fila anda assim mesmo.
/// Depois, o socket é fechado: sem RST, a menos que o cliente ainda esteja
/// enviando.
fn esperar_o_fim((conexao, prazo): (TcpStream, Instant)) {
    let _ = conexao.set_nonblocking(false);
    let _ = descartar_ate_o_fim(&conexao, prazo);
}
