//! A tabela `servidor.py` → Rust do cabeçalho de `parte1/src/servidor.rs`
//! confere com os dois programas: cada linha Python existe no `servidor.py`
//! da disciplina, cada trecho Rust existe no código (fora do cabeçalho), e
//! os dois lados aparecem na mesma ordem em que a tabela os lista.

use std::path::Path;

fn ler(caminho: &str) -> String {
    let raiz = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(raiz.join(caminho)).unwrap_or_else(|e| panic!("ler {caminho}: {e}"))
}

/// As linhas da tabela: (trecho Python, trecho Rust), sem as crases.
fn tabela(servidor_rs: &str) -> Vec<(String, String)> {
    servidor_rs
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| {
            let (python, rust) = l.split_once("` | `")?;
            Some((python.to_string(), rust.strip_suffix("` |")?.to_string()))
        })
        .collect()
}

/// As posições de cada trecho em `texto`, procurando sempre depois do
/// anterior; falha dizendo qual trecho faltou ou saiu de ordem.
fn em_ordem(texto: &str, trechos: &[&str], onde: &str) {
    let mut desde = 0;
    for trecho in trechos {
        match texto[desde..].find(trecho) {
            Some(i) => desde += i + trecho.len(),
            None if texto.contains(trecho) => panic!("{onde}: {trecho:?} fora de ordem"),
            None => panic!("{onde}: {trecho:?} não existe"),
        }
    }
}

#[test]
fn tabela_do_cabecalho_confere_com_o_servidor_py_e_com_o_codigo() {
    let servidor_rs = ler("parte1/src/servidor.rs");
    let linhas = tabela(&servidor_rs);
    assert!(linhas.len() >= 10, "tabela curta demais: {linhas:?}");
    let python = ler("common/ferramentas/disciplina/servidor.py");
    let codigo: String =
        servidor_rs.lines().filter(|l| !l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    let (py, rs): (Vec<&str>, Vec<&str>) =
        linhas.iter().map(|(p, r)| (p.as_str(), r.as_str())).unzip();
    // No Python, `\n` dentro da tabela é o `\n` escrito no código-fonte.
    em_ordem(&python, &py, "servidor.py");
    em_ordem(&codigo, &rs, "parte1/src/servidor.rs");
}
