//! O boletim dos exercícios de achar o erro: com `--sem-dicas`, o
//! observado sem o porquê, o que mudar nem a causa nomeada (que seriam a
//! resposta); e, com ou sem dicas, a saída do servidor resumida (um log que
//! ecoa uma mensagem de 100.000 bytes não inunda o terminal).

use super::comum::*;
use std::thread;

/// O que um boletim sem dicas nunca traz: os rótulos do conselho, o rodapé
/// das causas e a correção de cada servidor (o `target=` certo do
/// exercício 9, o `PORT = int(sys.argv[1])` do 8, o `input()` do 7).
const CONSELHOS: &[&str] = &[
    "Por que importa",
    "O que mudar",
    "Erros típicos encontrados",
    "args=(conn, addr)",
    "Serial com threading",
    "sys.argv",
    "Porta fixa no código",
    "O servidor espera o teclado",
    "tire o input()",
];

fn sem_espacos(texto: &str) -> String {
    texto.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn sem_dicas_o_boletim_mostra_o_observado_e_esconde_o_conselho() {
    let Some(p) = python() else { return };
    let pasta = pasta_temporaria("sem-dicas");
    let porta = porta_livre();
    let fixa = com_porta_fixa(&pasta, "servidor.py", "porta_fixa", porta);
    let fixa = format!("{p} {} {{porta}}", citar(&fixa));
    let chamada = py(&p, "thread_chamada_na_hora", "");
    let teclado = py(&p, "espera_o_teclado", "");
    let sem = ["--sem-dicas", "--parte"];
    // Três verificações por vez, como em `em_paralelo` (a do teclado
    // termina em um segundo).
    let (chamada_texto, chamada_json, teclado_texto, fixa_texto) = thread::scope(|escopo| {
        let a = escopo.spawn(|| executar(&["--iniciar", &chamada, sem[0], sem[1], "3"]));
        let b = escopo.spawn(|| verificar_json(&chamada, &["--sem-dicas", "--parte", "3"]));
        let c = executar(&["--iniciar", &teclado, sem[0], sem[1], "1"]);
        let d = executar(&["--iniciar", &fixa, sem[0], sem[1], "3"]);
        (a.join().unwrap(), b.join().unwrap(), c, d)
    });
    let _ = std::fs::remove_dir_all(&pasta);

    // O exercício 9: o observado e a saída do servidor ficam; o conselho sai.
    let texto = sem_espacos(&chamada_texto.saida);
    assert_eq!(chamada_texto.codigo, Some(1), "{}", chamada_texto.saida);
    for fica in [
        "Sem dicas (--sem-dicas)",
        "✗ concorrencia — serial ou concorrente? Observado: serial",
        "Saída do servidor na verificação sobrevive_a_reset",
        "ConnectionResetError",
        "Parte 3: NÃO CUMPRE",
    ] {
        assert!(texto.contains(fica), "falta {fica:?} em:\n{}", chamada_texto.saida);
    }
    // O traceback mostra a linha como o aluno a escreveu: a correção não.
    for sai in CONSELHOS {
        assert!(!texto.contains(sai), "{sai:?} num boletim sem dicas:\n{}", chamada_texto.saida);
    }
    // No JSON, a causa nomeada (só causa, sem observado) sai da lista.
    let (codigo, json) = chamada_json;
    assert_eq!(codigo, Some(1));
    assert!(diagnosticos(&json).is_empty(), "{json:#}");
    assert!(!json.to_string().contains("args=(conn, addr)"), "{json:#}");

    // O exercício 7: o servidor cai antes (ou logo depois) do primeiro
    // cliente; o EOFError fica, a causa e o conselho saem.
    let tudo = format!("{}{}", teclado_texto.saida, teclado_texto.erros);
    assert_eq!(teclado_texto.codigo, Some(1), "{tudo}");
    assert!(tudo.contains("EOFError"), "{tudo}");
    for sai in CONSELHOS {
        assert!(!sem_espacos(&tudo).contains(sai), "{sai:?} num boletim sem dicas:\n{tudo}");
    }

    // O exercício 8: a porta em que as verificações rodaram é observado, e
    // fica; a correção sai.
    let texto = sem_espacos(&fixa_texto.saida);
    assert_eq!(fixa_texto.codigo, Some(0), "{}", fixa_texto.saida);
    assert!(texto.contains("» O verificar passou a porta"), "{}", fixa_texto.saida);
    assert!(texto.contains(&format!("As verificações rodaram na {porta}.")), "{texto}");
    for sai in CONSELHOS {
        assert!(!texto.contains(sai), "{sai:?} num boletim sem dicas:\n{}", fixa_texto.saida);
    }
}

/// O exercício 1: o servidor ecoa no log a mensagem de 100.000 bytes; o
/// boletim mostra o começo e o tamanho dessa linha, não a linha inteira.
#[test]
fn a_saida_do_servidor_no_boletim_tem_linhas_curtas() {
    let Some(p) = python() else { return };
    let comando = py(&p, "termina_no_primeiro", "");
    let execucao = executar(&["--iniciar", &comando, "--parte", "1"]);
    assert_eq!(execucao.codigo, Some(1), "{}", execucao.saida);
    let saida = &execucao.saida;
    assert!(saida.contains("Saída do servidor na verificação mensagem_grande"), "{saida}");
    let resumida = saida.lines().find(|l| l.starts_with("  │ ") && l.contains(" bytes) …"));
    assert!(resumida.is_some(), "a linha longa não foi resumida:\n{saida}");
    let maior = saida.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(maior < 200, "uma linha de {maior} caracteres no boletim");
    // Antes, 74 KB; o boletim inteiro, agora, uns 7 KB.
    assert!(saida.len() < 16 * 1024, "boletim de {} bytes:\n{saida}", saida.len());
}
