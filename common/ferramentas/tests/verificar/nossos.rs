//! Os nossos seis servidores passam os dois níveis; e os casos em que não
//! há servidor a verificar (nada escutando, um comando que termina logo, um
//! erro de uso, a porta em uso, um servidor que nunca responde).

use super::comum::*;
use apoio::binarios::compilado;
use serde_json::Value;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const SO_CONCORRENTES: [(&str, char); 3] =
    [("muitos_clientes", '–'), ("cliente_que_nao_le", '–'), ("cliente_que_inunda", '–')];

#[test]
fn nossos_seis_servidores_passam_os_dois_niveis() {
    let pedidos = [
        ("parte1", nosso("parte1"), "1"),
        ("parte2", nosso("parte2"), "2"),
        ("parte3", nosso("parte3"), "3"),
        ("parte3-poll", nosso("parte3-poll"), "3"),
        ("parte3-async", nosso("parte3-async"), "3"),
        ("parte4", nosso("parte4"), "4"),
    ];
    let feitos = em_paralelo(&pedidos);
    let serial = Esperado {
        cumpre: Some(true),
        classe: Some("serial"),
        marcas: &SO_CONCORRENTES,
        diagnosticos: &[],
    };
    let tudo = Esperado {
        cumpre: Some(true),
        classe: Some("concorrente"),
        marcas: &[],
        diagnosticos: &[],
    };
    // Os dois níveis inteiros, também sob o Wine: inundação e cliente que
    // não lê inclusive. Lá as verificações rodam uma de cada vez
    // (`em_paralelo`): com três ao mesmo tempo, o parte3-async reprovou a
    // inundação em 5 de 7 execuções e o parte3-poll em 2 de 3, e o eco-tokio
    // (40 linhas, sem código do projeto) também, porque todo socket passa
    // pelo mesmo wineserver; uma de cada vez, os dois passaram.
    conferir_todos(&[
        ("parte1", &feitos[0], serial),
        ("parte2", &feitos[1], Esperado { ..serial }),
        ("parte3", &feitos[2], Esperado { ..tudo }),
        ("parte3-poll", &feitos[3], tudo),
        ("parte3-async", &feitos[4], tudo),
        ("parte4", &feitos[5], Esperado { ..tudo }),
    ]);
    for (_, json) in &feitos {
        assert!(json["diagnosticos"].as_array().unwrap().is_empty(), "{json:#}");
        assert_eq!(json["prefixo"], "Echo: ");
    }
}

#[test]
fn nada_escutando_diz_o_motivo() {
    let porta = porta_livre();
    let execucao = executar(&["--host", "127.0.0.1", "--porta", &porta.to_string()]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.erros.starts_with(&format!(
            "verificar: nada escutando em 127.0.0.1:{porta} (conexão recusada)"
        )),
        "{}",
        execucao.erros
    );
}

#[test]
fn comando_que_termina_logo_mostra_a_saida_dele() {
    let comando =
        format!("{} --porta {{porta}} --opcao-inventada", citar(&compilado("parte1").unwrap()));
    let execucao = executar(&["--iniciar", &comando]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(execucao.erros.contains("terminou antes de aceitar conexões"), "{}", execucao.erros);
    assert!(execucao.erros.contains("opção desconhecida: --opcao-inventada"), "{}", execucao.erros);
    // Com --json, o professor recebe o motivo no mesmo formato dos outros.
    let (codigo, json) = verificar_json(&comando, &["--parte", "3"]);
    assert_eq!(codigo, Some(1));
    assert!(json["erro"].as_str().unwrap().contains("--opcao-inventada"), "{json:#}");
    assert!(marcas(&json).iter().all(|(_, m)| *m == '–'), "{json:#}");
    assert_eq!(json["atividade"]["cumpre"], false);
    assert_eq!(verificacao(&json, "eco")["nivel"], "atividade");
    assert_eq!(verificacao(&json, "cliente_que_inunda")["nivel"], "alem");
}

#[test]
fn erro_de_uso_em_portugues_com_codigo_2() {
    let execucao = executar(&["--parte", "5"]);
    assert_eq!(execucao.codigo, Some(2));
    assert!(
        execucao.erros.starts_with(
            "verificar: valor inválido \"5\" para --parte <N>: aceita um número inteiro de 1 a 4\n"
        ),
        "{}",
        execucao.erros
    );
    let execucao = executar(&["turma"]);
    assert_eq!(execucao.codigo, Some(2), "{}", execucao.erros);
    assert!(execucao.erros.starts_with("verificar: falta"), "{}", execucao.erros);
}

#[test]
fn porta_em_uso_e_recusada_antes_de_iniciar() {
    let ocupada = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = ocupada.local_addr().unwrap().port().to_string();
    let comando = format!("{} --porta {porta}", citar(&compilado("parte1").unwrap()));
    let execucao = executar(&["--iniciar", &comando, "--host", "127.0.0.1", "--porta", &porta]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.erros.contains(&format!("a porta {porta} já está em uso")),
        "{}",
        execucao.erros
    );
}

/// Um "servidor" que aceita toda conexão e nunca responde nem fecha: o eco
/// falha no seu prazo, e o resto não é avaliado (sem eco, nada a conferir).
#[test]
fn servidor_que_aceita_e_nunca_responde_termina_em_tempo_limitado() {
    let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = escuta.local_addr().unwrap().port();
    let parar = Arc::new(AtomicBool::new(false));
    let parar_aqui = Arc::clone(&parar);
    let aceitador = thread::spawn(move || {
        let mut guardadas = Vec::new();
        while !parar_aqui.load(Ordering::Relaxed) && guardadas.len() < 1000 {
            if let Ok((socket, _)) = escuta.accept() {
                guardadas.push(socket);
            }
        }
    });
    let inicio = Instant::now();
    let execucao =
        executar(&["--host", "127.0.0.1", "--porta", &porta.to_string(), "--parte", "1", "--json"]);
    let tempo = inicio.elapsed();
    parar.store(true, Ordering::Relaxed);
    let _ = std::net::TcpStream::connect(("127.0.0.1", porta)); // acorda o accept()
    let _ = aceitador.join();
    assert_eq!(execucao.codigo, Some(1), "{}", execucao.saida);
    let json: Value = serde_json::from_str(execucao.saida.trim()).unwrap();
    assert_eq!(marca(&json, "eco"), '✗', "{json:#}");
    assert!(marcas(&json).iter().skip(1).all(|(_, m)| *m == '–'), "{json:#}");
    let detalhe = verificacao(&json, "acentos")["detalhe"].as_str().unwrap();
    assert!(detalhe.starts_with("não avaliada: o servidor não respondeu"), "{detalhe}");
    assert!(tempo < Duration::from_secs(30), "levou {tempo:?}");
}
