//! O `cenario` de verdade: roda servidor e clientes e mede o que aconteceu.

use ferramentas::teste::binario;
use std::process::Command;

/// Roda o cenário e devolve (código de saída, saída padrão, saída de erros).
fn cenario(args: &[&str]) -> (Option<i32>, String, String) {
    // Garante os binários (sem cargo dentro do cenário, para ir mais rápido).
    for nome in ["parte2", "parte4", "cliente"] {
        binario(nome);
    }
    let saida = Command::new(env!("CARGO_BIN_EXE_cenario"))
        .args(args)
        .env_remove("CARGO")
        .output()
        .expect("executar o cenario");
    (
        saida.status.code(),
        String::from_utf8_lossy(&saida.stdout).into(),
        String::from_utf8_lossy(&saida.stderr).into(),
    )
}

/// "esperou 2,79 s pela primeira resposta" -> 2.79 (ms vira fração de segundo).
fn espera_do_cliente(saida: &str, n: usize) -> f64 {
    let linha = saida
        .lines()
        .find(|l| l.starts_with(&format!("- Cliente {n}:")))
        .expect("linha do cliente");
    let trecho = linha.split("esperou ").nth(1).expect("espera medida");
    if trecho.starts_with("menos de 1 ms") {
        return 0.0;
    }
    let mut partes = trecho.split_whitespace();
    let numero: f64 = partes.next().unwrap().replace(',', ".").parse().unwrap();
    match partes.next().unwrap() {
        "ms" => numero / 1000.0,
        "s" => numero,
        outro => panic!("unidade {outro}"),
    }
}

/// Os PIDs que o cenário diz ter iniciado e encerrado.
fn pids(saida: &str) -> Vec<u32> {
    let linha =
        saida.lines().find(|l| l.starts_with("Processos iniciados")).expect("linha dos PIDs");
    linha
        .split(": ")
        .nth(1)
        .unwrap()
        .split(", ")
        .map(|p| p.rsplit(' ').next().unwrap().parse().unwrap())
        .collect()
}

fn nenhum_sobrevive(pids: &[u32]) {
    assert!(!pids.is_empty());
    if cfg!(target_os = "linux") {
        for pid in pids {
            assert!(
                !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                "o processo {pid} sobreviveu ao cenário"
            );
        }
    }
}

#[test]
fn parte2_e_serial_e_o_segundo_espera_o_primeiro_sair() {
    let (codigo, saida, erros) = cenario(&["--parte", "2"]);
    assert_eq!(codigo, Some(0), "{erros}");
    assert!(saida.contains("Atendimento: serial"), "{saida}");
    assert!(saida.contains("no máximo 1."), "{saida}");
    // O cliente 1 fica ~3 s; o 2 chega 0,2 s depois: espera ~2,8 s.
    let espera = espera_do_cliente(&saida, 2);
    assert!((2.0..6.0).contains(&espera), "espera do cliente 2: {espera} s\n{saida}");
    assert!(saida.contains("[servidor]") && saida.contains("[cliente 2]"));
    assert!(saida.contains("Linha do tempo"));
    nenhum_sobrevive(&pids(&saida));
}

#[test]
fn parte4_sobrepoe_e_o_segundo_quase_nao_espera() {
    let (codigo, saida, erros) = cenario(&["--parte", "4", "--mermaid"]);
    assert_eq!(codigo, Some(0), "{erros}");
    assert!(saida.contains("Atendimento: sobreposto"), "{saida}");
    assert!(saida.contains("no máximo 2."), "{saida}");
    let espera = espera_do_cliente(&saida, 2);
    assert!(espera < 1.0, "espera do cliente 2: {espera} s\n{saida}");
    assert!(saida.contains("```mermaid\ngantt\n"), "{saida}");
    nenhum_sobrevive(&pids(&saida));
}

#[test]
fn servidor_inexistente_da_erro_claro() {
    let (codigo, _, erros) = cenario(&["--parte", "2", "--servidor", "nao-existe"]);
    assert_eq!(codigo, Some(1));
    assert!(erros.contains("não achei o programa \"nao-existe\""), "{erros}");
}

#[test]
fn servidor_que_morre_antes_do_banner_da_erro_claro() {
    // O cliente, chamado como se fosse servidor, falha ao conectar e sai.
    let (codigo, _, erros) = cenario(&["--parte", "2", "--servidor", "cliente"]);
    assert_eq!(codigo, Some(1));
    assert!(erros.contains("o servidor cliente não começou"), "{erros}");
}

/// Uma linha da transcrição: quem (`None` = servidor, `Some(k)` = cliente k)
/// e o texto como o processo o escreveu.
type LinhaDaTranscricao = (Option<usize>, String);

fn transcricao(saida: &str) -> Vec<LinhaDaTranscricao> {
    let inicio = saida.find("== Transcrição").expect("seção da transcrição");
    saida[inicio..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            if let Some(texto) = l.strip_prefix("[servidor]  ") {
                (None, texto.to_string())
            } else {
                let resto = l.strip_prefix("[cliente ").expect("rótulo");
                let (k, texto) = resto.split_once("] ").expect("rótulo fechado");
                (Some(k.parse().expect("número do cliente")), texto.to_string())
            }
        })
        .collect()
}

/// `[hh:mm:ss.mmm] ` do começo da linha, em milissegundos.
fn horario(linha: &str) -> Option<u32> {
    let b = linha.as_bytes();
    if b.len() < 15 || b[0] != b'[' || b[13] != b']' {
        return None;
    }
    let n = |de: usize, ate: usize| linha[de..ate].parse::<u32>().ok();
    Some(((n(1, 3)? * 60 + n(4, 6)?) * 60 + n(7, 9)?) * 1000 + n(10, 13)?)
}

fn sem_horario(linha: &str) -> &str {
    if horario(linha).is_some() {
        &linha[15..]
    } else {
        linha
    }
}

/// As três regras da ordem causal, conferidas na transcrição impressa.
fn confere_ordem_causal(saida: &str) {
    let linhas = transcricao(saida);
    let posicao = |pred: &dyn Fn(&LinhaDaTranscricao) -> bool| linhas.iter().position(pred);
    let mut numero_no_servidor = std::collections::HashMap::new();
    for (i, (quem, texto)) in linhas.iter().enumerate() {
        let Some(k) = quem else { continue };
        let texto = sem_horario(texto);
        // 1. Nenhuma resposta antes de o servidor registrar a mensagem.
        if let Some(mensagem) = texto.strip_prefix("Resposta: Echo: ") {
            let recebido =
                posicao(&|(q, t)| q.is_none() && t.ends_with(&format!("Recebido: {mensagem}")))
                    .unwrap_or_else(|| panic!("o servidor não registrou {mensagem:?}\n{saida}"));
            assert!(recebido < i, "resposta antes do Recebido de {mensagem:?}\n{saida}");
            // O número que o servidor deu a este cliente (Partes 2 e 4).
            let linha = &linhas[recebido].1;
            if let Some(resto) = sem_horario(linha).strip_prefix("[cliente ") {
                numero_no_servidor.insert(*k, resto.split(' ').next().unwrap().to_string());
            }
        }
    }
    // 2. O `Cliente desconectou` de um cliente vem depois do `sair` dele.
    for (k, n) in &numero_no_servidor {
        let sair = posicao(&|(q, t)| {
            *q == Some(*k) && sem_horario(t).ends_with("Digite uma mensagem: sair")
        })
        .expect("o cliente digitou sair");
        let saiu = posicao(&|(q, t)| {
            q.is_none()
                && sem_horario(t).starts_with(&format!("[cliente {n} "))
                && t.contains("Cliente desconectou")
        })
        .unwrap_or_else(|| panic!("sem desconexão do cliente {k}\n{saida}"));
        assert!(sair < saiu, "Cliente desconectou antes do sair do cliente {k}\n{saida}");
    }
    if numero_no_servidor.is_empty() {
        // Parte 1: um cliente só, sem número no log.
        let sair = posicao(&|(q, t)| q.is_some() && t.ends_with("Digite uma mensagem: sair"));
        let saiu = posicao(&|(q, t)| q.is_none() && t == "Cliente desconectou");
        assert!(
            sair.zip(saiu).is_some_and(|(a, b)| a < b),
            "sair/desconectou fora de ordem\n{saida}"
        );
        let conectando =
            posicao(&|(q, t)| q.is_some() && sem_horario(t).starts_with("Conectando a"));
        let conectado = posicao(&|(q, t)| q.is_none() && t.starts_with("Conectado com"));
        assert!(conectando < conectado, "Conectado com antes de Conectando a\n{saida}");
    }
    // 3. A hora de cada processo nunca volta.
    let mut ultima: std::collections::HashMap<Option<usize>, u32> = Default::default();
    for (quem, texto) in &linhas {
        if let Some(t) = horario(texto) {
            let anterior = ultima.insert(*quem, t).unwrap_or(0);
            assert!(t >= anterior, "a hora de {quem:?} voltou em {texto:?}\n{saida}");
        }
    }
}

#[test]
fn transcricoes_sempre_em_ordem_causal() {
    for nome in ["parte1", "parte2", "parte4", "cliente"] {
        binario(nome);
    }
    // Cada parte três vezes, as três partes ao mesmo tempo: a máquina fica
    // ocupada, e é aí que a ordem de chegada pelas pipes se embaralha.
    let partes: Vec<_> = ["1", "2", "4"]
        .into_iter()
        .map(|parte| {
            std::thread::spawn(move || {
                for _ in 0..3 {
                    let (codigo, saida, erros) = cenario(&["--parte", parte]);
                    assert_eq!(codigo, Some(0), "{erros}");
                    confere_ordem_causal(&saida);
                }
            })
        })
        .collect();
    for parte in partes {
        parte.join().expect("uma transcrição fora de ordem");
    }
}
