//! As ferramentas do professor e o apoio aos testes: nada aqui é compilado
//! pelas partes (que só o usam nos testes, como `[dev-dependencies]`).
//!
//! - [`processo`]: o único jeito de iniciar um programa do workspace (porta
//!   0, porta lida do banner, saída coletada linha a linha);
//! - [`teste`]: clientes TCP crus e as provas comuns a todos os servidores;
//! - [`carga`]: o resultado do gerador de carga (a linha `--json` que a
//!   `bancada` e a `escala` leem);
//! - [`formato`]: números em português nas tabelas;
//! - [`sistema`]: o que o Linux conta para a máquina inteira (pilhas do
//!   kernel, memória dos sockets, TIME-WAIT, portas efêmeras);
//! - [`relato`]: os blocos gerados do `RELATO.md`;
//! - [`binarios`]: onde estão os executáveis, e compilá-los quando faltam;
//! - [`limite`]: o limite de arquivos abertos (`ulimit -n`), que cada
//!   conexão consome.
//!
//! Os programas (em `src/bin/`): `cenario`, `carga`, `bancada`, `escala`,
//! `nagle` e os ecos de referência `eco-mio` e `eco-tokio`.

pub mod binarios;
pub mod carga;
pub mod escuta;
pub mod formato;
pub mod limite;
pub mod processo;
pub mod relato;
pub mod sistema;
pub mod teste;
pub mod verificar;
