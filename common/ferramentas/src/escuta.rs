//! O socket de escuta dos ecos de referência (`eco-mio`, `eco-tokio`): o
//! mesmo `socket()`, `bind()` e `listen()` que cada parte faz à vista no seu
//! `servidor.rs`, pela função que o poll e o async também usam
//! (`common::rede::abrir_escuta`).

use common::rede::{abrir_escuta, ArgsServidor};
use std::net::TcpListener;

/// Abre o socket de escuta e imprime o banner; se algo falhar, imprime uma
/// linha com o motivo e encerra o processo com código 1.
pub fn escutar_ou_sair(programa: &str, args: &ArgsServidor, backlog: i32) -> TcpListener {
    match abrir_escuta(args, backlog) {
        Ok(escuta) => escuta,
        Err(e) => {
            eprintln!("{programa}: {e:#}");
            std::process::exit(1);
        }
    }
}
