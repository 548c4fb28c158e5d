//! Ler Markdown: os blocos de código, as seções numeradas e os arquivos de
//! uma pasta.

use apoio::RAIZ;
use std::path::{Path, PathBuf};

/// Um bloco de código de um arquivo Markdown.
pub struct Bloco {
    pub lingua: String,
    /// Linha da cerca de abertura, para a mensagem de erro.
    pub linha: usize,
    pub texto: String,
}

pub fn ler(caminho: &Path) -> String {
    std::fs::read_to_string(caminho).unwrap_or_else(|e| panic!("ler {}: {e}", caminho.display()))
}

/// Os blocos cercados por ```` ``` ```` do texto, na ordem.
pub fn blocos(texto: &str) -> Vec<Bloco> {
    let mut blocos = Vec::new();
    let mut aberto: Option<Bloco> = None;
    for (i, linha) in texto.lines().enumerate() {
        let Some(resto) = linha.trim_start().strip_prefix("```") else {
            if let Some(bloco) = aberto.as_mut() {
                bloco.texto.push_str(linha);
                bloco.texto.push('\n');
            }
            continue;
        };
        match aberto.take() {
            Some(bloco) => blocos.push(bloco),
            None => {
                aberto = Some(Bloco {
                    lingua: resto.trim().to_string(),
                    linha: i + 1,
                    texto: String::new(),
                })
            }
        }
    }
    assert!(aberto.is_none(), "bloco de código sem a cerca de fechamento");
    blocos
}

/// Os arquivos Markdown de uma pasta, em ordem.
pub fn markdown(pasta: &str) -> Vec<PathBuf> {
    let pasta = Path::new(RAIZ).join(pasta);
    let mut arquivos: Vec<PathBuf> = std::fs::read_dir(&pasta)
        .unwrap_or_else(|e| panic!("ler {}: {e}", pasta.display()))
        .map(|e| e.expect("entrada da pasta").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    arquivos.sort();
    arquivos
}

/// As seções `## N. ...` de um texto, pelo número.
pub fn passos(texto: &str) -> Vec<(u32, &str)> {
    texto
        .split("\n## ")
        .skip(1)
        .filter_map(|secao| {
            let (numero, _) = secao.split_once(". ")?;
            Some((numero.parse().ok()?, secao))
        })
        .collect()
}
