//! O `just diff A B` lido como uma lição: o comando do `justfile` (o mesmo
//! do README) mostra, num arquivo que as duas partes têm, só as mudanças de
//! código, nunca o cabeçalho `//!` (que a receita imprime antes, uma vez);
//! e a Parte 3 continua a menos de 15 linhas de código da Parte 2.
//!
//! Só no Unix: o teste chama o `git`, que o Wine não tem.
#![cfg(unix)]

use std::process::Command;

const RAIZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Os argumentos do `git diff` da receita `_diff` do justfile, com `a` e `b`
/// no lugar de `{{a}}` e `{{b}}`.
fn diff(a: &str, b: &str) -> String {
    let justfile = std::fs::read_to_string(format!("{RAIZ}/justfile")).expect("ler o justfile");
    let linha = justfile
        .lines()
        .find(|l| l.contains("git --no-pager diff --no-index"))
        .expect("a receita do diff");
    let comando = linha.split("git ").nth(1).expect("o comando git");
    let args: Vec<String> = comando
        .split_whitespace()
        .map(|p| p.trim_matches('"').replace("{{a}}", a).replace("{{b}}", b))
        .collect();
    let saida = Command::new("git").current_dir(RAIZ).args(&args).output().expect("rodar o git");
    // O `git diff --no-index` sai com 1 quando há diferenças.
    assert!(saida.status.code() == Some(1), "{args:?}: {saida:?}");
    String::from_utf8(saida.stdout).expect("UTF-8")
}

/// As linhas mudadas (+/-) de cada arquivo que as duas partes têm.
fn mudancas_em_arquivos_comuns(diff: &str) -> Vec<String> {
    let mut linhas = Vec::new();
    let mut arquivo_novo = false;
    for linha in diff.lines() {
        if linha.starts_with("diff --git") {
            arquivo_novo = false;
        } else if linha == "--- /dev/null" {
            arquivo_novo = true;
        } else if linha.starts_with("+++ ") || linha.starts_with("--- ") {
        } else if !arquivo_novo && (linha.starts_with('+') || linha.starts_with('-')) {
            linhas.push(linha.to_string());
        }
    }
    linhas
}

#[test]
fn o_diff_de_cada_parte_nao_repete_o_cabecalho() {
    for (a, b) in [("parte1", "parte2"), ("parte2", "parte3"), ("parte3", "parte4")] {
        let texto = diff(a, b);
        let cabecalho: Vec<String> = mudancas_em_arquivos_comuns(&texto)
            .into_iter()
            .filter(|l| l[1..].trim_start().starts_with("//!"))
            .collect();
        assert!(cabecalho.is_empty(), "just diff {a} {b} repete o cabeçalho: {cabecalho:#?}");
    }
}

#[test]
fn da_parte2_para_a_parte3_bastam_poucas_linhas_de_codigo() {
    let codigo: Vec<String> = mudancas_em_arquivos_comuns(&diff("parte2", "parte3"))
        .into_iter()
        .filter(|l| {
            let resto = l[1..].trim();
            !resto.is_empty() && !resto.starts_with("//")
        })
        .collect();
    assert!(codigo.len() <= 15, "{} linhas de código mudaram: {codigo:#?}", codigo.len());
}

#[test]
fn da_parte3_para_a_parte4_bastam_250_linhas_de_codigo() {
    // Cada passo da Parte 4 entra num arquivo novo ou no servidor; os
    // arquivos novos contam inteiros (menos comentários e linhas em branco).
    let codigo: Vec<String> = diff("parte3", "parte4")
        .lines()
        .filter(|l| !l.starts_with("+++ ") && !l.starts_with("--- "))
        .filter(|l| l.starts_with('+') || l.starts_with('-'))
        .filter(|l| {
            let resto = l[1..].trim();
            !resto.is_empty() && !resto.starts_with("//")
        })
        .map(String::from)
        .collect();
    assert!(codigo.len() <= 250, "{} linhas de código mudaram: {codigo:#?}", codigo.len());
}
