//! O que as partes e o cliente compartilham sem mudança: o protocolo de
//! linhas, os argumentos `--host`/`--porta` e o socket de escuta, o carimbo
//! de hora dos logs, o log por fila (uma thread dona do terminal), o
//! saneamento do texto vindo da rede, as frases de erro em português e o
//! cliente interativo (binário `cliente`).
//!
//! Duas partes só são compiladas por quem as pede (características do
//! pacote, ambas padrão): o cliente interativo (`cliente`) e o log por fila
//! (`log`). As partes dependem de `common` sem as padrão, e cada uma liga só
//! o que usa: nenhum servidor compila o cliente interativo nem o editor
//! de linha, e só os que têm a thread do log (parte3-poll, parte3-async,
//! parte4) compilam a fila e o crossbeam-channel.
//!
//! Fica aqui para não aparecer nos `diff` entre as partes: cada parte mostra
//! só a ideia que ela introduz. As ferramentas do professor (`cenario`,
//! `carga`, `bancada`) ficam no pacote `ferramentas` (pasta
//! `common/ferramentas/`), que nenhuma parte compila; o apoio aos testes, no
//! pacote `apoio` (`common/ferramentas/apoio/`), que as partes só compilam
//! nos testes.

#[cfg(feature = "cliente")]
pub mod cliente;
pub mod erros;
pub mod linha_de_comando;
#[cfg(feature = "log")]
pub mod log;
pub mod protocolo;
pub mod rede;
pub mod tempo;
pub mod texto;
