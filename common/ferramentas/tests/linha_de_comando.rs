//! Todo erro de linha de comando sai em português, diz a opção e o que ela
//! aceita, e termina com código 2.

use apoio::binario;
use std::process::Command;

/// Executa `programa` com `args`; devolve (código de saída, saída de erros).
fn executar(programa: &str, args: &[&str]) -> (Option<i32>, String) {
    let saida = Command::new(binario(programa)).args(args).output().expect("executar");
    assert!(saida.stdout.is_empty(), "{}", String::from_utf8_lossy(&saida.stdout));
    (saida.status.code(), String::from_utf8_lossy(&saida.stderr).into_owned())
}

fn sem_ingles(erros: &str) {
    for ingles in ["error:", "Usage:", "invalid value", "tip:", "For more information", "required"]
    {
        assert!(!erros.contains(ingles), "texto do clap em inglês: {erros}");
    }
}

#[test]
fn porta_fora_da_faixa_diz_a_faixa() {
    let (codigo, erros) = executar("parte1", &["--porta", "99999"]);
    assert_eq!(codigo, Some(2));
    assert!(
        erros.starts_with(
            "parte1: valor inválido \"99999\" para --porta <PORTA>: aceita um número inteiro de 0 a 65535\n"
        ),
        "{erros}"
    );
    // Sob o cargo (como aqui), a ajuda se pede pelo cargo.
    assert!(erros.contains(
        "Uso: parte1 [OPÇÕES]. Para ver todas as opções: cargo run --bin parte1 -- --help\n"
    ));
    sem_ingles(&erros);
}

#[test]
fn opcao_parecida_ganha_sugestao() {
    let (codigo, erros) = executar("cliente", &["--port", "5000"]);
    assert_eq!(codigo, Some(2));
    assert!(
        erros.starts_with("cliente: opção desconhecida: --port (você quis dizer --porta?)\n"),
        "{erros}"
    );
    sem_ingles(&erros);
}

#[test]
fn cenario_sem_argumentos_diz_o_que_falta() {
    let (codigo, erros) = executar("cenario", &[]);
    assert_eq!(codigo, Some(2));
    assert!(erros.starts_with("cenario: falta a opção obrigatória --parte <PARTE>\n"), "{erros}");
    sem_ingles(&erros);
}

#[test]
fn o_cliente_recusa_a_porta_zero() {
    let (codigo, erros) = executar("cliente", &["--porta", "0"]);
    assert_eq!(codigo, Some(2));
    assert!(erros.contains("aceita um número inteiro de 1 a 65535"), "{erros}");
}

#[test]
fn outros_erros_de_uso_tambem_em_portugues() {
    for (programa, args, esperado) in [
        ("parte2", &["--atraso", "abc"][..], "valor inválido \"abc\" para --atraso <MS>"),
        ("parte1", &["--porta"][..], "falta o valor de --porta <PORTA>"),
        (
            "parte1",
            &["--porta", "1", "--porta", "2"][..],
            "--porta <PORTA> foi dada mais de uma vez",
        ),
        ("parte1", &["extra"][..], "argumento inesperado: \"extra\""),
        ("parte4", &["--max-clientes", "0"][..], "aceita um número inteiro de 1 a 100000"),
        ("carga", &["--duracao", "x"][..], "aceita um número de 0,01 a 3600 (ex.: 0,5)"),
    ] {
        let (codigo, erros) = executar(programa, args);
        assert_eq!(codigo, Some(2), "{programa} {args:?}: {erros}");
        assert!(erros.contains(esperado), "{programa} {args:?}: {erros}");
        sem_ingles(&erros);
    }
}

#[test]
fn ajuda_em_portugues_com_a_descricao_do_programa() {
    for (programa, descricao) in [
        ("parte1", "Servidor Echo iterativo e bloqueante (Parte 1)"),
        ("cliente", "Cliente interativo do servidor Echo"),
        ("cenario", "Roda o experimento da atividade"),
        ("carga", "Gera carga contra um servidor Echo"),
        ("bancada", "Mede os servidores das partes"),
    ] {
        let saida = Command::new(binario(programa)).arg("--help").output().expect("executar");
        assert_eq!(saida.status.code(), Some(0));
        let ajuda = String::from_utf8_lossy(&saida.stdout);
        assert!(ajuda.starts_with(descricao), "{programa}: {ajuda}");
        assert!(ajuda.contains(&format!("Uso: {programa} [OPÇÕES]")), "{ajuda}");
        assert!(ajuda.contains("Opções:") && !ajuda.contains("Options"), "{ajuda}");
    }
}
