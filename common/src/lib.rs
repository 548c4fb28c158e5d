//! O que as quatro partes compartilham sem mudança: o protocolo de linhas,
//! os argumentos `--host`/`--porta`, o socket de escuta, o carimbo de hora
//! dos logs, o saneamento do texto vindo da rede e o cliente interativo.
//!
//! Fica aqui para não aparecer nos `diff` entre as partes: cada parte mostra
//! só a ideia que ela introduz.

pub mod binarios;
pub mod cliente;
pub mod erros;
pub mod protocolo;
pub mod rede;
pub mod relato;
pub mod tempo;
pub mod texto;

#[doc(hidden)]
pub mod teste;
