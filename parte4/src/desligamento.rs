//! O desligamento gracioso: Ctrl-C (e SIGTERM no Unix) param o servidor sem
//! deixar clientes no vácuo.
//!
//! Sequência:
//! 1. o tratador do sinal só liga a bandeira `desligando` e acorda o
//!    `accept()` (a biblioteca padrão não tem como cancelá-lo: o tratador
//!    se conecta ao próprio servidor, e o `accept()` volta com essa conexão);
//! 2. o laço principal vê a bandeira e para de aceitar;
//! 3. cada thread de atendimento, no seu próximo intervalo de verificação,
//!    envia `Aviso: servidor encerrando` ao seu cliente e fecha;
//! 4. o laço principal espera as threads por um tempo limitado, fecha à
//!    força as que restarem, imprime o resumo e o processo sai com 0.
//!
//! É igual no Windows: o crate ctrlc traduz Ctrl-C e Ctrl-Break, e nada
//! aqui depende de sinais Unix.

use crate::logger::Log;
use crate::registro::Registro;
use anyhow::{Context, Result};
use common::tempo::duracao_legivel;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Quanto esperar que os clientes recebam o aviso e as threads terminem.
const ESPERA_PELAS_THREADS: Duration = Duration::from_secs(3);
/// Depois de fechar à força as conexões restantes, quanto mais esperar.
const ESPERA_APOS_DERRUBAR: Duration = Duration::from_secs(1);
/// Quanto esperar o logger escrever as últimas linhas.
const ESPERA_PELO_LOGGER: Duration = Duration::from_secs(2);

/// Instala o tratador de Ctrl-C/SIGTERM. Devolve a bandeira que ele liga.
/// Um segundo Ctrl-C encerra na hora, para quem não quer esperar.
pub fn instalar(servidor: &TcpListener) -> Result<Arc<AtomicBool>> {
    let desligando = Arc::new(AtomicBool::new(false));
    let bandeira = Arc::clone(&desligando);
    let alvo = endereco_para_acordar(servidor.local_addr().context("getsockname()")?);
    ctrlc::set_handler(move || {
        if bandeira.swap(true, Ordering::SeqCst) {
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
    log.linha(format!("Encerrando: sem novas conexões; avisando {} cliente(s)", registro.ativas()));
    let restantes = registro.esperar_esvaziar(ESPERA_PELAS_THREADS);
    if restantes > 0 {
        log.linha(format!("{restantes} conexão(ões) não terminaram a tempo: fechadas à força"));
        registro.derrubar_restantes();
        registro.esperar_esvaziar(ESPERA_APOS_DERRUBAR);
    }
    let (atendidas, mensagens) = registro.totais();
    log.linha(format!(
        "Servidor encerrado: {atendidas} conexões atendidas, {mensagens} mensagens ecoadas, em {}",
        duracao_legivel(inicio.elapsed())
    ));
}

/// Espera o logger escrever as últimas linhas e terminar.
///
/// O logger termina quando a última ponta do canal some. Se alguma thread
/// ficou presa (e ainda tem a sua), a espera é limitada; o que já estava na
/// fila foi escrito, porque o logger esvazia a fila antes de dormir.
pub fn esperar_logger(logger: JoinHandle<()>) {
    let limite = Instant::now() + ESPERA_PELO_LOGGER;
    while !logger.is_finished() && Instant::now() < limite {
        std::thread::sleep(Duration::from_millis(10));
    }
}
