//! `nagle`: o atraso que aparece quando uma escrita pequena sai enquanto a
//! anterior ainda espera a confirmação (ACK) do outro lado.
//!
//! Um servidor de eco dentro deste programa (127.0.0.1, porta livre)
//! responde de cinco jeitos, um por rodada:
//! 1. cada resposta em duas escritas (`Echo: ` e depois a mensagem), com o
//!    algoritmo de Nagle ligado (o padrão do TCP);
//! 2. em duas escritas, com `TCP_NODELAY` (Nagle desligado);
//! 3. numa escrita só, com Nagle ligado;
//! 4. o cliente envia duas mensagens juntas, e o servidor responde cada uma
//!    numa escrita (o que os servidores das partes fazem), com Nagle ligado;
//! 5. o mesmo, com `TCP_NODELAY` (o que os servidores das partes ligam).
//!
//! Um cliente mede o tempo de ida e volta (até a última resposta do envio).
//! Nos jeitos 1 e 4, a segunda escrita do servidor espera o ACK da
//! primeira, e o cliente, que ainda não tem nada a enviar, atrasa o ACK de
//! propósito ("ACK atrasado"): a resposta para até o temporizador do ACK
//! vencer. Com uma escrita só e uma mensagem por vez (jeito 3), nunca há
//! uma escrita anterior sem ACK, e Nagle não atrasa nada.

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

/// Um jeito de o servidor responder (e de o cliente enviar).
#[derive(Clone, Copy)]
struct Jeito {
    descricao: &'static str,
    /// Cada resposta em duas escritas (`Echo: ` e o resto).
    duas_escritas: bool,
    sem_nagle: bool,
    /// Mensagens que o cliente envia juntas, numa escrita, antes de ler.
    juntas: u32,
}

const fn jeito(
    descricao: &'static str,
    duas_escritas: bool,
    sem_nagle: bool,
    juntas: u32,
) -> Jeito {
    Jeito { descricao, duas_escritas, sem_nagle, juntas }
}

const JEITOS: [Jeito; 5] = [
    jeito("resposta em duas escritas, Nagle ligado", true, false, 1),
    jeito("resposta em duas escritas, TCP_NODELAY", true, true, 1),
    jeito("resposta numa escrita, Nagle ligado", false, false, 1),
    jeito("duas mensagens juntas, Nagle ligado", false, false, 2),
    jeito("duas mensagens juntas, TCP_NODELAY", false, true, 2),
];

fn main() {
    let args: Args = common::linha_de_comando::ler();
    println!(
        "Ida e volta de {} envios de mensagens de 32 bytes em 127.0.0.1 ({}), até a última resposta:",
        args.mensagens,
        std::env::consts::OS
    );
    for jeito in JEITOS {
        match medir(jeito, args.mensagens) {
            Ok(mut tempos) => {
                tempos.sort();
                // Três casas abaixo de 1 ms: no loopback, uma ida e volta sem
                // espera leva poucos microssegundos.
                let ms = |d: Duration| {
                    let ms = d.as_secs_f64() * 1000.0;
                    let casas = if ms < 1.0 { 3 } else { 2 };
                    format!("{ms:.casas$} ms").replace('.', ",")
                };
                let mediana = tempos[tempos.len() / 2];
                let maior = tempos[tempos.len() - 1];
                println!(
                    "- {:<40} mediana {:>9}, maior {:>9}",
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
        let envio: String = (0..jeito.juntas).map(|j| format!("mensagem {i:021}-{j}\n")).collect();
        escrita.write_all(envio.as_bytes())?;
        for _ in 0..jeito.juntas {
            resposta.clear();
            leitor.read_line(&mut resposta)?;
        }
        if i >= 3 {
            tempos.push(inicio.elapsed());
        }
    }
    drop(escrita);
    drop(leitor);
    let _ = servidor.join();
    Ok(tempos)
}
