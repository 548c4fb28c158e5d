//! As ferramentas do professor: nada aqui é compilado pelas partes, nem nos
//! testes delas (que usam só o pacote `apoio`, em `apoio/`).
//!
//! - [`cenario`]: a lógica do `cenario` (execução, ordem causal, análise e
//!   desenho), testável sem iniciar processos;
//! - [`carga`]: o resultado do gerador de carga (a linha `--json` que a
//!   `bancada` e a `escala` leem);
//! - [`formato`]: números em português nas tabelas;
//! - [`figuras`]: os números das medidas completas em `figuras/` (o JSON ao
//!   lado de cada tabela), que a `bancada` e a `escala` gravam e o relato lê;
//! - [`medidos`]: os servidores que as ferramentas medem, tirados da lista
//!   única do `apoio`;
//! - [`passos`]: os passos da Parte 4 (`parte4/passos/`), montados e
//!   conferidos;
//! - [`sistema`]: o que o Linux conta para a máquina inteira (pilhas do
//!   kernel, memória dos sockets, TIME-WAIT, portas efêmeras);
//! - [`relato`]: os blocos gerados do `RELATO.md`;
//! - [`escuta`]: o socket de escuta dos ecos de referência;
//! - [`limite`]: o limite de arquivos abertos (`ulimit -n`), que cada
//!   conexão consome;
//! - [`verificar`]: a lógica do `verificar`;
//! - [`processo`] e [`binarios`]: os do `apoio`, repetidos aqui para os
//!   programas das ferramentas os usarem pelo mesmo caminho.
//!
//! Os programas (em `src/bin/`): `cenario`, `carga`, `bancada`, `escala`,
//! `inundacao`, `nagle`, `passos`, `verificar` e os ecos de referência `eco-mio` e `eco-tokio`
//! (e, em `referencias/`, o `eco-epoll` em C que a `inundacao` compila).

pub use apoio::{binarios, processo};

pub mod carga;
pub mod cenario;
pub mod escuta;
pub mod figuras;
pub mod formato;
pub mod limite;
pub mod medidos;
pub mod passos;
pub mod relato;
pub mod sistema;
pub mod verificar;
