//! O relato está completo e os blocos gerados pelo `cenario` estão lá.

use ferramentas::cenario::ordem_causal::conferir_ordem_causal;

fn relato() -> String {
    let caminho = concat!(env!("CARGO_MANIFEST_DIR"), "/../../RELATO.md");
    std::fs::read_to_string(caminho).expect("ler RELATO.md")
}

/// O conteúdo entre `<!-- cenario:ID -->` e `<!-- /cenario:ID -->`.
fn bloco<'a>(texto: &'a str, id: &str) -> &'a str {
    marcado(texto, &format!("cenario:{id}"))
}

/// O conteúdo entre `<!-- NOME -->` e `<!-- /NOME -->`.
fn marcado<'a>(texto: &'a str, id: &str) -> &'a str {
    let abre = format!("<!-- {id} -->");
    let fecha = format!("<!-- /{id} -->");
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
        ["**Disciplina**: Sistemas Operacionais", "**Semestre letivo**: 2025.2", "**Aluno**:"]
    {
        assert!(texto.contains(cabecalho), "falta {cabecalho:?}");
    }
    assert_eq!(texto.matches("```").count() % 2, 0, "cercas de código desbalanceadas");
}

#[test]
fn cada_bloco_gerado_esta_presente_bem_formado_e_em_ordem_causal() {
    let texto = relato();
    // (bloco, clientes, tem transcrição, tem linha do tempo, tem a frase de
    // cada cliente, tem a conclusão sobre o atendimento)
    for (id, clientes, transcricao, tempo, cada_cliente, conclusao) in [
        ("parte1", 1, true, false, true, false),
        ("parte2", 2, true, true, true, true),
        ("fila", 4, false, false, false, true),
        ("parte3", 2, false, true, true, true),
        ("parte4", 2, true, false, false, true),
        ("desligamento", 1, true, false, false, false),
    ] {
        let b = bloco(&texto, id);
        assert!(
            b.contains("Gerado por `cargo run --bin cenario -- --parte "),
            "{id}: sem o comando"
        );
        if transcricao {
            assert!(
                b.contains("[servidor]  Servidor Echo escutando em localhost:"),
                "{id}: sem o banner"
            );
            for n in 1..=clientes {
                assert!(b.contains(&format!("[cliente {n}]")), "{id}: sem o cliente {n}");
            }
            let inicio = b.find("```text\n[servidor]").expect("transcrição") + 8;
            let fim = inicio + b[inicio..].find("```").expect("fim da transcrição");
            conferir_ordem_causal(&b[inicio..fim]);
        }
        assert_eq!(b.contains("Linha do tempo (cada coluna ="), tempo, "{id}: linha do tempo");
        for n in 1..=clientes {
            let frase = format!("- O cliente {n} conectou em ");
            assert_eq!(b.contains(&frase), cada_cliente, "{id}: a frase do cliente {n}");
        }
        assert_eq!(b.contains("atendimento foi "), conclusao, "{id}: a conclusão");
    }
    // Cada conclusão é dita por extenso uma vez; quando se repete, vem curta.
    assert!(bloco(&texto, "parte2").contains("- O atendimento foi serial: "));
    assert!(bloco(&texto, "fila").contains("- De novo, o atendimento foi serial."));
    assert!(bloco(&texto, "parte3").contains("- O atendimento foi sobreposto: "));
    assert!(bloco(&texto, "parte4").contains("- De novo, o atendimento foi sobreposto ("));
    assert!(bloco(&texto, "fila").contains("LISTEN"));
    assert!(!bloco(&texto, "parte4").contains("CLOSE-WAIT"));
    assert!(bloco(&texto, "desligamento").contains("Servidor encerrado:"));
}

#[test]
fn a_comparacao_dos_modelos_vem_de_figuras() {
    // O bloco é a comparação dos três modelos tirada de figuras/escala.json
    // (a última execução completa, ao lado da tabela): os números do relato
    // são os de lá.
    use ferramentas::figuras::{self, Escala};
    let texto = relato();
    let b = marcado(&texto, "escala:modelos");
    let raiz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let escala: Escala = figuras::ler(&raiz.join(figuras::ESCALA_JSON)).expect("escala.json");
    assert_eq!(escala.execucao.comando, "cargo run --release --bin escala -- --gravar");
    let esperado = ferramentas::relato::modelos_da_escala(&escala).expect("figuras");
    assert_eq!(b.trim_start_matches('\n'), esperado);
}

#[test]
fn relato_curto_o_bastante_para_ser_lido() {
    // O relato propriamente dito (do título às conclusões) e os apêndices.
    let texto = relato();
    let (proprio, apendices) = texto.split_once("## Apêndice A").expect("falta o apêndice A");
    let palavras = |s: &str| s.split_whitespace().count();
    assert!(palavras(proprio) <= 2800, "relato com {} palavras", palavras(proprio));
    assert!(palavras(apendices) <= 1800, "apêndices com {} palavras", palavras(apendices));
    assert!(texto.lines().count() <= 450, "relato com {} linhas", texto.lines().count());
}

#[test]
fn cada_trecho_de_rust_do_relato_esta_no_codigo() {
    // Um trecho ```rust do relato é o código como está escrito: as mesmas
    // linhas, na mesma ordem e seguidas (sem contar a indentação), em algum
    // `servidor.rs`. Assim o trecho não envelhece sem que um teste perceba.
    let raiz = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let fontes: Vec<String> =
        ["parte1", "parte2", "parte3", "parte3/poll", "parte3/assincrono", "parte4"]
            .iter()
            .map(|parte| {
                std::fs::read_to_string(format!("{raiz}/{parte}/src/servidor.rs"))
                    .expect("ler servidor.rs")
            })
            .collect();
    let linhas = |s: &str| {
        s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>()
    };
    let texto = relato();
    let trechos: Vec<&str> =
        texto.split("```rust\n").skip(1).map(|t| t.split("```").next().unwrap()).collect();
    assert!(!trechos.is_empty(), "o relato não tem trecho de Rust");
    for trecho in trechos {
        let procurado = linhas(trecho);
        let achou =
            fontes.iter().any(|f| linhas(f).windows(procurado.len()).any(|w| w == procurado));
        assert!(achou, "trecho do relato que não está no código:\n{trecho}");
    }
}
