//! O socket de escuta dos ecos de referência (`eco-mio`, `eco-tokio`): o
//! mesmo `socket()`, `bind()` e `listen()` que cada parte faz à vista no seu
//! `servidor.rs`, numa função só, porque aqui não é material didático.

use anyhow::Result;
use common::erros::falhou;
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use socket2::{Domain, Socket, Type};
use std::net::TcpListener;

/// Abre o socket de escuta e imprime o banner; se algo falhar, imprime uma
/// linha com o motivo e encerra o processo com código 1.
pub fn escutar_ou_sair(programa: &str, args: &ArgsServidor, backlog: i32) -> TcpListener {
    match escutar(args, backlog) {
        Ok(escuta) => escuta,
        Err(e) => {
            eprintln!("{programa}: {e:#}");
            std::process::exit(1);
        }
    }
}

fn escutar(args: &ArgsServidor, backlog: i32) -> Result<TcpListener> {
    let endereco_local = endereco_de_escuta(args)?;
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()`.
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    Ok(escuta)
}
