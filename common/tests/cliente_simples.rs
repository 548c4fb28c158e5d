//! O `cliente-simples` contra o servidor da Parte 1: a mesma transcrição que
//! o `cliente.py` da disciplina imprime com a entrada vinda de um pipe (o
//! prompt fica sem quebra de linha, e a linha digitada não aparece).

use ferramentas::teste::{binario, iniciar_servidor, PRAZO};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use wait_timeout::ChildExt;

#[test]
fn cliente_simples_conversa_como_o_cliente_py() {
    let servidor = iniciar_servidor("parte1", &[]);
    let mut filho = Command::new(binario("cliente-simples"))
        .arg(servidor.porta.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("iniciar o cliente-simples");
    filho.stdin.take().expect("stdin é um pipe").write_all(b"oi\nSAIR \n").expect("escrever");
    let status = filho.wait_timeout(PRAZO).expect("esperar").expect("o cliente terminou");
    let mut saida = String::new();
    filho.stdout.take().expect("stdout é um pipe").read_to_string(&mut saida).expect("ler");
    assert!(status.success(), "{status:?}\n{saida}");
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
