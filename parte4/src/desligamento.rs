//! O desligamento gracioso: Ctrl-C (e SIGTERM no Unix) param o servidor sem
//! deixar clientes no vácuo.
//!
//! Sequência:
//! 1. o tratador do sinal só marca `desligando` e acorda o `accept()` (a
//!    biblioteca padrão não tem como cancelá-lo: o tratador se conecta ao
//!    próprio servidor, e o `accept()` volta com essa conexão);
//! 2. o laço principal vê a marca e para de aceitar;
//! 3. cada thread de atendimento, no seu próximo intervalo de verificação,
//!    envia `Aviso: servidor encerrando` ao seu cliente e fecha;
//! 4. o laço principal espera as threads por um tempo limitado, fecha à
//!    força as conexões que restarem (cada uma ganha a sua linha no log),
//!    imprime o resumo e o processo sai com 0.
//!
//! O crate ctrlc traduz Ctrl-C e Ctrl-Break no Windows e SIGINT/SIGTERM no
//! Unix; o resto não depende de sinais.

use crate::logger::Log;
use crate::registro::Registro;
use anyhow::{Context, Result};
use common::tempo::duracao_legivel;
use common::texto::quantidade;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Quanto esperar que os clientes recebam o aviso e as threads terminem.
const ESPERA_PELAS_THREADS: Duration = Duration::from_secs(3);
/// Depois de fechar à força as conexões restantes, quanto mais esperar.
const ESPERA_APOS_DERRUBAR: Duration = Duration::from_secs(1);

/// Instala o tratador de Ctrl-C/SIGTERM. Devolve a marca que ele liga.
/// Um segundo Ctrl-C encerra na hora, para quem não quer esperar.
///
/// A marca é lida com `Ordering::Relaxed`: ela não protege nenhum outro
/// dado, só precisa ficar visível, e cada thread a relê a cada volta.
pub fn instalar(escuta: &TcpListener) -> Result<Arc<AtomicBool>> {
    let desligando = Arc::new(AtomicBool::new(false));
    let marca = Arc::clone(&desligando);
    let alvo = endereco_para_acordar(escuta.local_addr().context("getsockname()")?);
    ctrlc::set_handler(move || {
        if marca.swap(true, Ordering::Relaxed) {
            eprintln!("Segundo pedido de encerramento: saindo sem esperar.");
            std::process::exit(130);
        }
        // Acorda o accept(); a conexão é descartada pelo laço principal.
        let _ = TcpStream::connect_timeout(&alvo, Duration::from_secs(1));
    })
    .context("instalar o tratador de Ctrl-C")?;
    Ok(desligando)
}

/// Um servidor em 0.0.0.0 (ou ::) escuta em todas as interfaces; para se
/// conectar a ele mesmo, usa o loopback da mesma família.
fn endereco_para_acordar(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}

/// Passo 4: espera as threads, fecha o que restar e registra o resumo.
pub fn encerrar(registro: &Registro, log: &Log, inicio: Instant) {
    let ativas = registro.ativas();
    if ativas == 0 {
        log.linha("Encerrando: sem novas conexões; nenhum cliente conectado".to_string());
    } else {
        let ativas = quantidade(ativas as u64, "cliente", "clientes");
        log.linha(format!("Encerrando: sem novas conexões; avisando {ativas}"));
    }
    let restantes = registro.esperar_esvaziar(ESPERA_PELAS_THREADS);
    if restantes > 0 {
        let abertas =
            quantidade(restantes as u64, "conexão ainda aberta", "conexões ainda abertas");
        let prazo = duracao_legivel(ESPERA_PELAS_THREADS);
        log.linha(format!("{abertas} depois de {prazo}: fechando à força"));
        registro.derrubar_restantes();
        registro.esperar_esvaziar(ESPERA_APOS_DERRUBAR);
        // As threads que nem assim terminaram (ex.: dormindo num --atraso
        // longo) não registrarão o próprio desfecho: registra-se aqui.
        for cliente in registro.restantes() {
            log.linha(format!("{cliente} Fechada à força no desligamento"));
        }
    }
    let (atendidas, mensagens) = registro.totais();
    log.linha(format!(
        "Servidor encerrado: {}, {}, em {}",
        quantidade(atendidas, "conexão atendida", "conexões atendidas"),
        quantidade(mensagens, "mensagem ecoada", "mensagens ecoadas"),
        duracao_legivel(inicio.elapsed())
    ));
}
