//! Cada arquivo das ferramentas e do apoio aos testes cabe numa leitura: no
//! máximo 350 linhas, comentários incluídos. Um arquivo que passa disso se
//! divide por ideia (ex.: `carga/conexoes.rs`, abrir e fechar as conexões,
//! ao lado do laço medido em `carga/gerador.rs`). Os testes das
//! ferramentas (`tests/`) também.

use std::path::{Path, PathBuf};

const MAXIMO: usize = 350;

/// Os `.rs` sob `pasta`, em qualquer profundidade.
fn fontes(pasta: &Path) -> Vec<PathBuf> {
    let mut achados = Vec::new();
    let mut pendentes = vec![pasta.to_path_buf()];
    while let Some(p) = pendentes.pop() {
        for entrada in std::fs::read_dir(&p).expect("ler a pasta").flatten() {
            let caminho = entrada.path();
            if caminho.is_dir() {
                pendentes.push(caminho);
            } else if caminho.extension().is_some_and(|e| e == "rs") {
                achados.push(caminho);
            }
        }
    }
    achados
}

#[test]
fn nenhum_arquivo_das_ferramentas_passa_de_350_linhas() {
    let raiz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut grandes = Vec::new();
    let mut contados = 0;
    for pasta in ["src", "apoio/src", "tests"] {
        for arquivo in fontes(&raiz.join(pasta)) {
            let relativo = arquivo.strip_prefix(raiz).expect("sob a raiz").to_path_buf();
            let nome = relativo.to_string_lossy().replace('\\', "/");
            contados += 1;
            let linhas = std::fs::read_to_string(&arquivo).expect("ler o arquivo").lines().count();
            if linhas > MAXIMO {
                grandes.push(format!("{nome}: {linhas} linhas"));
            }
        }
    }
    assert!(contados > 40, "só {contados} arquivos: a busca errou de pasta?");
    assert!(grandes.is_empty(), "acima de {MAXIMO} linhas: {grandes:#?}");
}
