//! O `just diff A B` lido como uma lição: o comando do `justfile` (o mesmo
//! do README) mostra, num arquivo que as duas partes têm, só as mudanças de
//! código, nunca o cabeçalho `//!` (que a receita imprime antes, uma vez);
//! a Parte 2 fica a até 50 linhas de código da Parte 1 (só observação), a
//! Parte 3 a até 15 da Parte 2 (o `thread::spawn`), a Parte 4 a até 250 da
//! Parte 3 (seus seis passos, arquivos novos inteiros), e os comentários
//! da Parte 1 seguem, palavra por palavra, nas Partes 2 e 3.
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

/// As linhas de código (nem vazias nem comentário) que mudam de `a` para `b`.
fn codigo_mudado(a: &str, b: &str) -> Vec<String> {
    mudancas_em_arquivos_comuns(&diff(a, b))
        .into_iter()
        .filter(|l| {
            let resto = l[1..].trim();
            !resto.is_empty() && !resto.starts_with("//")
        })
        .collect()
}

#[test]
fn da_parte1_para_a_parte2_so_muda_a_observacao() {
    // Horários, o nome do cliente, o resumo do desfecho, --backlog e
    // --atraso: o laço da Parte 1 já tem a forma que a Parte 2 precisa.
    let codigo = codigo_mudado("parte1", "parte2");
    assert!(codigo.len() <= 50, "{} linhas de código mudaram: {codigo:#?}", codigo.len());
}

#[test]
fn da_parte2_para_a_parte3_bastam_poucas_linhas_de_codigo() {
    let codigo = codigo_mudado("parte2", "parte3");
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

/// Os comentários `//` de dentro das funções de um servidor (os que
/// explicam o código, e não o cabeçalho nem a documentação com `///`).
fn comentarios_de_dentro(parte: &str) -> Vec<String> {
    let caminho = format!("{RAIZ}/{parte}/src/servidor.rs");
    let fonte = std::fs::read_to_string(&caminho).expect("ler o servidor");
    fonte
        .lines()
        .filter(|l| l.starts_with(' ') && l.trim_start().starts_with("// "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn os_comentarios_da_parte1_seguem_nas_partes_2_e_3() {
    let da_parte1 = comentarios_de_dentro("parte1");
    assert!(da_parte1.len() >= 20, "comentários da Parte 1: {da_parte1:#?}");
    for parte in ["parte2", "parte3"] {
        let seus = comentarios_de_dentro(parte);
        let faltam: Vec<&String> = da_parte1.iter().filter(|c| !seus.contains(c)).collect();
        assert!(faltam.is_empty(), "{parte} perdeu comentários da Parte 1: {faltam:#?}");
    }
}
