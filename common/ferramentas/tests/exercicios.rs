//! Os exercícios de achar o erro (`disciplina/exercicios/`) são os
//! servidores da galeria que os testes do `verificar` usam
//! (`tests/servidores/`), sem os comentários que entregariam o erro. Estes
//! testes provam que o código de cada um é o mesmo (então o sintoma citado
//! no exercício é o que o `verificar` prova nos testes dele) e que cada um
//! tem o seu enunciado e a sua resposta, e que todo servidor novo da
//! galeria ganha um exercício (ou entra na lista dos que não são erro). As
//! respostas ficam com o professor (`disciplina/professor/`): a pasta dos
//! exercícios pode ir aos alunos como está.

use apoio::RAIZ;
use std::path::Path;

/// Cada exercício e o servidor da galeria de que ele é cópia.
const EXERCICIOS: &[(u32, &str)] = &[
    (1, "termina_no_primeiro"),
    (2, "threads_recv1024"),
    (3, "nunca_fecha"),
    (4, "global_sem_trava"),
    (5, "sem_quebra_de_linha"),
    (6, "sem_prefixo"),
    (7, "espera_o_teclado"),
    (8, "porta_fixa"),
    (9, "thread_chamada_na_hora"),
    (10, "decodifica_cada_pedaco"),
    (11, "laco_que_le_ate_esvaziar"),
];

/// Os servidores da galeria que não são um erro de aluno: medem as esperas
/// do `verificar` (o `time.sleep` que a atividade sugere), não têm o que
/// achar.
const SEM_EXERCICIO: &[&str] = &["threads_dorme_por_conexao", "threads_dorme_por_mensagem"];

const GALERIA: &str = "common/ferramentas/tests/servidores";
const PASTA: &str = "common/ferramentas/disciplina/exercicios";
const RESPOSTAS: &str = "common/ferramentas/disciplina/professor/exercicios-respostas.md";
/// O índice da pasta, para o aluno: a lista dos exercícios e como rodá-los.
const INDICE: &str = "LEIA-ME.md";

fn ler(caminho: &str) -> String {
    let caminho = Path::new(RAIZ).join(caminho);
    std::fs::read_to_string(&caminho).unwrap_or_else(|e| panic!("ler {}: {e}", caminho.display()))
}

/// As linhas de código de um arquivo Python: sem as linhas de comentário,
/// sem o comentário do fim de uma linha (`  # ...`, o estilo dos dois
/// arquivos) e sem as linhas em branco.
fn codigo(texto: &str) -> Vec<String> {
    texto
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split("  # ").next().unwrap_or_default().trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn cada_exercicio_tem_o_mesmo_codigo_do_servidor_da_galeria() {
    for (n, galeria) in EXERCICIOS {
        let exercicio = ler(&format!("{PASTA}/exercicio{n}.py"));
        let original = ler(&format!("{GALERIA}/{galeria}.py"));
        assert_eq!(
            codigo(&exercicio),
            codigo(&original),
            "exercicio{n}.py e {galeria}.py têm código diferente: atualize a cópia"
        );
        assert!(
            exercicio.starts_with(&format!("# Exercício {n}: ")),
            "exercicio{n}.py começa sem o cabeçalho do exercício"
        );
        // O cabeçalho da cópia não entrega o erro, como o da galeria faria.
        assert!(!exercicio.contains("ERRO"), "exercicio{n}.py tem o comentário do erro");
    }
}

#[test]
fn cada_exercicio_tem_enunciado_com_pergunta_e_dica_e_uma_resposta() {
    let respostas = ler(RESPOSTAS);
    for (n, galeria) in EXERCICIOS {
        let enunciado = ler(&format!("{PASTA}/exercicio{n}.md"));
        for secao in ["## O que se vê", "## Reproduza", "## Pergunta", "## Dica"] {
            assert!(enunciado.contains(secao), "exercicio{n}.md sem a seção {secao:?}");
        }
        assert!(
            enunciado.contains(&format!("exercicio{n}.py")),
            "exercicio{n}.md não cita o servidor"
        );
        assert!(
            respostas.contains(&format!("| {n} | `{galeria}.py` |")),
            "exercicios-respostas.md não liga o exercício {n} a {galeria}.py"
        );
        let resposta = respostas
            .split(&format!("\n## {n}. "))
            .nth(1)
            .unwrap_or_else(|| panic!("exercicios-respostas.md sem a seção do exercício {n}"));
        assert!(
            resposta.contains("**Causa.**") && resposta.contains("```diff"),
            "a resposta do exercício {n} precisa da causa e da correção"
        );
    }
}

/// Os nomes (sem a extensão) dos arquivos de uma pasta cujo nome começa com
/// `prefixo` e termina com `extensao`, em ordem.
fn nomes(pasta: &str, prefixo: &str, extensao: &str) -> Vec<String> {
    let pasta = Path::new(RAIZ).join(pasta);
    let mut nomes: Vec<String> = std::fs::read_dir(&pasta)
        .unwrap_or_else(|e| panic!("ler {}: {e}", pasta.display()))
        .map(|e| e.expect("entrada da pasta").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefixo))
        .filter_map(|n| n.strip_suffix(extensao).map(str::to_string))
        .collect();
    nomes.sort();
    nomes
}

/// Um servidor novo na galeria (um erro novo que o `verificar` aprendeu a
/// apontar) precisa do seu exercício, ou de um lugar em `SEM_EXERCICIO`.
#[test]
fn cada_servidor_da_galeria_tem_um_exercicio() {
    let galeria = nomes(GALERIA, "", ".py");
    for nome in &galeria {
        let tem =
            EXERCICIOS.iter().any(|(_, g)| g == nome) || SEM_EXERCICIO.contains(&nome.as_str());
        assert!(tem, "{nome}.py está na galeria sem exercício: crie um, ou ponha em SEM_EXERCICIO");
    }
    // As duas listas não apontam para servidores que já saíram da galeria.
    for nome in EXERCICIOS.iter().map(|(_, g)| *g).chain(SEM_EXERCICIO.iter().copied()) {
        assert!(galeria.iter().any(|g| g == nome), "{nome}.py não está mais na galeria");
    }
    // E todo exercicioN.md da pasta está na lista (então foi conferido).
    let mut numeros: Vec<String> = EXERCICIOS.iter().map(|(n, _)| n.to_string()).collect();
    numeros.sort();
    let mut enunciados: Vec<String> = nomes(PASTA, "exercicio", ".md")
        .into_iter()
        .map(|n| n.trim_start_matches("exercicio").to_string())
        .collect();
    enunciados.sort();
    assert_eq!(enunciados, numeros, "os exercicioN.md da pasta e a lista EXERCICIOS");
}

/// Entregar a pasta dos exercícios não entrega as respostas: ela só tem os
/// enunciados, os servidores e o índice, e nenhum deles traz a causa ou a
/// correção.
#[test]
fn a_pasta_dos_exercicios_nao_tem_as_respostas() {
    let pasta = Path::new(RAIZ).join(PASTA);
    for entrada in std::fs::read_dir(&pasta).expect("ler a pasta dos exercícios") {
        let caminho = entrada.expect("entrada da pasta").path();
        let nome = caminho.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if nome == "__pycache__" {
            continue; // o Python cria ao importar; o .gitignore a deixa de fora
        }
        let do_aluno = nome == INDICE
            || nome
                .strip_prefix("exercicio")
                .and_then(|r| r.strip_suffix(".md").or_else(|| r.strip_suffix(".py")))
                .is_some_and(|n| n.parse::<u32>().is_ok());
        assert!(do_aluno, "{nome} na pasta dos exercícios: respostas vão em professor/");
        let texto = std::fs::read_to_string(&caminho).expect("ler o arquivo");
        for resposta in ["**Causa.**", "```diff", "**Correção"] {
            assert!(!texto.contains(resposta), "{nome} traz {resposta:?}");
        }
    }
}

/// O índice lista cada exercício com o título do enunciado e a `--parte`
/// com que o enunciado roda o `verificar`.
#[test]
fn o_indice_lista_cada_exercicio_com_o_titulo_e_a_parte() {
    let indice = ler(&format!("{PASTA}/{INDICE}"));
    for (n, _) in EXERCICIOS {
        let enunciado = ler(&format!("{PASTA}/exercicio{n}.md"));
        let titulo = enunciado
            .lines()
            .next()
            .and_then(|l| l.split_once(" — "))
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| panic!("exercicio{n}.md começa sem \"# Exercício {n} — título\""));
        let parte = enunciado
            .split("--parte ")
            .nth(1)
            .and_then(|r| r.chars().next())
            .unwrap_or_else(|| panic!("exercicio{n}.md não roda o verificar com --parte"));
        let linha = indice
            .lines()
            .find(|l| l.starts_with(&format!("| [{n}](exercicio{n}.md) |")))
            .unwrap_or_else(|| panic!("{INDICE} sem o exercício {n}"));
        let colunas: Vec<&str> = linha.split('|').map(str::trim).collect();
        assert_eq!(
            colunas[2].replace('`', ""),
            titulo.replace('`', ""),
            "o título do exercício {n} no índice"
        );
        assert_eq!(colunas[3], parte.to_string(), "a parte do exercício {n} no índice");
    }
}

#[test]
fn o_codigo_ignora_comentarios_e_linhas_em_branco() {
    let a = "# cabeçalho\nimport socket\n\nx = 1  # o erro\n    # dentro\ny = '#'\n";
    assert_eq!(codigo(a), ["import socket", "x = 1", "y = '#'"]);
}
