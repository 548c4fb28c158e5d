//! O gerador de carga e a bancada, contra servidores de verdade.

use common::teste::{binario, Processo};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;

fn carga(porta: u16, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let saida = Command::new(env!("CARGO_BIN_EXE_carga"))
        .args(["--porta", &porta.to_string(), "--json", "--aquecimento", "0.1", "--duracao", "0.5"])
        .args(extra)
        .output()
        .expect("executar o carga");
    let linha = String::from_utf8_lossy(&saida.stdout);
    (
        saida.status.code(),
        serde_json::from_str(linha.trim()).unwrap_or_else(|e| panic!("{e}: {linha:?}")),
    )
}

#[test]
fn carga_sem_erros_contra_a_parte4_em_vai_e_volta_e_em_pipeline() {
    let servidor = Processo::servidor("parte4", &["-q"]);
    for pipeline in ["1", "8"] {
        let (codigo, r) = carga(servidor.porta, &["--clientes", "5", "--pipeline", pipeline]);
        assert_eq!(codigo, Some(0), "{r}");
        assert!(r["mensagens"].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["atendidos"], 5, "{r}");
        for campo in ["falhas_de_conexao", "respostas_erradas", "respostas_faltando", "resets"] {
            assert_eq!(r[campo], 0, "{campo}: {r}");
        }
        assert!(r["p50_us"].as_u64().unwrap() <= r["p99_us"].as_u64().unwrap());
    }
}

#[test]
fn carga_percebe_resposta_errada() {
    // Um "servidor" que responde sempre a mesma coisa.
    let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = escuta.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut socket, _) = escuta.accept().unwrap();
        let mut leitor = BufReader::new(socket.try_clone().unwrap());
        let mut linha = String::new();
        while leitor.read_line(&mut linha).unwrap_or(0) > 0 {
            if socket.write_all(b"Echo: outra coisa\n").is_err() {
                return;
            }
            linha.clear();
        }
    });
    let (codigo, r) = carga(porta, &["--clientes", "1"]);
    assert_eq!(codigo, Some(1));
    assert!(r["respostas_erradas"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["exemplo_de_erro"], "Echo: outra coisa");
}

#[test]
fn bancada_em_miniatura_escreve_tabela_e_grafico() {
    for nome in ["parte2", "parte3", "parte3-poll", "parte3-async", "parte4", "carga"] {
        binario(nome);
    }
    let pasta = std::env::temp_dir().join(format!("bancada-teste-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_bancada"))
        .args(["--fumaca", "--clientes", "1,2", "--saida"])
        .arg(&pasta)
        .env_remove("CARGO")
        .output()
        .expect("executar a bancada");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let tabela = std::fs::read_to_string(pasta.join("bancada.md")).unwrap();
    for linha in
        ["| parte2 | 2 | 1 |", "| parte3 | 2 | 2 |", "| parte4 | 2 | 2 |", "| parte4 -q | 2 | 2 |"]
    {
        assert!(tabela.contains(linha), "falta {linha:?} em\n{tabela}");
    }
    let svg = std::fs::read_to_string(pasta.join("bancada.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("parte4 -q"));
    let _ = std::fs::remove_dir_all(&pasta);
}
