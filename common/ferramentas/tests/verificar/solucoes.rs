//! O gabarito da disciplina em Python (`disciplina/solucoes/`): os três
//! caminhos da Parte 3 (uma thread por cliente, `selectors`, `asyncio`)
//! passam em todas as verificações dos dois níveis, e cada um cabe em 60
//! linhas de código.

use super::comum::*;

const SOLUCOES: [&str; 3] = ["servidor_threads", "servidor_selectors", "servidor_asyncio"];

/// Linhas de código: nem em branco nem só comentário.
fn linhas_de_codigo(texto: &str) -> usize {
    texto.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).count()
}

#[test]
fn as_tres_solucoes_passam_todas_as_verificacoes_dos_dois_niveis() {
    let Some(p) = python() else { return };
    let caminho = |nome: &str| format!("disciplina/solucoes/{nome}.py");
    let pedidos: Vec<(&str, String, &str)> =
        SOLUCOES.iter().map(|nome| (*nome, py(&p, &caminho(nome), ""), "3")).collect();
    let feitos = em_paralelo(&pedidos);
    let mut erros = Vec::new();
    for ((nome, _, _), (codigo, json)) in pedidos.iter().zip(&feitos) {
        let texto = std::fs::read_to_string(servidor_python(&caminho(nome))).unwrap();
        let linhas = linhas_de_codigo(&texto);
        if linhas > 60 {
            erros.push(format!("{nome}: {linhas} linhas de código (no máximo 60)"));
        }
        // Todas as marcas ✓: nenhuma falha e nenhuma "não avaliada".
        let nao_passaram: Vec<String> = marcas(json)
            .into_iter()
            .filter(|(_, m)| *m != '✓')
            .map(|(id, m)| format!("{id}{m}: {}", verificacao(json, &id)["detalhe"]))
            .collect();
        if !nao_passaram.is_empty() {
            erros.push(format!("{nome}: {}", nao_passaram.join("; ")));
        }
        let resumo = (
            *codigo,
            json["atividade"]["cumpre"].as_bool(),
            json["alem"]["passaram"] == json["alem"]["de"],
            json["concorrencia"].as_str(),
        );
        if resumo != (Some(0), Some(true), true, Some("concorrente")) {
            erros.push(format!("{nome}: código, cumpre, além e classe: {resumo:?}"));
        }
        if !diagnosticos(json).is_empty() {
            erros.push(format!("{nome}: diagnósticos {:?}", diagnosticos(json)));
        }
        assert_eq!(marcas(json).len(), 14, "{nome}: {json:#}");
    }
    assert!(erros.is_empty(), "{}", erros.join("\n"));
}

/// O `cliente.py` corrigido (`disciplina/solucoes/cliente.py`) conversa com
/// a Parte 1 de verdade: as respostas chegam, e a saída tem a forma da do
/// `cliente.py` da disciplina.
#[test]
fn o_cliente_py_corrigido_conversa_com_a_parte1() {
    use apoio::processo::{Processo, Saida};
    let Some(p) = python() else { return };
    let servidor = apoio::iniciar_servidor("parte1", &[]);
    let caminho = servidor_python("disciplina/solucoes/cliente.py");
    let args = [caminho.display().to_string(), servidor.porta.to_string()];
    let mut cliente = Processo::iniciar(std::path::Path::new(&p), &args, Saida::Guardar)
        .expect("iniciar o cliente.py corrigido");
    cliente.escrever("oi\nolá de novo\nsair\n");
    cliente.fechar_entrada();
    let fim = cliente.esperar_fim(apoio::PRAZO).expect("esperar o cliente.py");
    let texto = cliente.textos().join("\n");
    assert!(fim.is_some_and(|s| s.success()), "{texto}");
    assert!(texto.contains("Resposta: Echo: oi"), "{texto}");
    assert!(texto.contains("Resposta: Echo: olá de novo"), "{texto}");
    assert!(texto.trim_end().ends_with("Conexão encerrada"), "{texto}");
}
