//! O `connect()` do cliente e o que ele diz quando a conexão falha ou
//! demora.
//!
//! Uma conexão pode demorar: com a fila do `listen()` do servidor cheia (a
//! Parte 2 com `--backlog 1` ocupada com outro cliente), o `connect()` fica
//! parado até haver lugar, às vezes por dezenas de segundos. Sem uma
//! palavra, o estudante acharia que o cliente travou; por isso, passado
//! 1 s, o cliente diz o que está esperando, e repete enquanto espera.

use super::tela::Tela;
use crate::erros::descrever;
use crate::rede::resolver;
use crate::tempo::agora;
use crossbeam_channel::{bounded, RecvTimeoutError};
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Quanto esperar o `connect()` antes de explicar a espera: num servidor
/// com lugar na fila, a conexão completa em menos de 1 ms na mesma máquina
/// e em poucos ms na rede do laboratório.
const EXPLICAR_DEPOIS_DE: Duration = Duration::from_secs(1);

/// De quanto em quanto a explicação se repete (curta) durante a espera.
const REPETIR_A_CADA: Duration = Duration::from_secs(5);

/// Tenta cada endereço de `host` (IPv4 primeiro) e devolve o primeiro que
/// aceitar, ou a explicação do que deu errado, com a dica que cabe.
/// `explicar`: dizer a causa provável de um `connect()` que demora.
pub fn conectar(tela: &Tela, host: &str, porta: u16, explicar: bool) -> Result<TcpStream, String> {
    let Ok(enderecos) = resolver(host, porta) else {
        return Err(format!(
            "o nome {host:?} não foi encontrado (DNS). O nome está certo? \
             Na mesma máquina, use localhost; em outra, o IP dela (ex.: --host 192.168.0.10)."
        ));
    };
    // Um nome que vira 0.0.0.0 (ex.: --host 0): nem tenta.
    if enderecos.iter().any(|e| e.ip().is_unspecified()) {
        return Err(format!(
            "{host:?} é o endereço {}, que não é um destino: é como um servidor diz 'todas as \
             interfaces'; use localhost ou o IP da máquina do servidor.",
            enderecos[0].ip()
        ));
    }
    let local = enderecos.iter().all(|e| e.ip().is_loopback());
    let mut ultimo_erro = io::Error::from(ErrorKind::NotFound);
    for endereco in &enderecos {
        match conectar_explicando(tela, *endereco, local, explicar) {
            Ok(socket) => return Ok(socket),
            Err(e) => ultimo_erro = e,
        }
    }
    Err(format!("{}. {}", descrever(&ultimo_erro), dica(&ultimo_erro, porta, local)))
}

/// O `connect()` de um endereço. Ele bloqueia até o servidor completar a
/// conexão (ou recusá-la, ou o sistema desistir), por isso roda numa thread:
/// a principal espera o resultado e, se ele demora, explica por quê.
fn conectar_explicando(
    tela: &Tela,
    endereco: SocketAddr,
    local: bool,
    explicar: bool,
) -> io::Result<TcpStream> {
    let (envia, resultado) = bounded(1);
    thread::spawn(move || {
        let _ = envia.send(TcpStream::connect(endereco));
    });
    let inicio = Instant::now();
    let mut proximo_aviso = EXPLICAR_DEPOIS_DE;
    loop {
        match resultado.recv_timeout(proximo_aviso.saturating_sub(inicio.elapsed())) {
            Ok(conexao) => return conexao,
            Err(RecvTimeoutError::Timeout) => {
                let segundos = inicio.elapsed().as_secs();
                let texto = if explicar && proximo_aviso == EXPLICAR_DEPOIS_DE {
                    espera_explicada(segundos, local)
                } else {
                    format!("Ainda conectando ({segundos} s): a conexão não se completou.")
                };
                tela.aviso(agora(), &texto);
                proximo_aviso += REPETIR_A_CADA;
            }
            // A thread do connect() sempre envia antes de acabar.
            Err(RecvTimeoutError::Disconnected) => {
                return Err(io::Error::other("a thread do connect() terminou sem resultado"));
            }
        }
    }
}

/// A primeira explicação de uma espera no `connect()`.
fn espera_explicada(segundos: u64, local: bool) -> String {
    let causa = if local {
        "A fila do listen() dele deve estar cheia (ex.: a Parte 2, com --backlog 1, ocupada com \
         outro cliente)"
    } else {
        "A fila do listen() dele pode estar cheia (ex.: a Parte 2, com --backlog 1, ocupada com \
         outro cliente), ou um firewall no caminho descarta o pedido"
    };
    format!(
        "Ainda conectando ({segundos} s): a conexão não se completou. {causa}; {SISTEMA}. \
         Ctrl-C desiste antes."
    )
}

/// O que o sistema do cliente faz enquanto isso. O Linux (e o macOS) com a
/// fila cheia descarta o SYN sem responder; o cliente o reenvia (no Linux,
/// a cada 1 s quatro vezes, depois dobrando o intervalo) e desiste depois
/// de uns 2 min. O Windows recusa (RST) quem não cabe na fila, e o cliente
/// no Windows, recusado, ainda tenta mais algumas vezes (uns 2 s) antes de
/// dar "conexão recusada".
#[cfg(not(windows))]
const SISTEMA: &str = "o sistema daqui reenvia o pedido (SYN) sozinho e conecta quando houver \
                       lugar, ou desiste em uns 2 min";
#[cfg(windows)]
const SISTEMA: &str = "o Windows daqui repete o pedido (SYN) algumas vezes e, se o servidor \
                       recusar (RST), como faz um Windows com a fila cheia, desiste em uns 2 s \
                       com \"conexão recusada\"";

/// A dica que cabe a um `connect()` que falhou.
fn dica(erro: &io::Error, porta: u16, local: bool) -> String {
    match erro.kind() {
        ErrorKind::ConnectionRefused if local => {
            // Rodando ele pode estar, mas em outro endereço: localhost, aqui,
            // pode ser só 127.0.0.1, e o servidor escutar só em ::1.
            format!(
                "O servidor está rodando? (ex.: cargo run --bin parte1 -- --porta {porta}) Se ele \
                 foi iniciado com --host, use aqui o mesmo --host.{RECUSA_POR_FILA_CHEIA}"
            )
        }
        ErrorKind::ConnectionRefused => format!(
            "Nada escuta na porta {porta} dessa máquina para quem vem de fora: o servidor de lá \
             está rodando com --host 0.0.0.0 (com localhost, ele só aceita conexões da própria \
             máquina)? O firewall dela pode também estar recusando.{RECUSA_POR_FILA_CHEIA}"
        ),
        ErrorKind::TimedOut => "A máquina está ligada e na mesma rede? O firewall dela pode \
             estar descartando a conexão (no Windows, permita o programa no Firewall do Windows)."
            .to_string(),
        _ => "O servidor está rodando?".to_string(),
    }
}

/// No Windows, "conexão recusada" também é a resposta de um servidor com a
/// fila do `listen()` cheia.
#[cfg(windows)]
const RECUSA_POR_FILA_CHEIA: &str = " No Windows, um servidor com a fila do listen() cheia \
                                     (ex.: a Parte 2 ocupada com outro cliente) também recusa.";
#[cfg(not(windows))]
const RECUSA_POR_FILA_CHEIA: &str = "";
