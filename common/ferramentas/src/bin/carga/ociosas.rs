//! As conexões ociosas do `carga` (`--ociosos K`): abertas antes da
//! medição, uma por vez, cada uma com um eco, e paradas até o fim.

use crate::conexoes::PRAZO_DE_CONEXAO;
use crate::gerador::DaThread;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Prazo para abrir todas as conexões ociosas, cada uma com o seu eco.
const PRAZO_DAS_OCIOSAS: Duration = Duration::from_secs(300);
/// Prazo para o eco de chegada de uma conexão ociosa.
const PRAZO_DO_ECO_OCIOSO: Duration = Duration::from_secs(10);

/// Abre as conexões ociosas, uma por vez, e faz um eco em cada uma antes de
/// deixá-la parada: uma conexão que só completou o `connect()` pode estar
/// apenas na fila do `listen()`, sem que o servidor a tenha aceitado; o eco
/// prova que ele a aceitou e atende. O resultado de cada eco vai para
/// `contas` (certo, errado, faltando, reset); só as conexões cujo eco voltou
/// certo ficam abertas.
pub fn abrir(endereco: SocketAddr, quantas: u32, da_thread: &mut DaThread) -> Vec<TcpStream> {
    let prazo = Instant::now() + PRAZO_DAS_OCIOSAS;
    let mut abertas = Vec::with_capacity(quantas as usize);
    for i in 0..quantas {
        if Instant::now() > prazo {
            da_thread.contas.falhas_de_conexao += u64::from(quantas - i);
            da_thread.primeira_falha.get_or_insert(io::Error::from(io::ErrorKind::TimedOut));
            break;
        }
        let mut socket = match TcpStream::connect_timeout(&endereco, PRAZO_DE_CONEXAO) {
            Ok(s) => s,
            Err(e) => {
                da_thread.contas.falhas_de_conexao += 1;
                da_thread.primeira_falha.get_or_insert(e);
                continue;
            }
        };
        let mensagem = format!("ocioso {i}");
        let _ = socket.set_nodelay(true);
        let resposta = socket
            .set_read_timeout(Some(PRAZO_DO_ECO_OCIOSO))
            .and_then(|()| socket.write_all(format!("{mensagem}\n").as_bytes()))
            .and_then(|()| ler_uma_linha(&mut socket));
        let contas = &mut da_thread.contas;
        match resposta {
            Ok(Some(linha)) if linha == format!("Echo: {mensagem}").as_bytes() => {
                contas.ociosos_atendidos += 1;
                abertas.push(socket);
            }
            Ok(Some(linha)) => {
                contas.respostas_erradas += 1;
                contas
                    .exemplo_de_erro
                    .get_or_insert_with(|| String::from_utf8_lossy(&linha).into_owned());
            }
            Ok(None) => contas.respostas_faltando += 1,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                contas.respostas_faltando += 1
            }
            Err(_) => contas.resets += 1,
        }
    }
    abertas
}

/// Lê uma linha (sem o `\n`), de no máximo 1 KiB; `None` se o servidor
/// fechou antes de terminá-la. Byte a byte não: um `read` por pedaço, e o
/// eco de chegada é a única coisa que o servidor envia nessa conexão.
fn ler_uma_linha(socket: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut linha = Vec::new();
    let mut pedaco = [0u8; 256];
    while linha.len() < 1024 {
        let n = socket.read(&mut pedaco)?;
        if n == 0 {
            return Ok(None);
        }
        linha.extend_from_slice(&pedaco[..n]);
        if let Some(fim) = memchr::memchr(b'\n', &linha) {
            linha.truncate(fim);
            return Ok(Some(linha));
        }
    }
    Ok(Some(linha))
}
