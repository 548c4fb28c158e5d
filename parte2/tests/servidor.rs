//! Testes da Parte 2 contra o binário de verdade, em TCP de verdade.

use apoio::{executar_cliente, iniciar_servidor, provas, Conectado};
use std::sync::mpsc;
use std::thread;

#[test]
fn segundo_cliente_espera_no_servidor_iterativo() {
    let servidor = iniciar_servidor("parte2", &[]);
    let mut primeiro = Conectado::novo(servidor.porta);
    primeiro.eco(b"primeiro 1");
    servidor.esperar_texto("Recebido: primeiro 1", 1);

    // O segundo conecta (o kernel completa o handshake e o deixa na fila
    // do listen) e envia já a sua mensagem.
    let (eventos, recebe) = mpsc::channel();
    let porta = servidor.porta;
    let segundo = thread::spawn(move || {
        let mut segundo = Conectado::novo(porta);
        eventos.send("segundo conectou").unwrap();
        segundo.eco(b"segundo 1");
        eventos.send("segundo recebeu a resposta").unwrap();
        segundo.eco(b"segundo 2");
    });
    assert_eq!(recebe.recv().unwrap(), "segundo conectou");

    // Enquanto o segundo espera, o primeiro continua sendo atendido.
    for i in 2..=4 {
        primeiro.eco(format!("primeiro {i}").as_bytes());
    }
    assert!(recebe.try_recv().is_err(), "o segundo foi atendido com o primeiro ainda conectado");
    drop(primeiro);

    assert_eq!(recebe.recv().unwrap(), "segundo recebeu a resposta");
    segundo.join().expect("o segundo cliente terminou bem");

    // O log prova a ordem: o segundo só é aceito depois que o primeiro sai,
    // e nenhuma mensagem se perdeu (4 + 2).
    servidor.esperar_texto("(atendido por", 2);
    let log = servidor.saida();
    let posicao = |trecho: &str| log.iter().position(|l| l.contains(trecho)).unwrap();
    assert!(posicao("primeiro 4") < posicao("4 mensagens)"));
    assert!(
        posicao("4 mensagens)") < log.iter().rposition(|l| l.ends_with("] Conectado")).unwrap()
    );
    assert!(posicao("Recebido: segundo 1") < posicao("2 mensagens)"));
}

#[test]
fn horario_em_cada_evento_e_resumo_na_desconexao() {
    let servidor = iniciar_servidor("parte2", &["--atraso", "10"]);
    let execucao = executar_cliente(servidor.porta, b"oi\nsair\n", &["--tempo"]);
    assert_eq!(execucao.codigo, Some(0));
    assert!(execucao.saida.contains("] Resposta: Echo: oi"), "{}", execucao.saida);
    let linha = servidor.esperar_texto("Cliente desconectou", 1);
    assert!(
        linha.starts_with('[')
            && linha.contains("(atendido por ")
            && linha.ends_with(", 1 mensagem)"),
        "{linha}"
    );
    for linha in servidor.saida().iter().skip(2).filter(|l| !l.is_empty()) {
        assert_eq!(&linha[13..15], "] ", "linha sem horário: {linha:?}");
    }
}

#[test]
fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
    provas::mensagem_grande_recebe_erro("parte2", &[]);
}

#[test]
fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
    provas::linha_de_100_mb_nao_ocupa_memoria("parte2", &[]);
}

#[test]
fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
    provas::reset_no_meio_da_linha("parte2", &[]);
}

#[test]
fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
    provas::bytes_hostis_e_pipeline("parte2", &[]);
}

#[test]
fn resposta_nao_espera_a_mensagem_seguinte() {
    provas::resposta_nao_espera_a_mensagem_seguinte("parte2", &["--atraso", "1000"]);
}
