//! `nagle`: o atraso que aparece quando uma resposta sai em duas escritas.
//!
//! Um servidor de eco dentro deste programa (127.0.0.1, porta livre)
//! responde cada linha de três jeitos, um por rodada:
//! 1. em duas escritas (`Echo: ` e depois a mensagem), com o algoritmo de
//!    Nagle ligado (o padrão do TCP);
//! 2. em duas escritas, com `TCP_NODELAY` (Nagle desligado);
//! 3. numa escrita só, com Nagle ligado (o que os servidores das partes fazem).
//!
//! Um cliente mede o tempo de ida e volta de cada mensagem. No primeiro
//! jeito, o segundo pedaço espera a confirmação (ACK) do primeiro, e o
//! cliente, que ainda não tem nada a enviar, atrasa o ACK de propósito
//! ("ACK atrasado"): cada resposta para até o temporizador do ACK vencer.

use clap::Parser;
use common::linha_de_comando::{faixa, ArgsAjuda, MODELO_AJUDA};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Mede o atraso de Nagle + ACK atrasado com uma resposta em duas escritas
#[derive(Parser)]
#[command(name = "nagle", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Mensagens medidas em cada rodada (padrão: 30)
    #[arg(long, default_value_t = 30, hide_default_value = true, value_parser = faixa(5u32, 1000))]
    mensagens: u32,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Um jeito de o servidor responder.
#[derive(Clone, Copy)]
struct Jeito {
    descricao: &'static str,
    duas_escritas: bool,
    sem_nagle: bool,
}

const JEITOS: [Jeito; 3] = [
    Jeito { descricao: "duas escritas, Nagle ligado", duas_escritas: true, sem_nagle: false },
    Jeito { descricao: "duas escritas, TCP_NODELAY", duas_escritas: true, sem_nagle: true },
    Jeito { descricao: "uma escrita, Nagle ligado", duas_escritas: false, sem_nagle: false },
];

fn main() {
    let args: Args = common::linha_de_comando::ler();
    println!(
        "Ida e volta de {} mensagens de 32 bytes em 127.0.0.1 ({}):",
        args.mensagens,
        std::env::consts::OS
    );
    for jeito in JEITOS {
        match medir(jeito, args.mensagens) {
            Ok(mut tempos) => {
                tempos.sort();
                let ms =
                    |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0).replace('.', ",");
                let mediana = tempos[tempos.len() / 2];
                let maior = tempos[tempos.len() - 1];
                println!(
                    "- {:<28} mediana {:>9}, maior {:>9}",
                    jeito.descricao,
                    ms(mediana),
                    ms(maior)
                );
            }
            Err(e) => {
                eprintln!("nagle: {}: {}", jeito.descricao, common::erros::descrever(&e));
                std::process::exit(1);
            }
        }
    }
}

/// Uma rodada: um servidor que responde do jeito `jeito`, e um cliente que
/// mede `mensagens` idas e voltas (depois de 3 de aquecimento).
fn medir(jeito: Jeito, mensagens: u32) -> std::io::Result<Vec<Duration>> {
    let escuta = TcpListener::bind("127.0.0.1:0")?;
    let endereco = escuta.local_addr()?;
    let servidor = thread::spawn(move || -> std::io::Result<()> {
        let (socket, _) = escuta.accept()?;
        socket.set_nodelay(jeito.sem_nagle)?;
        let mut escrita = socket.try_clone()?;
        for linha in BufReader::new(socket).lines() {
            let linha = linha?;
            if jeito.duas_escritas {
                escrita.write_all(b"Echo: ")?;
                escrita.write_all(format!("{linha}\n").as_bytes())?;
            } else {
                escrita.write_all(format!("Echo: {linha}\n").as_bytes())?;
            }
        }
        Ok(())
    });
    let cliente = TcpStream::connect(endereco)?;
    // O cliente envia cada mensagem numa escrita só, sem esperar Nagle.
    cliente.set_nodelay(true)?;
    cliente.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut escrita = cliente.try_clone()?;
    let mut leitor = BufReader::new(cliente);
    let mut tempos = Vec::new();
    let mut resposta = String::new();
    for i in 0..mensagens + 3 {
        let inicio = Instant::now();
        escrita.write_all(format!("mensagem {i:023}\n").as_bytes())?;
        resposta.clear();
        leitor.read_line(&mut resposta)?;
        if i >= 3 {
            tempos.push(inicio.elapsed());
        }
    }
    drop(escrita);
    drop(leitor);
    let _ = servidor.join();
    Ok(tempos)
}
