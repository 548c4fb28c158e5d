//! O gerador de carga e a bancada, contra servidores de verdade.

use apoio::servidores::SERVIDORES;
use apoio::{binario, iniciar_servidor};
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
    let servidor = iniciar_servidor("parte4", &["-q"]);
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

/// Com TCP_CORK, a resposta e o FIN de `shutdown()` saem no mesmo segmento:
/// o carga recebe os dois num único aviso do epoll, que não se repete.
#[cfg(target_os = "linux")]
fn segurar_ate_o_fim(socket: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let ligado: libc::c_int = 1;
    // SAFETY: setsockopt só lê o inteiro passado, do tamanho informado.
    let r = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            (&ligado as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "setsockopt(TCP_CORK)");
}

/// Um "servidor" responde a primeira mensagem e fecha a escrita no mesmo
/// segmento (a resposta e o FIN juntos), com a segunda mensagem do pipeline
/// já recebida e sem resposta; depois só lê e descarta, sem RST. Depois de
/// uma leitura curta, o carga precisa ainda ler o fim do fluxo (o aviso de
/// fim não se repete) e contar a segunda mensagem como faltando; sem essa
/// guarda ele relatava uma execução sem nenhum erro.
#[cfg(target_os = "linux")]
#[test]
fn carga_percebe_o_fim_que_chega_junto_com_a_ultima_resposta() {
    let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = escuta.local_addr().unwrap().port();
    let servidor = thread::spawn(move || {
        let (mut socket, _) = escuta.accept().unwrap();
        socket.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        let mut leitor = BufReader::new(socket.try_clone().unwrap());
        let mut primeira = Vec::new();
        leitor.read_until(b'\n', &mut primeira).unwrap();
        segurar_ate_o_fim(&socket);
        socket.write_all(b"Echo: ").unwrap();
        socket.write_all(&primeira).unwrap();
        socket.shutdown(std::net::Shutdown::Write).unwrap();
        // Lê até o carga se despedir: fechar com dados não lidos mandaria RST.
        let _ = std::io::copy(&mut leitor, &mut std::io::sink());
    });
    let (codigo, r) = carga(porta, &["--host", "127.0.0.1", "--clientes", "1", "--pipeline", "2"]);
    servidor.join().unwrap();
    assert_eq!(r["respostas_faltando"], 1, "{r}");
    assert_eq!(r["resets"], 0, "{r}");
    assert_eq!(codigo, Some(1), "{r}");
}

/// Um "servidor" que fala primeiro, como a Parte 4 lotada: a cada conexão
/// aceita, manda uma linha de erro e fecha a escrita, e depois só lê e
/// descarta (a mensagem do carga some sem RST). A fila do `listen()` tem
/// uma vaga: as primeiras conexões se completam na hora e recebem o erro
/// enquanto as outras ainda esperam a retransmissão do SYN (1 s), ou seja,
/// enquanto o carga ainda está conectando. Esse aviso de leitura não se
/// repete; sem ler o socket na largada, o carga nunca via o erro nem o fim
/// dessas conexões, e as contava como sem erro.
#[test]
fn carga_le_o_que_o_servidor_diz_enquanto_as_outras_conexoes_conectam() {
    use socket2::{Domain, Socket, Type};
    const CONEXOES: usize = 6;
    let escuta = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    escuta.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
    escuta.listen(1).unwrap();
    let escuta = TcpListener::from(escuta);
    let porta = escuta.local_addr().unwrap().port();
    let servidor = thread::spawn(move || {
        let mut descartes = Vec::new();
        for _ in 0..CONEXOES {
            let (mut socket, _) = escuta.accept().unwrap();
            socket.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
            socket.write_all(b"Erro: servidor lotado\n").unwrap();
            socket.shutdown(std::net::Shutdown::Write).unwrap();
            descartes.push(thread::spawn(move || {
                let _ = std::io::copy(&mut socket, &mut std::io::sink());
            }));
        }
        for d in descartes {
            d.join().unwrap();
        }
    });
    let (codigo, r) = carga(porta, &["--host", "127.0.0.1", "--clientes", &CONEXOES.to_string()]);
    servidor.join().unwrap();
    assert_eq!(r["respostas_erradas"], CONEXOES, "{r}");
    assert_eq!(codigo, Some(1), "{r}");
}

/// Cada conexão ociosa faz um eco ao chegar: é atendida de verdade, e não só
/// aceita pelo kernel na fila do `listen()`. Com a Parte 4 limitada a 3
/// clientes, as 3 primeiras ociosas são atendidas e as outras recebem o
/// "servidor lotado", contado como resposta errada.
#[test]
fn carga_confere_com_um_eco_que_cada_conexao_ociosa_foi_atendida() {
    let servidor = iniciar_servidor("parte4", &["-q", "--max-clientes", "3"]);
    let (codigo, r) = carga(servidor.porta, &["--clientes", "1", "--ociosos", "5"]);
    assert_eq!(codigo, Some(1), "{r}");
    assert_eq!(r["ociosos_atendidos"], 3, "{r}");
    // As duas ociosas a mais e a conexão ativa.
    assert_eq!(r["respostas_erradas"], 3, "{r}");
    assert!(r["exemplo_de_erro"].as_str().unwrap().contains("servidor lotado"), "{r}");
    let servidor = iniciar_servidor("parte3-poll", &["-q"]);
    let (codigo, r) = carga(servidor.porta, &["--clientes", "2", "--ociosos", "50"]);
    assert_eq!(codigo, Some(0), "{r}");
    assert_eq!(r["ociosos_atendidos"], 50, "{r}");
    assert_eq!(r["atendidos"], 2, "{r}");
}

#[test]
fn bancada_em_miniatura_escreve_tabela_e_grafico() {
    for servidor in SERVIDORES.iter().filter(|s| s.parte() != Some(1)) {
        binario(servidor.binario);
    }
    binario("carga");
    let pasta = std::env::temp_dir().join(format!("bancada-teste-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_bancada"))
        .args(["--fumaca", "--saida"])
        .arg(&pasta)
        .env_remove("CARGO")
        .output()
        .expect("executar a bancada");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let tabela = std::fs::read_to_string(pasta.join("bancada.md")).unwrap();
    for linha in [
        "| parte2 -q | 2 | 1 |",
        "| parte3 -q | 2 | 2 |",
        "| parte3-poll -q | 2 | 2 |",
        "| parte3-async -q | 2 | 2 |",
        "| parte4 -q | 2 | 2 |",
        "| eco-mio | 2 | 2 |",
        "| eco-tokio | 2 | 2 |",
    ] {
        assert!(tabela.contains(linha), "falta {linha:?} em\n{tabela}");
    }
    // Todo servidor da lista (menos o da Parte 1) é medido.
    for servidor in SERVIDORES.iter().filter(|s| s.parte() != Some(1)) {
        let linha = format!("| {} ", servidor.binario);
        assert!(tabela.contains(&linha), "a bancada não mediu {}:\n{tabela}", servidor.binario);
    }
    let svg = std::fs::read_to_string(pasta.join("bancada.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("parte4 -q"));
    // Os mesmos números em JSON, um ponto por linha da tabela.
    let json: ferramentas::figuras::Bancada =
        ferramentas::figuras::ler(&pasta.join("bancada.json")).expect("bancada.json");
    let ponto = json.vai_e_volta("parte3-poll -q", 2).expect("parte3-poll -q com 2 clientes");
    assert!(ponto.mensagens_por_s > 0.0 && ponto.erros == 0, "{ponto:?}");
    let medidos = SERVIDORES.iter().filter(|s| s.parte() != Some(1)).count();
    assert_eq!(json.vai_e_volta.len(), 2 * medidos, "1 e 2 clientes: {json:?}");
    let _ = std::fs::remove_dir_all(&pasta);
}

#[test]
fn carga_diz_claramente_quando_nao_conectou_nenhuma_vez() {
    // Ninguém escuta nessa porta: o listener foi fechado logo depois de aberto.
    let porta = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let saida = Command::new(env!("CARGO_BIN_EXE_carga"))
        .args(["--host", "127.0.0.1", "--porta", &porta.to_string(), "--duracao", "0,2"])
        .output()
        .expect("executar o carga");
    assert_eq!(saida.status.code(), Some(1));
    let erros = String::from_utf8_lossy(&saida.stderr);
    assert!(erros.contains("não foi possível conectar a 127.0.0.1:"), "{erros}");
    assert!(erros.contains("conexão recusada") && erros.contains("nada foi medido"), "{erros}");
    assert!(saida.stdout.is_empty(), "{}", String::from_utf8_lossy(&saida.stdout));
}

#[test]
fn carga_se_despede_sem_que_o_servidor_registre_falha() {
    let servidor = iniciar_servidor("parte4", &["-q"]);
    let (codigo, r) = carga(servidor.porta, &["--clientes", "20", "--pipeline", "4"]);
    assert_eq!(codigo, Some(0), "{r}");
    servidor.esperar_texto("conexões ativas: 0)", 1);
    let falhas: Vec<String> =
        servidor.saida().into_iter().filter(|l| l.contains("falhou")).collect();
    assert!(falhas.is_empty(), "o servidor registrou falhas: {falhas:#?}");
}

#[test]
fn bancada_so_grava_numa_execucao_completa() {
    let saida = Command::new(env!("CARGO_BIN_EXE_bancada"))
        .args(["--rapido", "--gravar"])
        .env_remove("CARGO")
        .output()
        .expect("executar a bancada");
    assert_eq!(saida.status.code(), Some(1));
    let erros = String::from_utf8_lossy(&saida.stderr);
    assert!(erros.contains("--gravar só vale numa execução completa"), "{erros}");
}

/// A inundação em miniatura: dois servidores, uma rodada curtíssima; a
/// tabela e o JSON saem com uma linha por servidor. Só no Linux (como a
/// prova da inundação: no Wine, a pilha de rede emulada não dá conta).
#[cfg(target_os = "linux")]
#[test]
fn inundacao_em_miniatura_escreve_tabela_e_json() {
    binario("parte3");
    binario("eco-mio");
    let pasta = std::env::temp_dir().join(format!("inundacao-teste-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_inundacao"))
        .args(["--fumaca", "--saida"])
        .arg(&pasta)
        .env_remove("CARGO")
        .output()
        .expect("executar a inundacao");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let tabela = std::fs::read_to_string(pasta.join("inundacao.md")).unwrap();
    for rotulo in ["| parte3 -q |", "| eco-mio |"] {
        assert!(tabela.contains(rotulo), "falta {rotulo:?} em\n{tabela}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pasta.join("inundacao.json")).unwrap())
            .unwrap();
    let servidores = json["servidores"].as_array().expect("a lista de servidores");
    assert_eq!(servidores.len(), 2, "{json}");
    for s in servidores {
        assert!(s["rodadas"][0]["respostas"].as_u64().unwrap() > 0, "{s}");
    }
    let _ = std::fs::remove_dir_all(&pasta);
}
