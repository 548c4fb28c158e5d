//! # Parte 3 — uma thread por cliente
//!
//! O servidor da Parte 2 com uma única ideia nova: cada conexão aceita é
//! atendida numa thread própria (`atender_cliente`), e o laço principal volta
//! na hora para `accept()`. Um cliente lento ou parado não segura mais os
//! outros: o kernel escalona as threads, e cada uma bloqueia só na sua
//! própria leitura.
//!
//! O que mudou em relação à Parte 2: o `thread::spawn` em volta de
//! `atender_cliente` (marcado `NOVO`), e mais nada no atendimento, que
//! continua o mesmo código sequencial. O log é o recurso compartilhado entre
//! as threads: cada `println!` toma a trava interna de `Stdout`, então as
//! linhas saem inteiras, nunca misturadas, e cada uma diz de qual cliente
//! fala. A fila do `listen()` passa a 128 por padrão (`main.rs`): com o
//! `accept()` sempre pronto, ela só absorve rajadas de conexões.
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

use common::erros::descrever;
use common::protocolo::{erro_mensagem_grande, Conexao, Recebido, LIMITE_MENSAGEM};
use common::rede::silencioso;
use common::tempo::{agora, duracao_legivel};
use common::texto::{quantidade, texto_seguro};
use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
struct Cliente {
    /// Ordem de chegada, a partir de 1.
    numero: u64,
    endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// Aceita clientes para sempre; cada um é atendido na sua thread.
pub fn servir(escuta: TcpListener, atraso: Duration) {
    let mut numero = 0;
    loop {
        println!("{} Aguardando conexão...", agora());
        let (socket, endereco) = match escuta.accept() {
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
            .spawn(move || atender_cliente(socket, cliente, atraso));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            println!("{} {cliente} Sem thread para atender: {}", agora(), descrever(&e));
        }
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(socket: TcpStream, cliente: Cliente, atraso: Duration) {
    println!("{} {cliente} Conectado", agora());
    let inicio = Instant::now();
    let mut mensagens = 0;
    let mut conexao = Conexao::nova(socket);
    let desfecho = loop {
        // A escrita (`write`) dos ecos preparados acontece aqui, logo antes
        // de a leitura (`read`) bloquear esperando a próxima mensagem.
        match conexao.enviar_e_receber() {
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    println!("{} {cliente} Recebido: {}", agora(), texto_seguro(&mensagem));
                }
                mensagens += 1;
                thread::sleep(atraso);
                conexao.preparar_eco(&mensagem);
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem ({bytes} bytes descartados)");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = conexao.encerrar(&erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    println!("{} {cliente} {desfecho} (ficou {duracao}, {mensagens})", agora());
    // `conexao` sai de escopo aqui: o socket é fechado em todos os caminhos.
}
