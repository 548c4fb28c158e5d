//! Os exercícios de achar o erro (`disciplina/exercicios/`) são os
//! servidores da galeria que os testes do `verificar` usam
//! (`tests/servidores/`), sem os comentários que entregariam o erro. Estes
//! testes provam que o código de cada um é o mesmo (então o sintoma citado
//! no exercício é o que o `verificar` prova nos testes dele) e que cada um
//! tem o seu enunciado e a sua resposta.

use apoio::RAIZ;
use std::path::Path;

/// Cada exercício e o servidor da galeria de que ele é cópia.
const EXERCICIOS: &[(u32, &str)] = &[
    (1, "termina_no_primeiro"),
    (2, "threads_recv1024"),
    (3, "nunca_fecha"),
    (4, "global_sem_trava"),
    (5, "sem_quebra_de_linha"),
];

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
        let exercicio = ler(&format!("common/ferramentas/disciplina/exercicios/exercicio{n}.py"));
        let original = ler(&format!("common/ferramentas/tests/servidores/{galeria}.py"));
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
    let respostas = ler("common/ferramentas/disciplina/exercicios/respostas.md");
    for (n, galeria) in EXERCICIOS {
        let enunciado = ler(&format!("common/ferramentas/disciplina/exercicios/exercicio{n}.md"));
        for secao in ["## O que se vê", "## Reproduza", "## Pergunta", "## Dica"] {
            assert!(enunciado.contains(secao), "exercicio{n}.md sem a seção {secao:?}");
        }
        assert!(
            enunciado.contains(&format!("exercicio{n}.py")),
            "exercicio{n}.md não cita o servidor"
        );
        assert!(
            respostas.contains(&format!("| {n} | `{galeria}.py` |")),
            "respostas.md não liga o exercício {n} a {galeria}.py"
        );
        let resposta = respostas
            .split(&format!("\n## {n}. "))
            .nth(1)
            .unwrap_or_else(|| panic!("respostas.md sem a seção do exercício {n}"));
        assert!(
            resposta.contains("**Causa.**") && resposta.contains("```diff"),
            "a resposta do exercício {n} precisa da causa e da correção"
        );
    }
}

#[test]
fn o_codigo_ignora_comentarios_e_linhas_em_branco() {
    let a = "# cabeçalho\nimport socket\n\nx = 1  # o erro\n    # dentro\ny = '#'\n";
    assert_eq!(codigo(a), ["import socket", "x = 1", "y = '#'"]);
}
