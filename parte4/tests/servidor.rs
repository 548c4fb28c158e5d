//! Testes da Parte 4 contra o binário de verdade, em TCP de verdade.

use apoio::{concorrencia, executar_cliente, iniciar_servidor, provas, Conectado};

#[test]
fn clientes_progridem_juntos_com_threads() {
    let servidor = iniciar_servidor("parte4", &["--atraso", "1500"]);
    assert!(concorrencia::atendimento_se_sobrepoe(&servidor), "parte4 atendeu em série");
}

#[test]
fn log_mostra_duas_conexoes_ativas_ao_mesmo_tempo() {
    let servidor = iniciar_servidor("parte4", &[]);
    let mut a = Conectado::novo(servidor.porta);
    a.eco(b"a");
    let mut b = Conectado::novo(servidor.porta);
    b.eco(b"b");
    servidor.esperar_texto("Conectado (conexões ativas: 2)", 1);
    drop(a);
    servidor.esperar_texto("; conexões ativas: 1)", 1);
    drop(b);
    servidor.esperar_texto("conexões ativas: 0)", 1);
}

#[test]
fn saidas_simultaneas_contam_as_conexoes_ativas_sem_repetir() {
    // Vinte clientes saem juntos: cada linha de desfecho traz uma contagem
    // diferente, de 19 a 0 (contada sob a trava do registro).
    let servidor = iniciar_servidor("parte4", &[]);
    let mut clientes: Vec<Conectado> = (0..20).map(|_| Conectado::novo(servidor.porta)).collect();
    for c in &mut clientes {
        c.eco(b"oi");
    }
    drop(clientes);
    servidor.esperar_texto("Cliente desconectou", 20);
    let mut contagens: Vec<u32> = servidor
        .saida()
        .iter()
        .filter(|l| l.contains("Cliente desconectou"))
        .filter_map(|l| l.rsplit("conexões ativas: ").next()?.trim_end_matches(')').parse().ok())
        .collect();
    contagens.sort_unstable();
    assert_eq!(contagens, (0..20).collect::<Vec<u32>>(), "{:#?}", servidor.saida());
}

#[test]
fn cliente_acima_do_limite_recebe_erro_e_o_seguinte_entra_quando_alguem_sai() {
    let servidor = iniciar_servidor("parte4", &["--max-clientes", "2"]);
    let mut a = Conectado::novo(servidor.porta);
    a.eco(b"a");
    let mut b = Conectado::novo(servidor.porta);
    b.eco(b"b");
    let mut terceiro = Conectado::novo(servidor.porta);
    assert_eq!(
        terceiro.ler_ate_o_fim().unwrap(),
        vec!["Erro: servidor lotado (máximo de 2 clientes); tente mais tarde".as_bytes().to_vec()]
    );
    a.eco(b"a continua");
    drop(a);
    servidor.esperar_texto("; conexões ativas: 1)", 1);
    Conectado::novo(servidor.porta).eco(b"quarto");
    b.eco(b"b continua");
}

#[test]
fn cliente_real_mostra_o_erro_de_servidor_lotado() {
    let servidor = iniciar_servidor("parte4", &["--max-clientes", "1"]);
    let mut a = Conectado::novo(servidor.porta);
    a.eco(b"ocupando");
    let execucao = executar_cliente(servidor.porta, b"oi\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.saida.contains("Servidor: Erro: servidor lotado (máximo de 1 cliente)"),
        "{}",
        execucao.saida
    );
}

#[test]
fn cliente_calado_recebe_aviso_de_inatividade() {
    let servidor = iniciar_servidor("parte4", &["--tempo-ocioso", "1"]);
    let mut calado = Conectado::novo(servidor.porta);
    calado.eco(b"depois fico quieto");
    assert_eq!(
        calado.ler_ate_o_fim().unwrap(),
        vec!["Aviso: conexão encerrada por inatividade".as_bytes().to_vec()]
    );
    servidor.esperar_texto("Desconectado por inatividade", 1);
}

#[test]
fn silencioso_omite_as_linhas_por_mensagem() {
    let servidor = iniciar_servidor("parte4", &["-q"]);
    let mut a = Conectado::novo(servidor.porta);
    a.eco(b"segredo");
    drop(a);
    servidor.esperar_texto("1 mensagem;", 1);
    assert!(!servidor.saida().iter().any(|l| l.contains("segredo")));
}

#[cfg(unix)]
fn desligamento_gracioso(sinal: &str) {
    use std::time::{Duration, Instant};
    let mut servidor = iniciar_servidor("parte4", &[]);
    let mut clientes: Vec<Conectado> = (0..3).map(|_| Conectado::novo(servidor.porta)).collect();
    for (i, c) in clientes.iter_mut().enumerate() {
        c.eco(format!("cliente {i}").as_bytes());
    }
    servidor.esperar_texto("conexões ativas: 3)", 1);
    let inicio = Instant::now();
    servidor.sinal(sinal).expect("enviar o sinal");
    for c in &mut clientes {
        assert_eq!(c.ler_ate_o_fim().unwrap(), vec![b"Aviso: servidor encerrando".to_vec()]);
    }
    let status = servidor.esperar_saida();
    assert!(status.success(), "{status:?}");
    assert!(inicio.elapsed() < Duration::from_secs(5), "demorou {:?}", inicio.elapsed());
    let resumo = servidor.esperar_texto("Servidor encerrado:", 1);
    assert!(resumo.contains("3 conexões atendidas, 3 mensagens ecoadas"), "{resumo}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_avisa_os_clientes_e_sai_com_resumo() {
    desligamento_gracioso("INT");
}

#[cfg(unix)]
#[test]
fn sigterm_avisa_os_clientes_e_sai_com_resumo() {
    desligamento_gracioso("TERM");
}

#[cfg(unix)]
#[test]
fn ctrl_c_diz_quantos_bytes_de_uma_linha_sem_fim_se_perderam() {
    // O `cliente.py` da disciplina envia sem `\n`: no Ctrl-C, o log diz que
    // aqueles bytes ficaram sem resposta, em vez de sumirem calados.
    let mut servidor = iniciar_servidor("parte4", &[]);
    let mut c = Conectado::novo(servidor.porta);
    c.enviar(b"oi").expect("enviar");
    servidor.esperar_texto("Dica: chegaram 2 bytes", 1);
    servidor.sinal("INT").expect("enviar o sinal");
    assert_eq!(c.ler_ate_o_fim().unwrap(), vec![b"Aviso: servidor encerrando".to_vec()]);
    let linha = servidor.esperar_texto("Desconectado: servidor encerrando", 1);
    assert!(linha.contains("; 2 bytes recebidos ficaram sem resposta (atendido por"), "{linha}");
    assert!(servidor.esperar_saida().success());
}

#[cfg(unix)]
#[test]
fn ctrl_c_alcanca_tambem_o_cliente_que_nao_para_de_enviar() {
    // Um cliente ocupado nunca deixa a leitura esgotar o tempo: o aviso tem
    // de chegar a ele mesmo assim (a thread confere a cada mensagem).
    let mut servidor = iniciar_servidor("parte4", &["-q"]);
    let porta = servidor.porta;
    let ocupado = std::thread::spawn(move || {
        let mut c = Conectado::novo(porta);
        for i in 0..10_000_000u64 {
            if c.enviar(format!("mensagem {i}\n").as_bytes()).is_err() {
                return None;
            }
            match c.ler_linha() {
                Ok(Some(linha)) if linha.starts_with(b"Echo: ") => continue,
                Ok(Some(linha)) => return Some(linha),
                _ => return None,
            }
        }
        None
    });
    servidor.esperar_texto("Conectado (conexões ativas: 1)", 1);
    servidor.sinal("INT").expect("enviar o sinal");
    assert_eq!(ocupado.join().unwrap(), Some(b"Aviso: servidor encerrando".to_vec()));
    assert!(servidor.esperar_saida().success());
}

#[test]
fn quinhentos_clientes_simultaneos_vinte_ecos_cada() {
    let mut servidor =
        iniciar_servidor("parte4", &["-q", "--max-clientes", "1000", "--backlog", "1024"]);
    concorrencia::muitos_clientes(servidor.porta, 500, 20);
    provas::continua_atendendo(&mut servidor);
}

#[test]
fn clientes_hostis_nao_afetam_os_outros() {
    let servidor = iniciar_servidor("parte4", &[]);
    concorrencia::hostis_nao_afetam_os_outros(&servidor);
}

#[test]
fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
    provas::mensagem_grande_recebe_erro("parte4", &[]);
}

#[test]
fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
    provas::linha_de_100_mb_nao_ocupa_memoria("parte4", &[]);
}

#[cfg(target_os = "linux")]
#[test]
fn terminal_travado_nao_faz_a_memoria_crescer() {
    provas::terminal_travado_nao_faz_a_memoria_crescer("parte4");
}

#[test]
fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
    provas::reset_no_meio_da_linha("parte4", &[]);
}

#[test]
fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
    provas::bytes_hostis_e_pipeline("parte4", &[]);
}

#[cfg(unix)]
#[test]
fn desligamento_que_fecha_a_forca_conta_tudo_e_registra_cada_conexao() {
    // Com --atraso 6000, as threads dormem 6 s antes de cada eco: mais que
    // os 3 s + 1 s que o desligamento espera. Cada cliente recebe um eco e
    // manda uma segunda mensagem, e o Ctrl-C chega com as duas threads
    // dormindo.
    let mut servidor = iniciar_servidor("parte4", &["--atraso", "6000"]);
    let mut clientes: Vec<Conectado> = (0..2).map(|_| Conectado::novo(servidor.porta)).collect();
    for (i, c) in clientes.iter_mut().enumerate() {
        c.enviar(format!("primeira {i}\n").as_bytes()).unwrap();
    }
    for (i, c) in clientes.iter_mut().enumerate() {
        assert_eq!(c.ler_linha().unwrap().unwrap(), format!("Echo: primeira {i}").into_bytes());
        c.enviar(format!("segunda {i}\n").as_bytes()).unwrap();
    }
    servidor.esperar_texto("Recebido: segunda 0", 1);
    servidor.esperar_texto("Recebido: segunda 1", 1);
    servidor.sinal("INT").expect("enviar o sinal");
    let status = servidor.esperar_saida();
    assert!(status.success(), "{status:?}");
    let forcadas = servidor.saida().iter().filter(|l| l.contains("Fechada à força")).count();
    assert_eq!(forcadas, 2, "{:#?}", servidor.saida());
    let resumo = servidor.esperar_texto("Servidor encerrado:", 1);
    assert!(resumo.contains("2 conexões atendidas, 2 mensagens ecoadas"), "{resumo}");
}

#[test]
fn resposta_nao_espera_a_mensagem_seguinte() {
    provas::resposta_nao_espera_a_mensagem_seguinte("parte4", &["--atraso", "1000"]);
}

#[test]
fn linha_sem_fim_recebe_uma_dica_no_log() {
    provas::linha_sem_fim_recebe_uma_dica_no_log("parte4");
}

#[cfg(target_os = "linux")]
#[test]
fn inundacao_nao_segura_os_outros_silencioso() {
    provas::inundacao_nao_segura_os_outros("parte4", &["-q"]);
}

#[cfg(target_os = "linux")]
#[test]
fn inundacao_nao_segura_os_outros_com_log() {
    provas::inundacao_nao_segura_os_outros("parte4", &[]);
}
