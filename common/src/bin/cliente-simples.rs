//! `cliente-simples`: o `cliente.py` da disciplina, linha por linha, em Rust.
//! Bloqueante e sem threads: envia uma linha, espera a resposta, repete.
//!
//! | `cliente.py` (em `common/ferramentas/disciplina/`) | aqui |
//! |---|---|
//! | `cliente.connect((HOST, PORT))` | `TcpStream::connect((HOST, porta))` |
//! | `mensagem = input("Digite uma mensagem: ")` | `teclado.read_line(&mut mensagem)` |
//! | `if mensagem.lower() == "sair":` | `mensagem.trim().eq_ignore_ascii_case("sair")` |
//! | `cliente.sendall(mensagem.encode())` | `cliente.write_all(format!("{mensagem}\n").as_bytes())` |
//! | `resposta = cliente.recv(1024)` | `respostas.proxima(&mut cliente)` |
//! | `print(f"Resposta: {resposta.decode()}\n")` | `println!("Resposta: {}\n"` |
//! | `cliente.close()` | `drop(cliente)` |
//!
//! As diferenças são as do protocolo: a mensagem sai com `\n` no fim, e a
//! resposta é lida até o `\n` dela pelo `LeitorDeLinhas`
//! (`common/src/protocolo.rs`), não por um `recv(1024)` que pode trazer só
//! um pedaço. O cliente completo (`cargo run --bin cliente`) faz o mesmo e
//! mais: horários, avisos do servidor na hora, edição de linha.
//!
//! Uso: `cargo run --bin cliente-simples` (porta 5000) ou
//! `cargo run --bin cliente-simples -- 6000`.

use common::protocolo::{LeitorDeLinhas, Recebido};
use std::io::{self, BufRead, Write};
use std::net::TcpStream;

const HOST: &str = "localhost";
const PORT: u16 = 5000;

fn main() {
    // A porta pode vir da linha de comando, como no `cliente.py` (senão, 5000).
    let porta = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(PORT);
    if let Err(e) = conversar(porta) {
        eprintln!("cliente-simples: {}", common::erros::descrever(&e));
        std::process::exit(1);
    }
}

fn conversar(porta: u16) -> io::Result<()> {
    let mut cliente = TcpStream::connect((HOST, porta))?;
    println!("Conectado ao servidor Echo");
    println!("Digite \"sair\" para encerrar a conexão\n");
    let mut respostas = LeitorDeLinhas::novo();
    let mut teclado = io::stdin().lock();
    loop {
        print!("Digite uma mensagem: ");
        io::stdout().flush()?;
        let mut mensagem = String::new();
        if teclado.read_line(&mut mensagem)? == 0 {
            break; // fim da entrada (Ctrl-D; no Windows, Ctrl-Z e Enter)
        }
        let mensagem = mensagem.trim_end_matches(['\r', '\n']);
        if mensagem.trim().eq_ignore_ascii_case("sair") {
            break;
        }
        cliente.write_all(format!("{mensagem}\n").as_bytes())?;
        let Recebido::Mensagem(resposta) = respostas.proxima(&mut cliente)? else {
            println!("\nO servidor encerrou a conexão");
            break;
        };
        println!("Resposta: {}\n", common::texto::texto_seguro(&resposta));
    }
    drop(cliente);
    println!("Conexão encerrada");
    Ok(())
}
