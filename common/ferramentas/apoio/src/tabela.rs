//! A tabela "Python → Rust" dos cabeçalhos (`parte1/src/servidor.rs`,
//! `common/src/bin/cliente-simples.rs`), conferida contra os dois programas.

use crate::RAIZ;

/// Confere a tabela "Python → Rust" do cabeçalho `//!` de um arquivo Rust
/// contra os dois programas: cada linha Python (primeira coluna) existe no
/// arquivo Python, cada trecho Rust (entre crases na segunda coluna; uma
/// célula pode ter vários, ou nenhum) existe no código fora do cabeçalho, e
/// os dois lados aparecem na ordem da tabela. Os caminhos são relativos à
/// raiz do repositório.
pub fn conferir_tabela_python_rust(arquivo_rs: &str, arquivo_py: &str) {
    let ler = |caminho: &str| {
        std::fs::read_to_string(std::path::Path::new(RAIZ).join(caminho))
            .unwrap_or_else(|e| panic!("ler {caminho}: {e}"))
    };
    let rust = ler(arquivo_rs);
    let python = ler(arquivo_py);
    let linhas: Vec<(String, Vec<String>)> = rust
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| {
            let (python, rust) = l.split_once("` | ")?;
            let trechos = rust.split('`').skip(1).step_by(2).map(String::from).collect();
            Some((python.to_string(), trechos))
        })
        .collect();
    assert!(linhas.len() >= 8, "{arquivo_rs}: tabela curta demais: {linhas:?}");
    let codigo: String =
        rust.lines().filter(|l| !l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    let em_ordem = |texto: &str, trechos: Vec<&str>, onde: &str| {
        let mut desde = 0;
        for trecho in trechos {
            // Na tabela, `\n` é o `\n` escrito no código-fonte.
            match texto[desde..].find(trecho) {
                Some(i) => desde += i + trecho.len(),
                None if texto.contains(trecho) => panic!("{onde}: {trecho:?} fora de ordem"),
                None => panic!("{onde}: {trecho:?} não existe"),
            }
        }
    };
    em_ordem(&python, linhas.iter().map(|(p, _)| p.as_str()).collect(), arquivo_py);
    let trechos = linhas.iter().flat_map(|(_, r)| r.iter().map(String::as_str)).collect();
    em_ordem(&codigo, trechos, arquivo_rs);
}
