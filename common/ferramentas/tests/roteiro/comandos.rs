//! Conferir, sem rodar, os comandos dos blocos: separar cada linha em
//! comandos, e cada `cargo run --bin X -- OPÇÕES` vira `X OPÇÕES --help`.

use crate::markdown::{blocos, ler};
use apoio::{binario, RAIZ};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Os comandos de uma linha de shell (bash ou PowerShell, nos casos simples
/// que os roteiros usam): as palavras de cada comando separado por `;`,
/// `&&`, `|` ou `&`, sem aspas, sem o comentário do fim e sem o
/// redirecionamento do fim (`> arquivo`), que não é argumento do programa.
pub fn comandos(linha: &str) -> Vec<Vec<String>> {
    let mut comandos = vec![Vec::new()];
    let mut palavra = String::new();
    let mut tem_palavra = false;
    let mut aspas: Option<char> = None;
    let mut anterior = ' ';
    for c in linha.chars() {
        match (aspas, c) {
            (Some(a), c) if c == a => aspas = None,
            (Some(_), c) => palavra.push(c),
            (None, '"' | '\'') => {
                aspas = Some(c);
                tem_palavra = true;
            }
            (None, '#') if anterior.is_whitespace() => break,
            (None, c) if c.is_whitespace() || matches!(c, ';' | '|' | '&') => {
                if tem_palavra {
                    comandos.last_mut().expect("sempre há um comando").push(palavra.clone());
                    palavra.clear();
                    tem_palavra = false;
                }
                if !c.is_whitespace() && !comandos.last().expect("sempre há um").is_empty() {
                    comandos.push(Vec::new());
                }
            }
            (None, c) => {
                palavra.push(c);
                tem_palavra = true;
            }
        }
        anterior = c;
    }
    assert!(aspas.is_none(), "aspas sem fechar em: {linha}");
    if tem_palavra {
        comandos.last_mut().expect("sempre há um comando").push(palavra);
    }
    for comando in &mut comandos {
        if let Some(i) = comando.iter().position(|p| p.starts_with('>')) {
            comando.truncate(i);
        }
    }
    comandos.retain(|c| !c.is_empty());
    comandos
}

/// Os pacotes do workspace, pelo `cargo metadata`: a pasta de cada um e os
/// seus executáveis.
pub struct Pacotes(Vec<(String, PathBuf, Vec<String>)>);

impl Pacotes {
    pub fn ler() -> Pacotes {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let saida = Command::new(cargo)
            .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
            .current_dir(RAIZ)
            .output()
            .expect("executar o cargo metadata");
        assert!(saida.status.success(), "{}", String::from_utf8_lossy(&saida.stderr));
        let json: serde_json::Value = serde_json::from_slice(&saida.stdout).expect("o JSON");
        let pacotes = json["packages"].as_array().expect("a lista de pacotes");
        Pacotes(
            pacotes
                .iter()
                .map(|p| {
                    let manifesto = Path::new(p["manifest_path"].as_str().expect("manifest_path"));
                    let pasta = canonica(manifesto.parent().expect("a pasta do pacote"));
                    let binarios = p["targets"]
                        .as_array()
                        .expect("targets")
                        .iter()
                        .filter(|t| t["kind"].as_array().is_some_and(|k| k.contains(&"bin".into())))
                        .map(|t| t["name"].as_str().expect("o nome").to_string())
                        .collect();
                    (p["name"].as_str().expect("o nome").to_string(), pasta, binarios)
                })
                .collect(),
        )
    }

    /// O pacote do executável `binario`.
    fn dono(&self, binario: &str) -> Option<&str> {
        self.0.iter().find(|(_, _, b)| b.iter().any(|b| b == binario)).map(|(n, _, _)| n.as_str())
    }

    /// O pacote em que `cargo run --bin X`, sem `-p`, procura o X quando roda
    /// em `pasta`: o da pasta de pacote mais funda que contém `pasta`. Na
    /// raiz, que não é pacote, o cargo procura em todos (`None`).
    fn da_pasta(&self, pasta: &Path) -> Option<&str> {
        let pasta = canonica(pasta);
        self.0
            .iter()
            .filter(|(_, raiz, _)| pasta.starts_with(raiz))
            .max_by_key(|(_, raiz, _)| raiz.components().count())
            .map(|(n, _, _)| n.as_str())
    }
}

pub fn canonica(caminho: &Path) -> PathBuf {
    caminho.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", caminho.display()))
}

/// Confere um comando que não roda aqui: `cargo run --bin X -- OPÇÕES` vira
/// `X OPÇÕES --help`; `cargo build --bin X`, que X exista; `python ARQ.py`,
/// que o arquivo exista em `pasta`. Devolve quantos programas conferiu.
pub fn conferir(palavras: &[String], pasta: &Path, pacotes: &Pacotes, onde: &str) -> usize {
    match palavras.first().map(String::as_str) {
        Some("cargo") => conferir_cargo(palavras, pasta, pacotes, onde),
        Some("python" | "python3") => {
            if let Some(arquivo) = palavras.iter().find(|p| p.ends_with(".py")) {
                assert!(pasta.join(arquivo).is_file(), "{onde}: {arquivo} não existe");
            }
            0
        }
        _ => 0,
    }
}

pub fn conferir_cargo(palavras: &[String], pasta: &Path, pacotes: &Pacotes, onde: &str) -> usize {
    let fim = palavras.iter().position(|p| p == "--").unwrap_or(palavras.len());
    let (cargo, opcoes) = (&palavras[..fim], palavras.get(fim + 1..).unwrap_or(&[]));
    let programas: Vec<&String> =
        cargo.windows(2).filter(|par| par[0] == "--bin").map(|par| &par[1]).collect();
    let pedido = cargo
        .windows(2)
        .find(|par| par[0] == "-p" || par[0] == "--package")
        .map(|par| par[1].as_str());
    for programa in &programas {
        let dono = pacotes
            .dono(programa)
            .unwrap_or_else(|| panic!("{onde}: {programa} não é executável de nenhum pacote"));
        if let Some(procurado) = pedido.or_else(|| pacotes.da_pasta(pasta)) {
            assert_eq!(
                procurado, dono,
                "{onde}: ali, `cargo run --bin {programa}` procura no pacote {procurado}, mas \
                 {programa} é do pacote {dono} (use -p {dono})"
            );
        }
    }
    if cargo.get(1).map(String::as_str) == Some("run") {
        assert_eq!(programas.len(), 1, "{onde}: cargo run sem um --bin: {palavras:?}");
        let saida = Command::new(binario(programas[0]))
            .args(opcoes)
            .arg("--help")
            .env_remove("CARGO")
            .output()
            .expect("executar o programa com --help");
        assert!(
            saida.status.success() && !saida.stdout.is_empty(),
            "{onde}: {} {} não foi aceito: {}",
            programas[0],
            opcoes.join(" "),
            String::from_utf8_lossy(&saida.stderr)
        );
    } else {
        for programa in &programas {
            binario(programa);
        }
    }
    programas.len()
}

/// Confere os comandos dos blocos que não rodam (e os dos que rodam, que
/// também não podem ter opções erradas), como rodariam em `pasta`. Devolve
/// quantos programas conferiu.
pub fn conferir_blocos(arquivo: &Path, pasta: &Path, pacotes: &Pacotes) -> usize {
    let texto = ler(arquivo);
    let mut conferidos = 0;
    for bloco in blocos(&texto) {
        if !matches!(bloco.lingua.as_str(), "bash" | "sh" | "powershell") {
            continue;
        }
        for (i, linha) in bloco.texto.lines().enumerate() {
            let onde = format!("{}:{}", arquivo.display(), bloco.linha + 1 + i);
            for palavras in comandos(linha) {
                conferidos += conferir(&palavras, pasta, pacotes, &onde);
            }
        }
    }
    conferidos
}

/// Cada `` `just RECEITA ...` `` do texto é uma receita do justfile.
pub fn conferir_receitas_do_just(arquivo: &Path) {
    let justfile = ler(&Path::new(RAIZ).join("justfile"));
    let texto = ler(arquivo);
    for trecho in texto.split("`just ").skip(1) {
        let receita = trecho.split([' ', '`']).next().unwrap_or_default();
        let existe = justfile.lines().any(|l| {
            l.strip_prefix(receita).is_some_and(|resto| resto.starts_with([' ', ':']))
                || l.starts_with(&format!("alias {receita} "))
        });
        assert!(existe, "{}: `just {receita}` não é uma receita do justfile", arquivo.display());
    }
}
