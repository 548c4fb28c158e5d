//! `cliente-simples`: o `cliente.py` da disciplina, linha por linha, em Rust.
//! Bloqueante e sem threads: envia uma linha, espera a resposta, repete.
//!
//! | `cliente.py` (em `common/ferramentas/disciplina/`) | aqui |
//! |---|---|
//! | `PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000` | `std::env::args().skip(1).last()` |
//! | `cliente = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `let enderecos = common::rede::resolver(HOST, porta.get())?;` só acha os endereços de HOST (os IPv4 primeiro, como o AF_INET); o socket nasce no connect, na linha seguinte |
//! | `cliente.connect((HOST, PORT))` | `TcpStream::connect(&enderecos[..])` (cria o socket e conecta) |
//! | `print("Conectado ao servidor Echo")` | `println!("Conectado ao servidor Echo")` |
//! | `print('Digite "sair" para encerrar a conexão\n')` | `println!("Digite \"sair\" para encerrar a conexão\n")` |
//! | `while True:` | `let fim = loop {` (cada break leva a última linha a imprimir) |
//! | `mensagem = input("Digite uma mensagem: ")` | `print!("Digite uma mensagem: ")`, `io::stdout().flush()` e `teclado.next()` |
//! | `if mensagem.lower() == "sair":` | `if mensagem.trim().eq_ignore_ascii_case("sair")` |
//! | `cliente.sendall(mensagem.encode())` | `cliente.write_all(format!("{mensagem}\n").as_bytes())` |
//! | `resposta = cliente.recv(1024)` | `respostas.proxima(&mut cliente)` |
//! | `print(f"Resposta: {resposta.decode()}\n")` | `println!("Resposta: {}\n", common::texto::texto_seguro(&resposta))` |
//! | `cliente.close()` | `drop(cliente)` |
//! | `print("Conexão encerrada")` | `println!("{fim}")`: "Conexão encerrada", numa linha própria no fim da entrada |
//!
//! As diferenças, e por quê:
//! - a mensagem sai com `\n` no fim, e a resposta é lida até o `\n` dela pelo
//!   `LeitorDeLinhas` (`common/src/protocolo.rs`), não por um `recv(1024)`
//!   que pode trazer só um pedaço (ou duas respostas grudadas);
//! - `input()` é três passos aqui: mostrar o prompt, esvaziar a saída (sem
//!   quebra de linha, o prompt ficaria guardado no buffer) e ler a linha;
//! - `sair` vale com espaços em volta (`trim`), e o fim da entrada (Ctrl-D;
//!   no Windows, Ctrl-Z e Enter) encerra como `sair`, com o `Conexão
//!   encerrada` numa linha própria: o `cliente.py` enviaria os espaços, e
//!   morreria com `EOFError`;
//! - uma conexão recusada ganha uma dica (o servidor está rodando?); o
//!   `cliente.py` morreria com `ConnectionRefusedError`;
//! - se o servidor fecha a conexão, o cliente diz isso e sai; o `cliente.py`
//!   mostraria `Resposta: ` vazia e, num dos envios seguintes, morreria com
//!   um erro de conexão;
//! - a resposta aparece escapada (`texto_seguro`): um servidor não consegue
//!   mandar códigos que apaguem a tela de quem usa o cliente.
//!
//! O cliente completo (`cargo run --bin cliente`) faz o mesmo e mais:
//! horários, avisos do servidor na hora, edição de linha.
//!
//! Uso: `cargo run --bin cliente-simples` (porta 5000) ou
//! `cargo run --bin cliente-simples -- 6000` (`--porta 6000` também vale).

use common::protocolo::{LeitorDeLinhas, Recebido, LIMITE_MENSAGEM, PREFIXO_ECO};
use std::{io, io::BufRead, io::Write, num::NonZeroU16};

const HOST: &str = "localhost";
const PORT: NonZeroU16 = NonZeroU16::new(5000).expect("5000 não é zero");
/// A dica de uma conexão recusada: quase sempre, nenhum servidor na porta.
const RODANDO: &str = ". O servidor está rodando nessa porta? (ex.: cargo run --bin parte1)";

fn main() {
    // Como no `cliente.py`, a porta pode vir na linha de comando (aqui também
    // como `--porta 6000`: vale o último argumento).
    let ultimo = std::env::args().skip(1).last();
    // `NonZeroU16`: a porta 0 não serve para conectar, e o parse a recusa
    // como recusa letras ou um número acima de 65535.
    let Ok(porta) = ultimo.as_deref().map_or(Ok(PORT), str::parse) else {
        // Não é uma porta: mostra o uso; com `--help`, isso não é um erro.
        eprintln!("uso: cliente-simples [PORTA]: o cliente.py da disciplina; a porta, de 1 a 65535, é 5000 se omitida (ex.: cliente-simples 6000)");
        std::process::exit(if matches!(ultimo.as_deref(), Some("--help" | "-h")) { 0 } else { 2 });
    };
    let Err(e) = conversar(porta) else { return };
    let dica = if e.kind() == io::ErrorKind::ConnectionRefused { RODANDO } else { "" };
    eprintln!("cliente-simples: {}{dica}", common::erros::descrever(&e));
    std::process::exit(1);
}

fn conversar(porta: NonZeroU16) -> io::Result<()> {
    // `localhost` também resolve para ::1, que o Windows lista primeiro; com o
    // servidor só em IPv4, tentar ::1 antes custaria uns 2 s lá.
    let enderecos = common::rede::resolver(HOST, porta.get())?;
    let mut cliente = std::net::TcpStream::connect(&enderecos[..])?;
    println!("Conectado ao servidor Echo");
    println!("Digite \"sair\" para encerrar a conexão\n");
    // Uma resposta tem o prefixo `Echo: ` além da mensagem.
    let mut respostas = LeitorDeLinhas::com_limite(LIMITE_MENSAGEM + PREFIXO_ECO.len());
    // As linhas do teclado, já sem o `\n` (como as devolve o `input()`).
    let mut teclado = io::stdin().lock().lines();
    let fim = loop {
        print!("Digite uma mensagem: ");
        io::stdout().flush()?;
        // Fim da entrada (Ctrl-D): sem um Enter, a linha do prompt está aberta.
        let Some(mensagem) = teclado.next().transpose()? else { break "\nConexão encerrada" };
        if mensagem.trim().eq_ignore_ascii_case("sair") {
            break "Conexão encerrada";
        }
        cliente.write_all(format!("{mensagem}\n").as_bytes())?;
        let Recebido::Mensagem(resposta) = respostas.proxima(&mut cliente)? else {
            break "\nO servidor encerrou a conexão (ou respondeu fora do protocolo)\nConexão encerrada";
        };
        println!("Resposta: {}\n", common::texto::texto_seguro(&resposta));
    };
    drop(cliente);
    println!("{fim}");
    Ok(())
}
