//! O relato está completo e os blocos gerados pelo `cenario` estão lá.

fn relato() -> String {
    let caminho = concat!(env!("CARGO_MANIFEST_DIR"), "/../../RELATO.md");
    std::fs::read_to_string(caminho).expect("ler RELATO.md")
}

/// O conteúdo entre `<!-- cenario:ID -->` e `<!-- /cenario:ID -->`.
fn bloco<'a>(texto: &'a str, id: &str) -> &'a str {
    let abre = format!("<!-- cenario:{id} -->");
    let fecha = format!("<!-- /cenario:{id} -->");
    let inicio = texto.find(&abre).unwrap_or_else(|| panic!("falta {abre}")) + abre.len();
    let fim = texto.find(&fecha).unwrap_or_else(|| panic!("falta {fecha}"));
    assert!(fim > inicio, "marcadores de {id} fora de ordem");
    &texto[inicio..fim]
}

#[test]
fn relato_sem_fixme_e_com_as_quatro_partes() {
    let texto = relato();
    assert!(!texto.contains("FIXME"));
    for titulo in [
        "## Parte 1 — 1 servidor e 1 cliente (bloqueante)",
        "## Parte 2 — 1 servidor e 2 clientes (bloqueante)",
        "## Parte 3 — Modificar o servidor para múltiplos clientes",
        "## Parte 4 — 1 servidor (concorrente) e 2 clientes",
        "## Conclusões",
    ] {
        assert!(texto.contains(titulo), "falta a seção {titulo:?}");
    }
    for cabecalho in
        ["**Disciplina**: Sistemas operacionais", "**Semestre letivo**: 2025.2", "**Aluno**:"]
    {
        assert!(texto.contains(cabecalho), "falta {cabecalho:?}");
    }
    assert_eq!(texto.matches("```").count() % 2, 0, "cercas de código desbalanceadas");
}

#[test]
fn cada_bloco_gerado_esta_presente_e_bem_formado() {
    let texto = relato();
    for (id, clientes) in [("parte1", 1), ("parte2", 2), ("fila", 4), ("parte3", 2), ("parte4", 2)]
    {
        let b = bloco(&texto, id);
        assert!(
            b.contains("Gerado por `cargo run --bin cenario -- --parte "),
            "{id}: sem o comando"
        );
        assert_eq!(b.matches("```text\n").count(), 2, "{id}: transcrição e linha do tempo");
        assert!(
            b.contains("[servidor]  Servidor Echo escutando em localhost:"),
            "{id}: sem o banner"
        );
        for n in 1..=clientes {
            assert!(b.contains(&format!("[cliente {n}]")), "{id}: sem o cliente {n}");
            assert!(
                b.contains(&format!("- Cliente {n}: connect() levou")),
                "{id}: sem a resposta do cliente {n}"
            );
        }
        assert!(b.contains("Linha do tempo (cada coluna ="), "{id}: sem linha do tempo");
        assert!(b.contains("- Atendimento: "), "{id}: sem a conclusão sobre o atendimento");
    }
    assert!(bloco(&texto, "parte2").contains("Atendimento: serial"));
    assert!(bloco(&texto, "parte4").contains("Atendimento: sobreposto"));
    let tempos = bloco(&texto, "linhas-do-tempo");
    assert_eq!(tempos.matches("```mermaid\ngantt\n").count(), 2);
    assert!(tempos.contains("title parte2") && tempos.contains("title parte4"));
}
