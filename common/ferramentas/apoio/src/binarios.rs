//! Onde estão os programas do workspace, para as ferramentas que iniciam
//! outros programas (`cenario`, `bancada`, os testes).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A pasta dos executáveis (`target/<perfil>/`): a do programa atual, ou a
/// acima dela quando ele é um teste (`target/<perfil>/deps/`).
pub fn pasta() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("localizar o próprio executável")?;
    let mut pasta = exe.parent().context("executável sem pasta")?.to_path_buf();
    if pasta.file_name().is_some_and(|p| p == "deps") {
        pasta.pop();
    }
    Ok(pasta)
}

/// Com `cargo run` (ou `cargo test`), recompila os programas pedidos antes de
/// usá-los: senão um servidor editado rodaria na versão antiga. Sem cargo
/// por perto, não faz nada.
pub fn compilar(pasta: &Path, nomes: &[&str]) -> Result<()> {
    let Ok(cargo) = std::env::var("CARGO") else {
        return Ok(());
    };
    let mut comando = Command::new(cargo);
    comando.args(["build", "--quiet", "--workspace"]);
    for nome in nomes {
        comando.args(["--bin", nome]);
    }
    if pasta.file_name().is_some_and(|p| p == "release") {
        comando.arg("--release");
    }
    let status = comando.status().context("executar cargo build")?;
    if !status.success() {
        bail!("cargo build de {} falhou (esses programas existem?)", nomes.join(", "));
    }
    Ok(())
}

/// O caminho do programa `nome` em `pasta`, que precisa existir.
pub fn caminho(pasta: &Path, nome: &str) -> Result<PathBuf> {
    let caminho = pasta.join(format!("{nome}{}", std::env::consts::EXE_SUFFIX));
    if !caminho.exists() {
        bail!(
            "não achei o programa {nome:?} em {} (compile antes: cargo build --workspace)",
            pasta.display()
        );
    }
    Ok(caminho)
}

/// O caminho do programa `nome`, compilado: sob o `cargo` (`cargo test`),
/// pede um `cargo build` dele uma vez por processo, para nunca usar uma
/// versão velha (ex.: `cargo test -p parte1` não recompila o `cliente`); sem
/// o `cargo`, só confere que ele existe. Duas threads que pedem ao mesmo
/// tempo não compilam duas vezes.
pub fn compilado(nome: &str) -> Result<PathBuf> {
    static COMPILADOS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let pasta = pasta()?;
    let mut compilados = COMPILADOS.lock().unwrap_or_else(|e| e.into_inner());
    if !compilados.iter().any(|n| n == nome) {
        compilar(&pasta, &[nome])?;
        compilados.push(nome.to_string());
    }
    caminho(&pasta, nome)
}
