//! Os passos da Parte 4 (`parte4/passos/`) levam a Parte 3 à Parte 4:
//! aplicados em ordem a uma cópia da Parte 3, dão a Parte 4 byte a byte, e
//! cada passo intermediário compila. Quem muda a Parte 4 sem refazer os
//! patches (ver `parte4/passos/LEIA-ME.md`) vê este teste falhar. E o
//! cabeçalho de `parte4/src/servidor.rs` lista os passos na ordem dos
//! patches.

use ferramentas::passos;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sob o Wine do CI não há cargo nem git: lá estes testes não rodam (no
/// Linux e num Windows de verdade, sim).
fn sob_o_wine() -> bool {
    let wine = cfg!(windows)
        && std::env::var_os("CARGO").is_none()
        && std::env::var_os("WINEPREFIX").is_some();
    if wine {
        eprintln!("pulado sob o Wine: não há cargo nem git no prefixo do Wine do CI");
    }
    wine
}

/// Uma pasta nova para as árvores, na pasta temporária do `target/`.
fn pasta_nova(nome: &str) -> PathBuf {
    let pasta = Path::new(env!("CARGO_TARGET_TMPDIR")).join(nome);
    let _ = std::fs::remove_dir_all(&pasta);
    std::fs::create_dir_all(&pasta).expect("criar a pasta das árvores");
    pasta
}

#[test]
fn a_parte3_mais_os_passos_e_a_parte4_e_cada_passo_compila() {
    if sob_o_wine() {
        return;
    }
    let raiz = passos::raiz();
    let pasta = pasta_nova("passos");
    let total = passos::patches(&raiz).expect("os patches").len();
    assert_eq!(total, 6, "a Parte 4 tem seis passos");
    for n in 1..=total {
        let destino = pasta.join(n.to_string());
        passos::montar(&raiz, n, &destino).unwrap_or_else(|e| panic!("passo {n}: {e:#}"));
    }
    let montada = passos::arquivos(&pasta.join(total.to_string()).join("parte4")).unwrap();
    let parte4 = passos::arquivos(&raiz.join("parte4")).unwrap();
    let nomes =
        |a: &std::collections::BTreeMap<String, Vec<u8>>| a.keys().cloned().collect::<Vec<_>>();
    assert_eq!(nomes(&montada), nomes(&parte4), "os arquivos da Parte 4 e os dos passos");
    for (nome, conteudo) in &parte4 {
        assert!(
            montada[nome] == *conteudo,
            "parte4/{nome} não é a Parte 3 mais os passos: mudou sem refazer os patches? \
             (ver parte4/passos/LEIA-ME.md)"
        );
    }
    // Cada passo intermediário compila, sem avisos, no `target/passos/alvo`
    // do `just passo N rodar` (o primeiro compila as dependências; os
    // outros, só a parte).
    let alvo = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../passos/alvo");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for n in 1..total {
        let saida = Command::new(&cargo)
            .args(["check", "--quiet", "--manifest-path"])
            .arg(pasta.join(n.to_string()).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&alvo)
            .output()
            .expect("rodar o cargo check");
        let erros = String::from_utf8_lossy(&saida.stderr);
        assert!(saida.status.success(), "o passo {n} não compila:\n{erros}");
        assert!(!erros.contains("warning"), "o passo {n} compila com avisos:\n{erros}");
    }
}

/// O nome de um passo sem acentos, como no nome do arquivo.
fn sem_acentos(nome: &str) -> String {
    nome.chars()
        .map(|c| match c {
            'á' | 'â' | 'ã' | 'à' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

#[test]
fn o_cabecalho_da_parte4_lista_os_passos_na_ordem_dos_patches() {
    let raiz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let servidor = std::fs::read_to_string(raiz.join("parte4/src/servidor.rs")).unwrap();
    // A lista "Leia na ordem": `//! N. `nome`: ...`, antes de "Como observar".
    let leitura = servidor.split("## Como observar").next().unwrap();
    let no_cabecalho: Vec<String> = leitura
        .lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter_map(|l| {
            let (numero, resto) = l.split_once(". `")?;
            numero.parse::<usize>().ok()?;
            Some(resto.split('`').next()?.to_string())
        })
        .collect();
    let patches: Vec<String> = passos::patches(&raiz)
        .unwrap()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(no_cabecalho.len(), patches.len(), "os passos do cabeçalho: {no_cabecalho:?}");
    for (i, (nome, patch)) in no_cabecalho.iter().zip(&patches).enumerate() {
        let n = i + 1;
        let titulo = format!("# Passo {n} de {} — {nome}: ", patches.len());
        assert!(patch.starts_with(&titulo), "o patch {n} não começa com {titulo:?}");
        let arquivo = &passos::patches(&raiz).unwrap()[i];
        let esperado = format!("{n}-{}.diff", sem_acentos(nome));
        assert!(arquivo.ends_with(&esperado), "{}: esperava {esperado}", arquivo.display());
        let marca = format!("NOVO (passo {n}, {nome})");
        assert!(patch.contains(&marca), "o patch {n} não marca o que traz com {marca:?}");
    }
}
