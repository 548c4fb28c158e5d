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

/// O bloco da bancada no relato, tirado da tabela completa que a bancada
/// grava em `figuras/bancada.md`: a descrição da execução e as metas (uma
/// linha por meta, com a dispersão entre as rodadas). As tabelas completas
/// ficam no arquivo, para o apêndice caber no relato.
pub fn metas_da_bancada(tabela: &str) -> String {
    let descricao = tabela.split("\n\n").nth(1).unwrap_or_default();
    let metas = tabela.split_once("\n## Metas\n").map_or("", |(_, resto)| resto).trim_end();
    format!(
        "{descricao}\n\n### Metas\n{metas}\n\nAs tabelas completas (cada servidor com 1, 2, 10, \
         100 e 1.000 clientes, o custo do log, o pipeline e a memória) estão em \
         `figuras/bancada.md`.\n"
    )
}

/// Onde a bancada grava a tabela completa que o relato resume.
pub const TABELA_DA_BANCADA: &str = "figuras/bancada.md";
