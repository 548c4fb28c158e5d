//! Os blocos do `RELATO.md` gerados pelos programas (`cenario`, `bancada`),
//! entre marcadores `<!-- NOME -->` e `<!-- /NOME -->`.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Troca o conteúdo entre `<!-- nome -->` e `<!-- /nome -->`.
pub fn substituir_bloco(documento: &str, nome: &str, conteudo: &str) -> Result<String> {
    let abre = format!("<!-- {nome} -->");
    let fecha = format!("<!-- /{nome} -->");
    let (Some(i), Some(f)) = (documento.find(&abre), documento.find(&fecha)) else {
        bail!("o relato não tem os marcadores {abre} e {fecha}");
    };
    if f < i {
        bail!("marcadores de {nome} fora de ordem");
    }
    Ok(format!("{}{abre}\n{conteudo}{}", &documento[..i], &documento[f..]))
}

/// Lê `arquivo`, troca os blocos `(nome, conteúdo)` e grava.
pub fn atualizar(arquivo: &Path, blocos: &[(String, String)]) -> Result<()> {
    let mut documento =
        std::fs::read_to_string(arquivo).with_context(|| format!("ler {}", arquivo.display()))?;
    for (nome, conteudo) in blocos {
        documento = substituir_bloco(&documento, nome, conteudo)?;
    }
    std::fs::write(arquivo, documento).with_context(|| format!("escrever {}", arquivo.display()))
}
