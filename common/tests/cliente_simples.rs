//! O `cliente-simples` contra o servidor da Parte 1: a mesma transcrição que
//! o `cliente.py` da disciplina imprime com a entrada vinda de um pipe (o
//! prompt fica sem quebra de linha, e a linha digitada não aparece).

use apoio::{binario, iniciar_servidor, PRAZO};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use wait_timeout::ChildExt;

/// Roda o `cliente-simples` contra `porta` com `entrada` no stdin; devolve
/// a saída, conferindo que ele terminou bem.
fn rodar(args: &[&str], entrada: &[u8]) -> String {
    let mut filho = Command::new(binario("cliente-simples"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("iniciar o cliente-simples");
    let mut stdin = filho.stdin.take().expect("stdin é um pipe");
    let entrada = entrada.to_vec();
    std::thread::spawn(move || stdin.write_all(&entrada));
    let mut saida = String::new();
    filho.stdout.take().expect("stdout é um pipe").read_to_string(&mut saida).expect("ler");
    let status = filho.wait_timeout(PRAZO).expect("esperar").expect("o cliente terminou");
    assert!(status.success(), "{status:?}\n{saida}");
    saida
}

#[test]
fn cliente_simples_conversa_como_o_cliente_py() {
    let servidor = iniciar_servidor("parte1", &[]);
    let saida = rodar(&[&servidor.porta.to_string()], b"oi\nSAIR \n");
    assert_eq!(
        saida,
        "Conectado ao servidor Echo\n\
         Digite \"sair\" para encerrar a conexão\n\
         \n\
         Digite uma mensagem: Resposta: Echo: oi\n\
         \n\
         Digite uma mensagem: Conexão encerrada\n"
    );
    servidor.esperar_texto("Cliente desconectou", 1);
}

#[test]
fn cliente_simples_no_fim_da_entrada_diz_conexao_encerrada_numa_linha_propria() {
    // Sem `sair`: a entrada acaba (o Ctrl-D de quem digita). O prompt ficou
    // sem quebra de linha, e o fim não pode grudar nele.
    let servidor = iniciar_servidor("parte1", &[]);
    let saida = rodar(&[&servidor.porta.to_string()], b"oi\n");
    assert!(
        saida.ends_with("Resposta: Echo: oi\n\nDigite uma mensagem: \nConexão encerrada\n"),
        "{saida:?}"
    );
}

#[test]
fn cliente_simples_recusado_explica_e_sai_com_1() {
    let porta = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // O listener já foi fechado: ninguém escuta nessa porta.
    let saida = Command::new(binario("cliente-simples"))
        .arg(porta.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("rodar");
    let erro = String::from_utf8_lossy(&saida.stderr);
    assert_eq!(saida.status.code(), Some(1), "{erro}");
    assert!(erro.starts_with("cliente-simples: conexão recusada"), "{erro}");
    assert!(erro.contains("O servidor está rodando nessa porta?"), "{erro}");
}

#[test]
fn tabela_do_cabecalho_confere_com_o_cliente_py_e_com_o_codigo() {
    apoio::conferir_tabela_python_rust(
        "common/src/bin/cliente-simples.rs",
        "common/ferramentas/disciplina/cliente.py",
    );
}

#[test]
fn cliente_simples_recebe_o_eco_da_maior_mensagem_aceita() {
    // 65.536 bytes: o eco tem 6 bytes a mais (`Echo: `), e o cliente o aceita.
    let servidor = iniciar_servidor("parte1", &["-q"]);
    let mut entrada = vec![b'x'; 65_536];
    entrada.extend_from_slice(b"\nsair\n");
    let porta = servidor.porta.to_string();
    let saida = rodar(&["--porta", &porta], &entrada);
    let esperado = format!("Resposta: Echo: {}\n", "x".repeat(65_536));
    assert!(saida.contains(&esperado), "{}", &saida[..saida.len().min(300)]);
}

#[test]
fn cliente_simples_cabe_em_40_linhas_de_codigo() {
    // O tamanho é a promessa: o `cliente.py` em Rust, sem nada além do que a
    // tabela do cabeçalho explica. Conta as linhas que não são vazias nem
    // comentário, como o `tokei`.
    let fonte = include_str!("../src/bin/cliente-simples.rs");
    let codigo =
        fonte.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).count();
    assert!(codigo <= 40, "cliente-simples.rs tem {codigo} linhas de código (o limite é 40)");
}

#[test]
fn cliente_simples_mostra_o_uso_com_help_e_com_uma_porta_errada() {
    for (args, codigo) in
        [(&["--help"][..], 0), (&["porta"][..], 2), (&["70000"][..], 2), (&["0"][..], 2)]
    {
        let saida = Command::new(binario("cliente-simples")).args(args).output().expect("rodar");
        let erro = String::from_utf8_lossy(&saida.stderr);
        assert_eq!(saida.status.code(), Some(codigo), "{args:?}: {erro}");
        assert!(erro.starts_with("uso: cliente-simples [PORTA]"), "{args:?}: {erro}");
    }
}
