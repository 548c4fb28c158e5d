//! O cliente de verdade, com a entrada por pipe, em cada desfecho.

use ferramentas::teste::{executar_cliente, iniciar_servidor};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;

#[test]
fn conexao_recusada_explica_e_sai_com_1() {
    let porta = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // O listener já foi fechado: ninguém escuta nessa porta.
    let execucao = executar_cliente(porta, b"oi\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao
            .erros
            .contains(&format!("Não foi possível conectar a localhost:{porta}: conexão recusada")),
        "{}",
        execucao.erros
    );
    assert!(execucao.erros.contains("O servidor está rodando?"));
    assert!(execucao.saida.is_empty());
}

#[test]
fn host_desconhecido_explica_e_sai_com_1() {
    let execucao = executar_cliente(5000, b"", &["--host", "nao-existe.invalid"]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(execucao.erros.contains("não foi encontrado (DNS)"), "{}", execucao.erros);
}

/// Um servidor mínimo, feito no próprio teste, que se comporta mal de
/// propósito: lê uma linha e faz `fim` com a conexão.
fn servidor_que(fim: fn(&mut std::net::TcpStream)) -> u16 {
    let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = escuta.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut socket, _) = escuta.accept().unwrap();
        let mut linha = String::new();
        BufReader::new(socket.try_clone().unwrap()).read_line(&mut linha).unwrap();
        fim(&mut socket);
    });
    porta
}

#[test]
fn servidor_fechando_no_meio_da_sessao_sai_com_1() {
    let porta = servidor_que(|_socket| {});
    let execucao = executar_cliente(porta, b"oi\nmais uma\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.saida.ends_with("Digite uma mensagem: oi\nO servidor encerrou a conexão\n"),
        "{}",
        execucao.saida
    );
}

#[test]
fn linha_de_erro_do_servidor_e_mostrada_e_sai_com_1() {
    let porta = servidor_que(|socket| {
        socket
            .write_all(
                "Erro: servidor lotado (máximo de 2 clientes); tente mais tarde\n".as_bytes(),
            )
            .unwrap();
    });
    let execucao = executar_cliente(porta, b"oi\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(execucao.saida.contains("Servidor: Erro: servidor lotado (máximo de 2 clientes); tente mais tarde\nConexão encerrada pelo servidor\n"), "{}", execucao.saida);
}

#[test]
fn sair_em_qualquer_caixa_e_fim_da_entrada_saem_com_0() {
    let servidor = iniciar_servidor("parte1", &[]);
    for entrada in [&b"oi\nsair\n"[..], b"oi\n  SAIR \r\n", b"oi\n", b""] {
        let execucao = executar_cliente(servidor.porta, entrada, &[]);
        assert_eq!(execucao.codigo, Some(0), "entrada {entrada:?}: {}", execucao.saida);
        assert!(execucao.saida.ends_with("Conexão encerrada\n"), "{}", execucao.saida);
    }
}

#[test]
fn linha_vazia_nao_envia_nada_e_pergunta_de_novo() {
    let servidor = iniciar_servidor("parte1", &[]);
    let execucao = executar_cliente(servidor.porta, b"\n   \nsair\n", &[]);
    assert_eq!(execucao.codigo, Some(0));
    assert_eq!(execucao.saida.matches("Digite uma mensagem:").count(), 3);
    assert!(!execucao.saida.contains("Resposta"));
    servidor.esperar_texto("Cliente desconectou", 1);
    assert!(!servidor.saida().iter().any(|l| l.starts_with("Recebido")));
}
