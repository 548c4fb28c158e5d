//! Testes da Parte 1 contra o binário de verdade, em TCP de verdade.

use apoio::{executar_cliente, iniciar_servidor, provas};

#[test]
fn sessao_com_o_cliente_real_reproduz_a_transcricao_da_disciplina() {
    let servidor = iniciar_servidor("parte1", &[]);
    let execucao = executar_cliente(servidor.porta, b"oi\nsair\n", &[]);
    assert_eq!(execucao.codigo, Some(0), "{}", execucao.erros);
    assert_eq!(
        execucao.saida,
        "Conectado ao servidor Echo\n\
         Digite \"sair\" para encerrar a conexão\n\
         \n\
         Digite uma mensagem: oi\n\
         Resposta: Echo: oi\n\
         \n\
         Digite uma mensagem: sair\n\
         Conexão encerrada\n"
    );

    servidor.esperar_texto("Aguardando conexão...", 2);
    let log: Vec<String> = servidor
        .saida()
        .into_iter()
        .map(|l| match l.strip_prefix("Conectado com 127.0.0.1:") {
            Some(porta) if porta.parse::<u16>().is_ok() => "Conectado com 127.0.0.1:PORTA".into(),
            _ => l,
        })
        .collect();
    let porta = servidor.porta;
    assert_eq!(
        log,
        [
            &format!("Servidor Echo escutando em localhost:{porta}"),
            "",
            "Aguardando conexão...",
            "Conectado com 127.0.0.1:PORTA",
            "Recebido: oi",
            "Cliente desconectou",
            "",
            "Aguardando conexão...",
        ]
    );
}

#[test]
fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
    provas::mensagem_grande_recebe_erro("parte1", &[]);
}

#[test]
fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
    provas::linha_de_100_mb_nao_ocupa_memoria("parte1", &[]);
}

#[test]
fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
    provas::reset_no_meio_da_linha("parte1", &[]);
}

#[test]
fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
    provas::bytes_hostis_e_pipeline("parte1", &[]);
}
