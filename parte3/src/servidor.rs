//! # Parte 3 — uma thread por cliente
//!
//! O servidor da Parte 2 com uma única ideia nova: cada conexão aceita é
//! atendida numa thread própria (`atender_cliente`), e o laço principal volta
//! na hora para `accept()`. Um cliente lento ou parado não segura mais os
//! outros: o kernel escalona as threads, e cada uma bloqueia só na sua
//! própria leitura.
//!
//! O que mudou em relação à Parte 2: uma thread nova em volta de
//! `atender_cliente` (marcado `NOVO`; é o `thread::spawn`, escrito com
//! `thread::Builder`, que devolve um erro em vez de derrubar o servidor
//! quando o sistema não cria a thread), e mais nada no atendimento, que
//! continua o mesmo código sequencial. Em `main.rs`, outro `NOVO`: com uma
//! conexão por cliente, o processo sobe o seu limite de descritores de
//! arquivo (`ulimit -n`, muitas vezes 1024) até o máximo permitido. O log é
//! o recurso compartilhado entre as threads: cada `println!` toma a trava
//! interna de `Stdout`, então as linhas saem inteiras, nunca misturadas, e
//! cada uma diz de qual cliente fala. O `Aguardando conexões...` sai uma vez
//! só, antes do laço: o `accept()` não espera mais ninguém sair. A fila do
//! `listen()` passa a 128 por padrão (`main.rs`): com o `accept()` sempre
//! pronto, ela só absorve rajadas de conexões.
//!
//! Limitações que a Parte 4 resolve: não há limite de clientes (cada um
//! custa uma thread), um cliente parado ocupa a sua thread para sempre, e
//! Ctrl-C mata o processo sem avisar ninguém.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3 -- --atraso 2000` (ou
//!    `just parte3 --atraso 2000`).
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos.
//! 3. As duas respostas chegam cerca de 2 s depois, juntas: o atendimento se
//!    sobrepõe. Na Parte 2 a segunda só chegaria depois que o primeiro
//!    cliente saísse.

use anyhow::Result;
use common::erros::{descrever, falhou};
use common::protocolo::{
    eco, erro_mensagem_grande, fechar_com_aviso, LeitorDeLinhas, Recebido, LIMITE_MENSAGEM,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::{agora, duracao_legivel};
use common::texto::{quantidade, texto_seguro, Cliente};
use socket2::{Domain, Socket, Type};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Abre o socket de escuta e aceita clientes para sempre; cada um é
/// atendido na sua thread. Só volta (com o erro) se não conseguir abrir o
/// socket.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    // A biblioteca padrão (`TcpListener::bind`) faz socket, bind e listen
    // numa chamada só, e sempre com listen(128); o crate socket2 expõe as
    // três, como o módulo `socket` do Python.
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    // Sem SO_REUSEADDR, reiniciar o servidor logo depois de encerrá-lo com
    // clientes conectados daria "porta em uso" por até 1 min: as conexões
    // que ele fechou primeiro ficam em TIME_WAIT (ou em FIN_WAIT_2, se o
    // cliente ainda não fechou a dele). No Windows a opção quer dizer outra
    // coisa: deixaria este servidor ocupar, sem erro, uma porta que outro
    // programa (o seu `servidor.py`) já usa. Lá, não a ligamos.
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()` e devolve os tipos dela (`TcpStream`, `SocketAddr`).
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;

    let mut numero = 0;
    println!("{} Aguardando conexões...", agora());
    loop {
        let (conexao, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                println!("{} Erro no accept(): {}", agora(), descrever(&e));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        numero += 1;
        let cliente = Cliente { numero, endereco };
        // NOVO: a conversa vai para uma thread só dela, dona do socket (que
        // ela fecha ao terminar); este laço volta na hora para o accept().
        let criada = thread::Builder::new()
            .name(format!("cliente {numero}"))
            .spawn(move || atender_cliente(conexao, cliente, atraso));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            println!("{} {cliente} Sem thread para atender: {}", agora(), descrever(&e));
        }
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(mut conexao: TcpStream, cliente: Cliente, atraso: Duration) {
    println!("{} {cliente} Conectado", agora());
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se perde
    // a otimização.
    let _ = conexao.set_nodelay(true);
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    // O laço termina com o desfecho da conversa, um texto para o log: cada
    // `break` diz por que ela acabou, e a linha depois do laço o imprime.
    let desfecho = loop {
        match linhas.proxima(&mut conexao) {
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    println!("{} {cliente} Recebido: {}", agora(), texto_seguro(&mensagem));
                }
                mensagens += 1;
                thread::sleep(atraso);
                let resposta = eco(&mensagem);
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = conexao.write_all(&resposta) {
                    break format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = fechar_com_aviso(&conexao, &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            // A conexão foi desfeita (RST: o cliente fechou sem ler tudo o que
            // recebeu, ou caiu) ou a rede falhou: só esta conexão acaba.
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    println!("{} {cliente} {desfecho} (atendido por {duracao}, {mensagens})", agora());
    // O Rust fecharia a conexão no fim da função de qualquer jeito; o drop só
    // deixa visível o close() do `servidor.py`.
    drop(conexao); // close(): aqui, em todos os caminhos, normal ou de erro
}
