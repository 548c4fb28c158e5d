//! `eco-mio`: um eco mínimo com `mio` (uma thread, epoll no Linux), sem log,
//! sem limites, sem nada de didático. É a referência da `bancada` para o
//! `parte3-poll`: o mesmo modelo, sem o que o ensino acrescenta.
//!
//! Atalhos que um servidor de verdade não pode tomar: supõe que toda resposta
//! cabe no buffer de envio do kernel (uma escrita parcial encerra a conexão)
//! e não limita o tamanho de uma linha.

use clap::Parser;
use common::erros::perdeu_so_esta_conexao;
use common::linha_de_comando::{ArgsAjuda, MODELO_AJUDA};
use common::rede::ArgsServidor;
use ferramentas::escuta::escutar_ou_sair;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};

/// Eco mínimo com mio, referência da bancada (não é material didático)
#[derive(Parser)]
#[command(name = "eco-mio", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

const ESCUTA: Token = Token(usize::MAX);

fn main() {
    let args: Args = common::linha_de_comando::ler();
    let escuta = escutar_ou_sair(env!("CARGO_BIN_NAME"), &args.servidor, 1024);
    if let Err(e) = laco(escuta) {
        eprintln!("eco-mio: {e}");
        std::process::exit(1);
    }
}

fn laco(escuta: std::net::TcpListener) -> std::io::Result<()> {
    escuta.set_nonblocking(true)?;
    let mut escuta = TcpListener::from_std(escuta);
    let mut poll = Poll::new()?;
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    let mut conexoes: Vec<Option<(TcpStream, Vec<u8>)>> = Vec::new();
    let mut eventos = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut saida = Vec::new();
    loop {
        if let Err(e) = poll.poll(&mut eventos, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for evento in eventos.iter() {
            if evento.token() == ESCUTA {
                loop {
                    let mut s = match escuta.accept() {
                        Ok((s, _)) => s,
                        // Uma conexão desfeita antes do accept(): tenta a próxima.
                        // Parar aqui deixaria o socket de escuta sem avisos no
                        // Windows, onde o mio só o vigia de novo depois de um
                        // WouldBlock.
                        Err(e) if perdeu_so_esta_conexao(&e) => continue,
                        Err(_) => break,
                    };
                    let _ = s.set_nodelay(true);
                    let chave = conexoes.iter().position(Option::is_none).unwrap_or(conexoes.len());
                    poll.registry().register(&mut s, Token(chave), Interest::READABLE)?;
                    if chave == conexoes.len() {
                        conexoes.push(None);
                    }
                    conexoes[chave] = Some((s, Vec::new()));
                }
                continue;
            }
            let chave = evento.token().0;
            let Some(Some((s, pendente))) = conexoes.get_mut(chave) else { continue };
            let mut fechar = false;
            saida.clear();
            loop {
                match s.read(&mut buf) {
                    Ok(0) => {
                        fechar = true;
                        break;
                    }
                    Ok(n) => {
                        pendente.extend_from_slice(&buf[..n]);
                        let mut inicio = 0;
                        while let Some(p) = memchr::memchr(b'\n', &pendente[inicio..]) {
                            saida.extend_from_slice(b"Echo: ");
                            saida.extend_from_slice(&pendente[inicio..inicio + p + 1]);
                            inicio += p + 1;
                        }
                        pendente.drain(..inicio);
                        // Leitura curta: nada mais por ora. O atalho só vale no
                        // Unix (epoll/kqueue avisam de novo quando chegar mais;
                        // no Windows o mio só volta a avisar depois de uma
                        // operação devolver WouldBlock) e se o evento não
                        // avisou já o fim do fluxo (ele não se repete, e só a
                        // próxima leitura devolve o 0).
                        if n < buf.len() && cfg!(unix) && !evento.is_read_closed() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => {
                        fechar = true;
                        break;
                    }
                }
            }
            if !saida.is_empty() && s.write(&saida).map(|n| n != saida.len()).unwrap_or(true) {
                fechar = true;
            }
            if fechar {
                if let Some((mut s, _)) = conexoes[chave].take() {
                    let _ = poll.registry().deregister(&mut s);
                }
            }
        }
    }
}
