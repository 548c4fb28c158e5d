//! `eco-tokio`: um eco mínimo com tokio (uma tarefa por conexão), sem log,
//! sem limites, sem nada de didático. É a referência da `bancada` para o
//! `parte3-async`: o mesmo modelo, sem o que o ensino acrescenta.
//!
//! Atalho que um servidor de verdade não pode tomar: não limita o tamanho de
//! uma linha.

use clap::Parser;
use common::linha_de_comando::{ArgsAjuda, MODELO_AJUDA};
use common::rede::ArgsServidor;
use ferramentas::escuta::escutar_ou_sair;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Eco mínimo com tokio, referência da bancada (não é material didático)
#[derive(Parser)]
#[command(name = "eco-tokio", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

#[tokio::main]
async fn main() {
    let args: Args = common::linha_de_comando::ler();
    let escuta = escutar_ou_sair(env!("CARGO_BIN_NAME"), &args.servidor, 1024);
    let escuta =
        match escuta.set_nonblocking(true).and_then(|()| tokio::net::TcpListener::from_std(escuta))
        {
            Ok(escuta) => escuta,
            Err(e) => {
                eprintln!("eco-tokio: {e}");
                std::process::exit(1);
            }
        };
    loop {
        if let Ok((socket, _)) = escuta.accept().await {
            tokio::spawn(eco(socket));
        }
    }
}

async fn eco(mut socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    let mut pendente = Vec::new();
    let mut saida = Vec::new();
    loop {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pendente.extend_from_slice(&buf[..n]);
        let mut inicio = 0;
        saida.clear();
        while let Some(p) = memchr::memchr(b'\n', &pendente[inicio..]) {
            saida.extend_from_slice(b"Echo: ");
            saida.extend_from_slice(&pendente[inicio..inicio + p + 1]);
            inicio += p + 1;
        }
        pendente.drain(..inicio);
        if !saida.is_empty() && socket.write_all(&saida).await.is_err() {
            return;
        }
    }
}
