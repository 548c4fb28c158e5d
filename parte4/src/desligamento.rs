//! NOVO (passo 4, desligamento): Ctrl-C (e SIGTERM no Unix) param o
//! servidor sem deixar clientes no vácuo.
//!
//! Sequência:
//! 1. o tratador do sinal só liga [`DESLIGANDO`] e acorda o `accept()` (a
//!    biblioteca padrão não tem como cancelá-lo: o tratador se conecta ao
//!    próprio servidor, e o `accept()` volta com essa conexão);
//! 2. o laço principal vê a marca e fecha o socket de escuta;
//! 3. [`encerrar`] manda a cada cliente `Aviso: servidor encerrando` e o fim
//!    do fluxo (FIN). A leitura da thread que o atende volta quando o
//!    cliente envia algo ou fecha; com [`DESLIGANDO`] ligada, a thread não
//!    registra nem responde mais nada: descarta o que chegar até o cliente
//!    fechar a conexão dele, registra o desfecho e termina;
//! 4. quem não terminar no prazo (2 s) é registrado como fechado à força, e o
//!    fim do processo fecha o socket dele; o resumo sai por último, e o
//!    processo termina com 0.
//!
//! Por que o aviso sai daqui, e não da thread do cliente: ela está parada no
//! `recv()`, e no Windows nada que outra thread faça com o socket a acorda
//! (o `shutdown(Write)` só envia o FIN; o `closesocket()` acordaria, mas a
//! biblioteca padrão não deixa fechar um socket que outra thread usa). Quem
//! acorda a thread é o próprio cliente, ao fechar depois do aviso. (No
//! Linux um `shutdown(Read)` acordaria; o servidor faz igual nos dois
//! sistemas.)
//!
//! O crate ctrlc traduz Ctrl-C e Ctrl-Break no Windows e SIGINT/SIGTERM no
//! Unix; o resto não depende de sinais.

use crate::registro::Registro;
use crate::servidor::registrar;
use anyhow::{Context, Result};
use common::log::Linha;
use common::{protocolo::ESPERA_AO_ENCERRAR, tempo::duracao_legivel, texto::quantidade};
use crossbeam_channel::Sender;
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Ligada pelo tratador de Ctrl-C; lida pelo laço do `accept()`. `Relaxed`
/// basta: a marca não protege nenhum outro dado, só precisa ficar visível.
pub static DESLIGANDO: AtomicBool = AtomicBool::new(false);

/// Quanto esperar, no fim, as últimas linhas: chegarem à fila do log e
/// serem escritas.
const ESPERA_PELO_LOG: Duration = Duration::from_secs(1);

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

/// Itens 3 e 4 da sequência acima: avisa os clientes, espera as threads (com prazo), registra
/// quem sobrou e o resumo, e espera o log escrever tudo (com prazo).
pub fn encerrar(registro: &Registro, log: Sender<Linha>, escritor: JoinHandle<()>, desde: Instant) {
    let ativas = quantidade(registro.conexoes().len() as u64, "cliente", "clientes");
    registrar(&log, format!("Encerrando: sem novas conexões; avisando {ativas}"));
    // A cada volta, avisa quem ainda não foi avisado (a thread dele estava
    // no meio de um eco). O prazo é o mesmo do fechamento demorado.
    esperar(ESPERA_AO_ENCERRAR, || {
        let conexoes = registro.conexoes();
        conexoes.iter().for_each(|c| c.avisar_sem_esperar("Aviso: servidor encerrando"));
        conexoes.is_empty()
    });
    // Quem não terminou: um cliente que não fecha depois do aviso (o
    // `cliente.py` da disciplina só percebe o fim na próxima mensagem), um
    // que não lê, ou uma thread dormindo num --atraso longo. O fim do
    // processo fecha esses sockets.
    for cliente in registro.retirar_restantes() {
        registrar(&log, format!("{cliente} Fechada à força no desligamento"));
    }
    // Quem saiu do registro e ainda põe a última linha na fila (ver
    // `Vaga::liberar`): o resumo sai depois dela. A espera só passa do
    // instante se a fila do log está cheia.
    esperar(ESPERA_PELO_LOG, || registro.saindo.load(Ordering::SeqCst) == 0);
    let atendidas = registro.admitidas.load(Ordering::Relaxed);
    let ecos = registro.ecos.load(Ordering::Relaxed);
    let atendidas = quantidade(atendidas, "conexão atendida", "conexões atendidas");
    let ecos = quantidade(ecos, "mensagem ecoada", "mensagens ecoadas");
    let duracao = duracao_legivel(desde.elapsed());
    registrar(&log, format!("Servidor encerrado: {atendidas}, {ecos}, em {duracao}"));
    // O escritor do log termina quando a última ponta de envio some: esta e
    // as das threads. Uma thread que sobrou ainda tem a sua; por isso a
    // espera tem prazo.
    drop(log);
    esperar(ESPERA_PELO_LOG, || escritor.is_finished());
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
