//! O `--host` do cliente, conferido antes de qualquer conexão.

use crate::rede::porta_junto_do_host;
use std::net::{IpAddr, SocketAddr};

/// Leitor do `--host`: aceita um nome ou um IP (IPv6 com ou sem colchetes)
/// e explica, como erro de uso, os dois enganos comuns: o endereço em que um
/// servidor escuta "em todas as interfaces" (0.0.0.0, ::), que não é um
/// destino, e a porta escrita junto do host (127.0.0.1:5000), que iria parar
/// no DNS como se fosse um nome.
pub fn destino(texto: &str) -> Result<String, String> {
    let host = texto.trim();
    let todas_as_interfaces = |ip: IpAddr| {
        format!(
            "{ip} não é um destino: é como um servidor diz 'todas as interfaces'; \
             use localhost ou o IP da máquina do servidor"
        )
    };
    if let Ok(endereco) = host.parse::<SocketAddr>() {
        if endereco.ip().is_unspecified() {
            return Err(todas_as_interfaces(endereco.ip()));
        }
    }
    if let Some((nome, porta)) = porta_junto_do_host(host) {
        return Err(format!("a porta vai em --porta: --host {nome} --porta {porta}"));
    }
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = host.parse::<IpAddr>() {
        if ip.is_unspecified() {
            return Err(todas_as_interfaces(ip));
        }
        return Ok(ip.to_string());
    }
    if host.is_empty() {
        return Err("aceita um nome ou IP (ex.: localhost, 192.168.0.10)".to_string());
    }
    Ok(host.to_string())
}

#[cfg(test)]
mod testes {
    use super::destino;

    #[test]
    fn host_com_porta_ou_todas_as_interfaces_e_explicado() {
        for host in ["0.0.0.0", "::", "[::]", "0.0.0.0:5000"] {
            let erro = destino(host).unwrap_err();
            assert!(erro.contains("não é um destino"), "{host}: {erro}");
        }
        for (host, dica) in [
            ("127.0.0.1:5000", "--host 127.0.0.1 --porta 5000"),
            ("localhost:6000", "--host localhost --porta 6000"),
            ("[::1]:5000", "--host ::1 --porta 5000"),
        ] {
            let erro = destino(host).unwrap_err();
            assert_eq!(erro, format!("a porta vai em --porta: {dica}"), "{host}");
        }
        for (host, aceito) in [
            ("localhost", "localhost"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            (" 10.0.0.2 ", "10.0.0.2"),
        ] {
            assert_eq!(destino(host).as_deref(), Ok(aceito));
        }
    }
}
