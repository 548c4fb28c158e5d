//! `servidor-simples`: o `servidor.py` da disciplina, linha por linha, em
//! Rust, só com a biblioteca padrão. Iterativo e bloqueante: aceita um
//! cliente, conversa com ele até ele sair e volta ao `accept()`; enquanto
//! isso, qualquer outro cliente espera.
//!
//! | `servidor.py` (em `common/ferramentas/disciplina/`) | aqui |
//! |---|---|
//! | `HOST = "localhost"` | `const HOST: &str = "127.0.0.1";`: o localhost de um socket AF_INET (em Rust, localhost também resolve para o IPv6 ::1, e o servidor poderia escutar só nele) |
//! | `PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000` | `const PORT: u16 = 5000;` (o padrão; a linha de comando é lida no começo do main) |
//! | `def main():` | `fn main() {`, que começa pela porta: `std::env::args().skip(1).last()` |
//! | `servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `std::net::TcpListener::bind((HOST, porta))`: socket, bind e listen numa chamada só (no Unix, ela liga também o SO_REUSEADDR, que a Parte 1 explica) |
//! | `servidor.bind((HOST, PORT))` | a mesma chamada |
//! | `servidor.listen(1)` | a mesma chamada, com listen(128): a biblioteca padrão não deixa escolher |
//! | `print(f"Servidor Echo escutando em {HOST}:{PORT}")` | `println!("Servidor Echo escutando em {HOST}:{porta}")` (a porta que o sistema deu, se veio 0) |
//! | `while True:` | `loop {` |
//! | `print("\nAguardando conexão...")` | `println!("\nAguardando conexão...")` |
//! | `conn, addr = servidor.accept()` | `let Ok((conexao, endereco)) = servidor.accept()` |
//! | `print(f"Conectado com {addr}")` | `println!("Conectado com {endereco}")` |
//! | `while True:` | `let desfecho = loop {`: o laço termina com o desfecho da conversa, um texto para o log |
//! | `dados = conn.recv(1024)` | `read_until(b'\n', &mut dados)`: os bytes até o fim da linha |
//! | `if not dados:` | `Ok(0)` |
//! | `print("Cliente desconectou")` | `break "Cliente desconectou"`, e a linha logo depois do laço o imprime |
//! | `mensagem = dados.decode()` | `let mensagem = dados.strip_suffix(b"\r\n")`...: a linha sem o fim, ainda em bytes; só o log vira texto |
//! | `print(f"Recebido: {mensagem}")` | `println!("Recebido: {}"` |
//! | `conn.sendall(f"Echo: {mensagem}".encode())` | `write_all(&[b"Echo: ", mensagem, b"\n"].concat())` |
//! | `conn.close()` | `drop(conexao)` |
//!
//! O que muda em relação ao `servidor.py`, e por quê:
//! - as mensagens terminam em `\n`. TCP entrega um fluxo de bytes, sem
//!   fronteiras: um `recv(1024)` pode trazer meia mensagem, ou duas. O
//!   `BufReader` pede ao kernel blocos de 8 KiB e o `read_until` entrega até o
//!   `\n`, guardando o resto para a próxima mensagem. Por isso o `cliente.py`
//!   da disciplina, que envia sem `\n`, precisa de `+ "\n"` no `sendall` (ou
//!   use o `cliente-simples`);
//! - a leitura tem um limite (`take`): uma linha sem fim não faz a memória
//!   crescer;
//! - os bytes voltam como vieram, e um RST, uma linha grande demais ou um
//!   cliente que sai no meio de uma linha encerram só aquela conversa: o
//!   `servidor.py` morre com um RST ou com bytes que não são UTF-8; este
//!   volta ao `accept()`. Uma linha que não termina, e não passa do limite,
//!   prende o servidor nela, e os outros clientes esperam: o preço de ser
//!   iterativo, que a Parte 3 resolve.
//!
//! O que ele simplifica está marcado no código com "Simplificação:", e a
//! Parte 1 (`parte1/src/servidor.rs`) faz por inteiro: é o que muda para o
//! servidor sobreviver ao mundo (o `listen(1)` de verdade, `--host` e
//! `--porta`, erros do sistema em português, o aviso `Erro: mensagem maior
//! que 65536 bytes` antes de fechar, o log que escapa cada byte).
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin servidor-simples` (porta 5000; ou
//!    `cargo run --bin servidor-simples -- 6000`, e `--porta 6000` também
//!    vale; 0 pede uma porta livre ao sistema).
//! 2. Terminal 2: `cargo run --bin cliente-simples`; digite `oi`. O servidor
//!    mostra `Recebido: oi`; o cliente, `Resposta: Echo: oi`.
//! 3. Um terceiro terminal com outro cliente fica sem resposta até o
//!    primeiro digitar `sair`: um cliente de cada vez (a Parte 3 resolve).

use std::io::{BufRead, BufReader, Read, Write};

const HOST: &str = "127.0.0.1";
const PORT: u16 = 5000;
/// Maior mensagem aceita, em bytes, sem o `\n`: o limite da memória que um
/// cliente ocupa aqui (o das partes; aqui o `\r` de um `\r\n` conta nele).
const LIMITE: u64 = 65_536;

fn main() {
    // Como no `servidor.py`, a porta pode vir na linha de comando (aqui também
    // como `--porta 6000`: vale o último argumento).
    let ultimo = std::env::args().skip(1).last();
    let Ok(porta) = ultimo.as_deref().map_or(Ok(PORT), str::parse) else {
        eprintln!("uso: servidor-simples [PORTA]: o servidor.py da disciplina; a porta, de 0 (uma livre) a 65535, é 5000 se omitida (ex.: servidor-simples 6000)");
        std::process::exit(if matches!(ultimo.as_deref(), Some("--help" | "-h")) { 0 } else { 2 });
    };
    // Simplificação: a causa vem como o sistema a escreve (em inglês, no
    // Linux); as partes a dizem em português (`common/src/erros.rs`).
    let servidor = std::net::TcpListener::bind((HOST, porta)).unwrap_or_else(|e| {
        eprintln!("servidor-simples: não foi possível escutar em {HOST}:{porta}: {e}");
        std::process::exit(1)
    });
    // Com a porta 0, o sistema escolheu uma: o banner mostra qual.
    let porta = servidor.local_addr().map_or(porta, |a| a.port());
    println!("Servidor Echo escutando em {HOST}:{porta}");
    loop {
        println!("\nAguardando conexão...");
        // Simplificação: um accept() que falhou é ignorado; sem descritores,
        // o laço giraria sem parar. A Parte 1 o registra e espera um pouco.
        let Ok((conexao, endereco)) = servidor.accept() else { continue };
        println!("Conectado com {endereco}");
        // O socket com um buffer de leitura na frente: o `BufReader` pede ao
        // kernel blocos de 8 KiB e entrega até o `\n`; `get_mut()` é o socket
        // em si, para escrever.
        let mut conexao = BufReader::new(conexao);
        let desfecho = loop {
            let mut dados = Vec::new();
            // O `recv` com fronteiras: lê até o `\n`, mas nunca mais que
            // LIMITE + 1 bytes (o `\r` de um `\r\n` também conta), e uma
            // linha sem fim não faz a memória crescer. O `take` põe o limite
            // numa leitura só; o `by_ref` empresta o `BufReader` a ele, sem
            // entregá-lo (a próxima mensagem lê do mesmo buffer).
            let mut ate_o_limite = conexao.by_ref().take(LIMITE + 1);
            match ate_o_limite.read_until(b'\n', &mut dados) {
                Ok(0) => break "Cliente desconectou".to_string(),
                Ok(_) if dados.ends_with(b"\n") => {}
                // Sem `\n` no fim: o cliente saiu no meio da linha, ou ela passou
                // do limite. Simplificação: nos dois casos a conversa acaba, e
                // no segundo o close() com bytes ainda não lidos pode fazer o
                // kernel mandar um RST, não um FIN: o cliente vê a conexão desfeita,
                // sem motivo. A Parte 1 responde `Erro: mensagem maior que
                // 65536 bytes` e fecha devagar (`fechar_com_aviso`).
                Ok(_) => break "Linha sem \\n no fim: conexão encerrada".to_string(),
                // A conexão foi desfeita (RST: o cliente fechou sem ler tudo o
                // que recebeu, ou a máquina dele caiu) ou a rede falhou: só
                // esta conexão acaba.
                // Simplificação: a causa vem como o sistema a escreve (em
                // inglês, no Linux); as partes a dizem em português.
                Err(e) => break format!("Conexão com o cliente falhou: {e}"),
            }
            // A mensagem é a linha sem o `\n` (e sem o `\r` de antes dele, que
            // o telnet e o `nc -C` enviam); os bytes voltam como vieram.
            let mensagem = dados.strip_suffix(b"\r\n").unwrap_or(&dados[..dados.len() - 1]);
            // No log, os caracteres de controle saem escapados (o ESC que
            // apagaria a tela de quem olha vira `\u{1b}`). Simplificação: as
            // aspas também, e um byte inválido vira `�`; as partes mostram
            // `\xff` e deixam as aspas (`texto_seguro`).
            println!("Recebido: {}", String::from_utf8_lossy(mensagem).escape_debug());
            // O `sendall` do Python: a resposta montada numa peça só, e o
            // `write_all` escreve até o último byte (o kernel pode aceitar só
            // uma parte por chamada; ele repete).
            if let Err(e) = conexao.get_mut().write_all(&[b"Echo: ", mensagem, b"\n"].concat()) {
                break format!("Conexão com o cliente falhou: {e}");
            }
        };
        println!("{desfecho}");
        drop(conexao); // close(): aqui, em todos os caminhos, normal ou de erro
    }
}
