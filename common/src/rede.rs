//! Endereços e argumentos de linha de comando, iguais em todas as partes: o
//! que cada servidor usa em volta do seu `socket()`, `bind()` e `listen()`
//! (que ficam no `servidor.rs` de cada parte, à vista).

use crate::erros::{descrever, falhou};
use crate::linha_de_comando::faixa;
use anyhow::{anyhow, Result};
use socket2::{Domain, Socket, Type};
use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};

/// Porta padrão da disciplina.
pub const PORTA_PADRAO: u16 = 5000;

/// O começo da primeira linha de todo servidor, seguido de `host:porta`.
/// Testes e ferramentas tiram dela a porta real (com `--porta 0`).
pub const PREFIXO_DO_BANNER: &str = "Servidor Echo escutando em ";

/// `--host` e `--porta`, comuns a todos os servidores (`#[command(flatten)]`).
#[derive(clap::Args, Debug, Clone)]
pub struct ArgsServidor {
    /// Nome ou IP em que o servidor escuta: localhost (padrão), 127.0.0.1, ::1, 0.0.0.0...
    #[arg(long, default_value = "localhost", hide_default_value = true, value_parser = host_de_escuta)]
    pub host: String,

    /// Porta TCP (padrão: 5000); 0 pede ao sistema uma porta livre, mostrada ao iniciar
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true,
          value_parser = faixa(0u16, 65_535))]
    pub porta: u16,

    /// Silencioso: sem uma linha de log por mensagem (conexões, desconexões e erros continuam)
    #[arg(short = 'q', long)]
    pub silencioso: bool,
}

/// `--backlog` e `--atraso`, os dos dois caminhos da Parte 3 sem threads (poll e async); o de
/// threads (`parte3/src/main.rs`) os declara ele mesmo, com o porquê do padrão.
#[derive(clap::Args, Debug, Clone)]
pub struct ArgsParte3 {
    /// Tamanho da fila do listen() (padrão: 128); o kernel completa até cerca de N+1 conexões sem accept()
    #[arg(long, value_name = "N", default_value_t = 128, hide_default_value = true,
          value_parser = faixa(0i32, 65_535))]
    pub backlog: i32,
    /// Espera, em milissegundos, antes de cada resposta (padrão: 0); simula um trabalho lento
    #[arg(long = "atraso", value_name = "MS", default_value_t = 0, hide_default_value = true,
          value_parser = faixa(0u64, 3_600_000))]
    atraso_ms: u64,
}

impl ArgsParte3 {
    pub fn atraso(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.atraso_ms)
    }
}

/// O `-q` da linha de comando: guardado uma vez, na partida
/// ([`definir_silencioso`]), e só lido depois. `Relaxed` basta: nenhum outro dado depende dele.
static SILENCIOSO: AtomicBool = AtomicBool::new(false);

/// O servidor foi iniciado com `-q`? Então não registra cada mensagem.
pub fn silencioso() -> bool {
    SILENCIOSO.load(Ordering::Relaxed)
}

/// A porta escrita junto do host (`127.0.0.1:5000`, `localhost:6000`,
/// `[::1]:5000`), um engano comum: separados, para a dica "a porta vai em
/// --porta". `None` para um host sem porta (um IPv6 sem colchetes também).
pub fn porta_junto_do_host(texto: &str) -> Option<(String, String)> {
    if let Ok(endereco) = texto.parse::<SocketAddr>() {
        return Some((endereco.ip().to_string(), endereco.port().to_string()));
    }
    // localhost:6000: um nome (sem ':', que seria IPv6) e um número.
    let (nome, porta) = texto.rsplit_once(':')?;
    let numero = !porta.is_empty() && porta.bytes().all(|b| b.is_ascii_digit());
    (numero && !nome.is_empty() && !nome.contains(':')).then(|| (nome.into(), porta.into()))
}

/// Leitor do `--host` dos servidores: qualquer nome ou IP, mas a porta vai
/// em `--porta` (sem isto, `127.0.0.1:5000` iria ao DNS como um nome).
fn host_de_escuta(texto: &str) -> Result<String, String> {
    let host = texto.trim();
    if let Some((nome, porta)) = porta_junto_do_host(host) {
        return Err(format!("a porta vai em --porta: --host {nome} --porta {porta}"));
    }
    // [::1], como se escreve numa URL: o IPv6 sem os colchetes.
    let sem_colchetes = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    match sem_colchetes {
        Some(ip) if ip.parse::<std::net::Ipv6Addr>().is_ok() => Ok(ip.to_string()),
        _ => Ok(host.to_string()),
    }
}

/// Os endereços de `host:porta`, os IPv4 primeiro.
///
/// No Windows `localhost` resolve primeiro para `::1`; um servidor que
/// escutasse só em `::1` não seria alcançado por um cliente que disca
/// 127.0.0.1 (como o cliente Python da disciplina), e um cliente que tenta
/// `::1` primeiro perde cerca de 2 s com a recusa. Preferir IPv4 evita os dois.
pub fn resolver(host: &str, porta: u16) -> io::Result<Vec<SocketAddr>> {
    let mut enderecos: Vec<SocketAddr> = (host, porta).to_socket_addrs()?.collect();
    enderecos.sort_by_key(SocketAddr::is_ipv6); // estável: mantém a ordem do sistema
    if enderecos.is_empty() {
        return Err(io::Error::new(ErrorKind::NotFound, "nenhum endereço"));
    }
    Ok(enderecos)
}

/// `host:porta` como se digita: IPv6 literal entre colchetes.
pub fn host_porta(host: &str, porta: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{porta}")
    } else {
        format!("{host}:{porta}")
    }
}

/// O endereço em que o servidor vai escutar: `--host` resolvido (IPv4
/// primeiro, ver [`resolver`]) com `--porta`. É o `(HOST, PORT)` que o
/// `servidor.py` passa ao `bind`.
pub fn endereco_de_escuta(args: &ArgsServidor) -> Result<SocketAddr> {
    let enderecos = resolver(&args.host, args.porta).map_err(|e| {
        anyhow!("o nome {:?} (--host) não foi encontrado: {}", args.host, descrever(&e))
    })?;
    Ok(enderecos[0])
}

/// O erro de um `bind()` que falhou, numa linha em português que diz o quê e
/// por quê: `bind em localhost:5000 (127.0.0.1:5000): a porta 5000 já está
/// em uso (outro servidor rodando? ...)`.
pub fn erro_no_bind(e: io::Error, args: &ArgsServidor, endereco: SocketAddr) -> anyhow::Error {
    let onde = host_porta(&args.host, args.porta);
    // Com um nome (localhost), diz também o endereço que ele virou.
    let onde = if args.host.trim_matches(['[', ']']) == endereco.ip().to_string() {
        onde
    } else {
        format!("{onde} ({endereco})")
    };
    anyhow!("bind em {onde}: {}", motivo_do_bind(&e, args.porta))
}

fn motivo_do_bind(e: &io::Error, porta: u16) -> String {
    match e.kind() {
        ErrorKind::AddrInUse => {
            format!(
                "a porta {porta} já está em uso (outro servidor rodando? encerre-o ou use --porta)"
            )
        }
        ErrorKind::AddrNotAvailable => "esse endereço não pertence a esta máquina".to_string(),
        ErrorKind::PermissionDenied => sem_permissao(porta),
        _ => descrever(e),
    }
}

/// Sem permissão para a porta: no Unix, as abaixo de 1024 exigem privilégio;
/// no Windows, que não tem portas privilegiadas, o sistema reserva faixas
/// de portas (o Hyper-V, o WSL), e a 5000 cai numa delas com frequência.
fn sem_permissao(porta: u16) -> String {
    if cfg!(windows) {
        format!(
            "sem permissão para usar a porta {porta}: o Windows a reservou (veja as faixas com \
             `netsh interface ipv4 show excludedportrange protocol=tcp`); use outra com --porta"
        )
    } else {
        format!("sem permissão para usar a porta {porta} (abaixo de 1024, só com privilégio)")
    }
}

/// Imprime o banner (a primeira linha de todo servidor) e, na saída de
/// erros, como se conectar a ele.
///
/// Com `--porta 0` o banner mostra a porta que o sistema escolheu: é dele
/// que os testes e o `cenario` tiram a porta.
pub fn anunciar(escuta: &TcpListener, args: &ArgsServidor) -> Result<u16> {
    let local = escuta.local_addr().map_err(|e| anyhow!("getsockname(): {}", descrever(&e)))?;
    let porta = local.port();
    println!("{PREFIXO_DO_BANNER}{}", host_porta(&args.host, porta));
    let comando = |host: Option<&str>| {
        let mut opcoes = String::new();
        if let Some(host) = host {
            opcoes.push_str(&format!(" --host {host}"));
        }
        if porta != PORTA_PADRAO {
            opcoes.push_str(&format!(" --porta {porta}"));
        }
        let separador = if opcoes.is_empty() { "" } else { " --" };
        format!("cargo run --bin cliente{separador}{opcoes}")
    };
    if !local.ip().is_unspecified() {
        let host = (args.host != "localhost").then_some(args.host.as_str());
        eprintln!("(para conectar, em outro terminal: {})", comando(host));
        return Ok(porta);
    }
    // 0.0.0.0 (ou ::) quer dizer "todas as interfaces": não é um endereço
    // que outra máquina possa discar. Mostra os desta máquina.
    eprintln!("(para conectar desta máquina, em outro terminal: {})", comando(None));
    let enderecos = enderecos_na_rede(local.is_ipv6());
    match enderecos.split_first() {
        Some((primeiro, outros)) => {
            let mut frase =
                format!("(de outra máquina da rede: {}", comando(Some(&primeiro.to_string())));
            if !outros.is_empty() {
                let outros: Vec<String> = outros.iter().map(IpAddr::to_string).collect();
                frase += &format!("; ou --host com {}", outros.join(", "));
            }
            eprintln!("{frase}; o firewall desta máquina precisa permitir a porta {porta})");
        }
        None => eprintln!(
            "(de outra máquina da rede: use --host com o IP desta máquina; nenhum endereço de rede \
             foi encontrado agora)"
        ),
    }
    Ok(porta)
}

/// O socket de escuta dos dois caminhos da Parte 3 sem threads (poll e async) e dos ecos de
/// referência: as chamadas da Parte 3 (`parte3/src/servidor.rs`, onde cada uma tem o seu
/// porquê), `socket`, o `SO_REUSEADDR` no Unix, `bind` e `listen(backlog)`, e depois o banner.
pub fn abrir_escuta(args: &ArgsServidor, backlog: i32) -> Result<TcpListener> {
    let endereco_local = endereco_de_escuta(args)?;
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    Ok(escuta)
}

/// Os endereços desta máquina que outra máquina da rede pode discar: sem o
/// loopback e sem os de enlace local (`169.254.x.x`, `fe80::`).
fn enderecos_na_rede(ipv6: bool) -> Vec<IpAddr> {
    let mut enderecos: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .iter()
        .filter(|i| !i.is_loopback() && !i.is_link_local() && i.ip().is_ipv6() == ipv6)
        .map(|i| i.ip())
        .collect();
    enderecos.sort();
    enderecos.dedup();
    enderecos
}

/// Guarda o `-q` da linha de comando (ver [`silencioso`]). Chamada uma vez,
/// no `main`, antes de qualquer linha de log.
pub fn definir_silencioso(args: &ArgsServidor) {
    SILENCIOSO.store(args.silencioso, Ordering::Relaxed);
}

#[cfg(test)]
mod testes {
    use super::host_de_escuta;

    #[test]
    fn servidor_aceita_todas_as_interfaces_mas_nao_a_porta_no_host() {
        for host in ["localhost", "0.0.0.0", "::", "::1", "192.168.0.10"] {
            assert_eq!(host_de_escuta(host).as_deref(), Ok(host));
        }
        assert_eq!(host_de_escuta("[::1]").as_deref(), Ok("::1"));
        assert_eq!(host_de_escuta("[::]").as_deref(), Ok("::"));
        for (host, dica) in [
            ("127.0.0.1:5000", "--host 127.0.0.1 --porta 5000"),
            ("localhost:6000", "--host localhost --porta 6000"),
            ("[::1]:5000", "--host ::1 --porta 5000"),
        ] {
            assert_eq!(host_de_escuta(host), Err(format!("a porta vai em --porta: {dica}")));
        }
    }
}
