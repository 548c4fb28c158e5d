//! NOVO (passo 4, desligamento): Ctrl-C (e SIGTERM no Unix) param o
//! servidor sem deixar clientes no vácuo.
//!
//! Sequência:
//! 1. o tratador do sinal só liga a marca [`DESLIGANDO`] e acorda o
//!    `accept()` (a biblioteca padrão não tem como cancelá-lo: o tratador se
//!    conecta ao próprio servidor, e o `accept()` volta com essa conexão; um
//!    laço preso na fila cheia do log só vê a marca quando houver vaga);
//! 2. o laço principal vê a marca ([`pedido`]) e fecha o socket de escuta;
//! 3. [`encerrar`] manda a cada cliente `Aviso: servidor encerrando` (NOVO,
//!    passo 5) e o fim do fluxo (FIN). A leitura da thread que o atende volta
//!    quando o cliente envia algo ou fecha; com [`DESLIGANDO`] ligada, a
//!    thread não começa nada novo (a resposta que já estava escrevendo pode
//!    sair): descarta o que chegar até o cliente fechar a conexão dele,
//!    registra o desfecho e termina;
//! 4. quem não terminar no prazo (2 s) é registrado como fechado à força, e o
//!    fim do processo fecha o socket dele; o resumo sai por último, e o
//!    processo termina com 0.
//!
//! Por que o aviso e o FIN saem daqui, e não da thread do cliente: ela está
//! parada no `recv()`, e no Windows nada que outra thread faça com o socket
//! a acorda (o `shutdown(Write)` só envia o FIN; o `closesocket()`
//! acordaria, mas a biblioteca padrão não deixa fechar um socket que outra
//! thread usa). Quem acorda a thread é o próprio cliente, ao fechar depois
//! do aviso. (No Linux um `shutdown(Read)` acordaria; o servidor faz igual
//! nos dois sistemas.)
//!
//! O crate ctrlc traduz Ctrl-C e Ctrl-Break no Windows e SIGINT/SIGTERM no
//! Unix; o resto não depende de sinais.

use crate::{registro::Conexao, registro::Registro, registro::TRAVA, servidor::registrar};
use anyhow::{Context, Result};
use common::{log::Linha, protocolo::ESPERA_AO_ENCERRAR};
use common::{tempo::duracao_legivel, texto::quantidade};
use crossbeam_channel::Sender;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::{io::Write, thread, thread::JoinHandle, time::Duration, time::Instant};

/// Ligada pelo tratador de Ctrl-C; lida por [`pedido`]. `Relaxed` basta: a
/// marca não protege nenhum outro dado, só precisa ficar visível.
static DESLIGANDO: AtomicBool = AtomicBool::new(false);

/// NOVO (passo 5, aviso): quanto o desligamento espera o `send()` do aviso:
/// um cliente que não lê (buffer de envio cheio) não prende o desligamento.
const ESPERA_PELO_AVISO: Duration = Duration::from_millis(100);

/// Quanto esperar, no fim, o escritor do log escrever as últimas linhas.
const ESPERA_PELO_LOG: Duration = Duration::from_secs(1);

/// O Ctrl-C já chegou? Perguntado pelo laço do `accept()` e pela thread de
/// cada cliente.
pub fn pedido() -> bool {
    DESLIGANDO.load(Ordering::Relaxed)
}

/// Instala o tratador de Ctrl-C/SIGTERM.
pub fn instalar(escuta: &TcpListener) -> Result<()> {
    let mut alvo = escuta.local_addr().context("getsockname()")?;
    // Um servidor em 0.0.0.0 (ou ::) escuta em todas as interfaces; para se
    // conectar a ele mesmo, usa o loopback da mesma família.
    if alvo.ip().is_unspecified() {
        let loopback =
            if alvo.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() };
        alvo.set_ip(loopback);
    }
    ctrlc::set_handler(move || {
        DESLIGANDO.store(true, Ordering::Relaxed);
        // Acorda o accept(); a conexão é descartada pelo laço principal.
        let _ = TcpStream::connect_timeout(&alvo, Duration::from_secs(1));
    })
    .context("instalar o tratador de Ctrl-C")
}

/// Itens 3 e 4 da sequência acima: avisa os clientes, espera as threads
/// (com prazo), registra quem sobrou e o resumo, e espera o log escrever
/// tudo (com prazo).
pub fn encerrar(registro: &Registro, log: Sender<Linha>, escritor: JoinHandle<()>, desde: Instant) {
    let ativas =
        quantidade(registro.lock().expect(TRAVA).ativas.len() as u64, "cliente", "clientes");
    registrar(&log, format!("Encerrando: sem novas conexões; avisando {ativas}"));
    // NOVO (passo 5, aviso): a cada volta, avisa quem ainda não foi avisado
    // (a thread dele estava no meio de um eco), e espera as threads
    // terminarem. O prazo é o mesmo do fechamento demorado.
    esperar(ESPERA_AO_ENCERRAR, || {
        // Cópias dos `Arc`: o aviso sai sem a trava do registro.
        let conexoes: Vec<_> = registro.lock().expect(TRAVA).ativas.values().cloned().collect();
        conexoes.iter().for_each(|c| avisar_sem_esperar(c, "Aviso: servidor encerrando"));
        conexoes.is_empty()
    });
    // Quem não terminou: um cliente que não fecha depois do aviso (o
    // `cliente.py` da disciplina só percebe o fim na próxima mensagem), um
    // que não lê, ou uma thread dormindo num --atraso longo. O fim do
    // processo fecha esses sockets. Eles saem do registro: se a thread de
    // um deles ainda terminar, não registra mais nada (a sua linha sairia
    // depois do resumo).
    let restantes = std::mem::take(&mut registro.lock().expect(TRAVA).ativas);
    for conexao in restantes.values() {
        registrar(&log, format!("{} Fechada à força no desligamento", conexao.cliente));
    }
    let atendidas = registro.lock().expect(TRAVA).admitidas;
    let atendidas = quantidade(atendidas, "conexão atendida", "conexões atendidas");
    let ecos =
        quantidade(registro.lock().expect(TRAVA).ecos, "mensagem ecoada", "mensagens ecoadas");
    let duracao = duracao_legivel(desde.elapsed());
    registrar(&log, format!("Servidor encerrado: {atendidas}, {ecos}, em {duracao}"));
    // O escritor do log termina quando a última ponta de envio some: esta e
    // as das threads. Uma thread que sobrou ainda tem a sua; por isso a
    // espera tem prazo.
    drop(log);
    esperar(ESPERA_PELO_LOG, || escritor.is_finished());
}

/// NOVO (passo 5, aviso): envia a uma conexão a última linha e o fim do
/// fluxo (FIN), sem esperar o cliente (o `send()` espera no máximo
/// [`ESPERA_PELO_AVISO`] por espaço no buffer). Se a thread do cliente
/// está escrevendo agora (segura a vez de escrever), não faz nada: o
/// desligamento tenta de novo daqui a pouco. Quem espera o cliente fechar é
/// a thread dele, que descarta o que chegar até lá. Simplificação: a um
/// cliente que não lê (o buffer dele cheio), o aviso pode chegar cortado,
/// seguido do fim do fluxo; o servidor não espera por ele mais que isso.
fn avisar_sem_esperar(conexao: &Conexao, aviso: &str) {
    let Ok(mut avisada) = conexao.escrita.try_lock() else { return };
    if !*avisada {
        *avisada = true; // um aviso só, mesmo que o desligamento tente de novo
        let _ = conexao.socket.set_write_timeout(Some(ESPERA_PELO_AVISO));
        let _ = (&conexao.socket).write_all(format!("{aviso}\n").as_bytes());
        let _ = conexao.socket.shutdown(Shutdown::Write);
    }
}

/// Espera `pronto()` dar verdadeiro, conferindo a cada 10 ms, por no máximo
/// `prazo`. O desligamento acontece uma vez: conferir assim não custa nada e
/// dispensa uma variável de condição.
fn esperar(prazo: Duration, pronto: impl Fn() -> bool) {
    let fim = Instant::now() + prazo;
    while !pronto() && Instant::now() < fim {
        thread::sleep(Duration::from_millis(10));
    }
}
