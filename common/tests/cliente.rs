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

/// O cliente num terminal de verdade (pseudoterminal), contra a Parte 3
/// com `--atraso 2000`: o que alguém digitando veria.
#[cfg(unix)]
mod no_terminal {
    use ferramentas::processo::{Processo, Saida};
    use ferramentas::teste::terminal::Terminal;
    use ferramentas::teste::{binario, iniciar_servidor, PRAZO};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    /// O cliente com a entrada num terminal; devolve o processo e o terminal.
    fn cliente_no_terminal(porta: u16) -> (Processo, Terminal) {
        let terminal = Terminal::abrir().expect("abrir um pseudoterminal");
        let entrada = Stdio::from(terminal.escravo.try_clone().expect("duplicar o terminal"));
        let args: Vec<String> =
            ["--porta", &porta.to_string(), "--tempo"].iter().map(|a| a.to_string()).collect();
        let cliente =
            Processo::iniciar_com_entrada(&binario("cliente"), &args, entrada, Saida::Guardar)
                .expect("iniciar o cliente");
        cliente.esperar_texto("Digite \"sair\" para encerrar a conexão", 1);
        (cliente, terminal)
    }

    /// O `[hh:mm:ss.mmm]` logo antes de `trecho` na linha, em segundos.
    fn hora_de(linha: &str, trecho: &str) -> f64 {
        let fim = linha.find(trecho).expect("trecho na linha");
        let carimbo = &linha[..fim].trim_end();
        let carimbo = &carimbo[carimbo.len() - 14..];
        let numero = |de: usize, ate: usize| carimbo[de..ate].parse::<f64>().unwrap();
        numero(1, 3) * 3600.0 + numero(4, 6) * 60.0 + numero(7, 13)
    }

    #[test]
    fn com_tempo_a_espera_medida_e_a_do_servidor_nao_a_da_digitacao() {
        let servidor = iniciar_servidor("parte3", &["--atraso", "2000"]);
        let (cliente, mut terminal) = cliente_no_terminal(servidor.porta);
        // Alguém lê o prompt e demora 3 s para digitar.
        std::thread::sleep(Duration::from_secs(3));
        terminal.digitar("demorei para digitar\n").unwrap();
        let enviada = cliente.esperar_texto("Enviada: demorei para digitar", 1);
        let resposta = cliente.esperar_texto("Resposta: Echo: demorei para digitar", 1);
        let espera = hora_de(&resposta, "Resposta:") - hora_de(&enviada, "Enviada:");
        // O servidor segura a resposta 2 s; contando do prompt seriam 5 s.
        assert!((1.9..4.5).contains(&espera), "espera medida: {espera} s\n{enviada}\n{resposta}");
        terminal.digitar("sair\n").unwrap();
        cliente.esperar_texto("Conexão encerrada", 1);
    }

    #[test]
    fn sair_com_resposta_pendente_encerra_na_hora() {
        let servidor = iniciar_servidor("parte3", &["--atraso", "2000"]);
        for tecla in ["sair\n", "\x04"] {
            let (mut cliente, mut terminal) = cliente_no_terminal(servidor.porta);
            terminal.digitar("fico esperando\n").unwrap();
            cliente.esperar_texto("Enviada: fico esperando", 1);
            let inicio = Instant::now();
            terminal.digitar(tecla).unwrap();
            let status = cliente.esperar_fim(Duration::from_secs(1)).expect("esperar o cliente");
            assert!(
                status.is_some_and(|s| s.success()),
                "{tecla:?}: o cliente não saiu em 1 s ({:?}): {:?}",
                inicio.elapsed(),
                cliente.textos()
            );
            let textos = cliente.textos();
            assert!(!textos.iter().any(|l| l.contains("Resposta")), "{textos:?}");
            let ultima = textos.last().unwrap();
            assert!(ultima.ends_with("] Conexão encerrada"), "saída truncada ou suja: {textos:?}");
            assert!(inicio.elapsed() < PRAZO);
        }
    }
}
