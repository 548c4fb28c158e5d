//! O apoio aos testes: o que os testes das partes, do `common` e das
//! ferramentas usam para iniciar os programas de verdade e falar TCP com
//! eles. É a única coisa que as partes compilam além do próprio código, e só
//! nos testes (`[dev-dependencies]`): por isso depende só do que precisa
//! (nada de tokio, plotters ou serde, que são das ferramentas).
//!
//! - [`processo`]: o único jeito de iniciar um programa do workspace (porta
//!   0, porta lida do banner, saída coletada linha a linha);
//! - [`binarios`]: onde estão os executáveis, e compilá-los quando faltam;
//! - [`servidores`]: a lista dos servidores do workspace (parte, pacote,
//!   papel, modelo, referência), lida pelos testes, pelo `cenario` e pelas
//!   ferramentas de medida;
//! - [`frases`]: as frases do log dos servidores que os testes e as
//!   ferramentas procuram, conferidas contra o código de cada servidor;
//! - [`linux`]: o que o `/proc` diz de um processo (CPU, memória, threads);
//! - [`cliente`]: o `cliente` de verdade num pipe e um cliente TCP cru;
//! - [`inundacao`]: conexões que inundam o servidor e um cliente leve que
//!   mede a espera de cada resposta enquanto isso (a justiça);
//! - [`provas`] e [`concorrencia`]: as provas comuns a todos os servidores;
//!   [`provas_da_parte3!`] as aplica aos três servidores da Parte 3;
//! - [`terminal`]: um pseudoterminal (Unix), para o cliente interativo;
//! - [`tabela`]: a tabela "Python → Rust" dos cabeçalhos, conferida.

pub mod binarios;
pub mod cliente;
pub mod concorrencia;
pub mod frases;
pub mod inundacao;
pub mod linux;
mod parte3;
pub mod processo;
pub mod provas;
pub mod servidores;
pub mod tabela;
#[cfg(unix)]
pub mod terminal;

pub use cliente::{executar_cliente, Conectado, Execucao};
pub use tabela::conferir_tabela_python_rust;

use processo::{Processo, Saida};
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// A raiz do repositório (onde está o `Cargo.toml` do workspace), para os
/// testes que leem arquivos do projeto (o relato, o código dos servidores).
pub const RAIZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../..");

/// Prazo generoso para qualquer evento esperado: a máquina de CI é pequena
/// e compartilhada; um teste só espera tudo isso quando já falhou.
pub const PRAZO: Duration = Duration::from_secs(30);

/// Caminho do executável `nome` do workspace (em `target/<perfil>/`),
/// compilando-o se ainda não existir (ex.: `cargo test -p parte1` não
/// compila o `cliente`).
pub fn binario(nome: &str) -> PathBuf {
    crate::binarios::compilado(nome).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Os testes abrem mil conexões de uma vez (e o servidor, filho deste
/// processo, herda o limite): sobe o limite "soft" de arquivos abertos até o
/// "hard", como fazem servidores de verdade. Muitas distribuições começam
/// com 1.024.
pub fn subir_limite_de_arquivos() {
    #[cfg(unix)]
    {
        static UMA_VEZ: std::sync::Once = std::sync::Once::new();
        UMA_VEZ.call_once(|| {
            let mut limite = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            // SAFETY: getrlimit/setrlimit só leem e escrevem a struct passada.
            unsafe {
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limite) == 0
                    && limite.rlim_cur < limite.rlim_max
                {
                    limite.rlim_cur = limite.rlim_max.min(65_536);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limite);
                }
            }
        });
    }
}

/// Inicia o servidor `nome` com `--porta 0` e os `args`, e espera o banner.
pub fn iniciar_servidor(nome: &str, args: &[&str]) -> Processo {
    subir_limite_de_arquivos();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Processo::servidor(&binario(nome), &args, Saida::Guardar).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Os atalhos dos testes: esperam com o [`PRAZO`] e falham o teste, com
/// tudo o que o programa escreveu, em vez de devolver erro.
impl Processo {
    /// Espera até haver `n` linhas que satisfazem `predicado`; devolve a n-ésima.
    pub fn esperar_linha(&self, predicado: impl Fn(&str) -> bool, n: usize) -> String {
        self.esperar(predicado, n, PRAZO).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// Espera uma linha que contém `trecho` (a n-ésima).
    pub fn esperar_texto(&self, trecho: &str, n: usize) -> String {
        self.esperar_linha(|l| l.contains(trecho), n)
    }

    /// Tudo o que o processo escreveu até agora, sem a dica "(para
    /// conectar...)" que os servidores escrevem na saída de erros.
    pub fn saida(&self) -> Vec<String> {
        self.textos().into_iter().filter(|l| !l.starts_with(frases::PARA_CONECTAR)).collect()
    }

    /// Espera o processo terminar (até o [`PRAZO`]).
    pub fn esperar_saida(&mut self) -> ExitStatus {
        match self.esperar_fim(PRAZO) {
            Ok(Some(status)) => status,
            outro => panic!("o processo {} não terminou em {PRAZO:?}: {outro:?}", self.pid()),
        }
    }

    /// Pico de memória residente (VmHWM), em KiB; só no Linux.
    pub fn memoria_pico_kib(&self) -> Option<u64> {
        self.campo_de_status("VmHWM:")
    }
}
