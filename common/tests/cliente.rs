//! O cliente de verdade, com a entrada por pipe, em cada desfecho.

use apoio::{executar_cliente, iniciar_servidor};
use std::io::{BufRead, BufReader, Read, Write};
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

#[test]
fn host_todas_as_interfaces_explica_antes_de_conectar() {
    for host in ["0.0.0.0", "::", "[::]"] {
        let execucao = executar_cliente(5000, b"", &["--host", host]);
        assert_eq!(execucao.codigo, Some(2), "{host}: {}", execucao.erros);
        let ip = host.trim_matches(['[', ']']);
        assert!(
            execucao.erros.contains(&format!(
                "{ip} não é um destino: é como um servidor diz 'todas as interfaces'; use \
                 localhost ou o IP da máquina do servidor"
            )),
            "{host}: {}",
            execucao.erros
        );
        assert!(!execucao.erros.contains("Conectando"), "{}", execucao.erros);
    }
}

#[test]
fn porta_escrita_no_host_explica_onde_ela_vai() {
    for (host, dica) in [
        ("127.0.0.1:5000", "--host 127.0.0.1 --porta 5000"),
        ("localhost:6000", "--host localhost --porta 6000"),
    ] {
        let execucao = executar_cliente(5000, b"", &["--host", host]);
        assert_eq!(execucao.codigo, Some(2), "{host}: {}", execucao.erros);
        assert!(
            execucao.erros.contains(&format!("a porta vai em --porta: {dica}")),
            "{host}: {}",
            execucao.erros
        );
        assert!(!execucao.erros.contains(&format!("[{host}]")), "{}", execucao.erros);
        assert!(!execucao.erros.contains("DNS"), "{}", execucao.erros);
    }
}

/// Ocupa o servidor serial (um cliente sendo atendido, com um eco de
/// prova) e enche a fila do `listen()` dele: conecta até um `connect()` não
/// completar em 0,5 s (o kernel descartou o SYN). Devolve as conexões que
/// entraram, que liberam a fila quando fechadas.
#[cfg(not(windows))]
fn encher_a_fila(porta: u16) -> (apoio::Conectado, Vec<std::net::TcpStream>) {
    use std::net::{SocketAddr, TcpStream};
    let mut atendido = apoio::Conectado::novo(porta);
    atendido.eco(b"sou atendido; os outros esperam");
    let endereco: SocketAddr = ([127, 0, 0, 1], porta).into();
    let mut na_fila = Vec::new();
    for _ in 0..20 {
        match TcpStream::connect_timeout(&endereco, std::time::Duration::from_millis(500)) {
            Ok(conexao) => na_fila.push(conexao),
            Err(_) => return (atendido, na_fila),
        }
    }
    panic!("20 conexões completaram: a fila do listen() não encheu");
}

/// Com a fila do `listen()` cheia, o `connect()` do cliente espera sem
/// erro nenhum; o cliente explica a espera (a primeira vez com 1 s) e,
/// quando a fila anda, conecta e conversa. No Windows não: lá a fila cheia
/// recusa a conexão (RST).
#[cfg(not(windows))]
#[test]
fn connect_que_espera_na_fila_cheia_e_explicado() {
    use apoio::processo::{Processo, Saida};
    use std::time::Duration;
    let servidor = iniciar_servidor("parte2", &["--backlog", "1"]);
    let ocupando = encher_a_fila(servidor.porta);
    let args: Vec<String> =
        ["--porta", &servidor.porta.to_string()].iter().map(|a| a.to_string()).collect();
    let mut cliente =
        Processo::iniciar(&apoio::binario("cliente"), &args, Saida::Guardar).expect("cliente");
    let explicacao = cliente.esperar_texto("Ainda conectando", 1);
    assert!(
        explicacao.starts_with(
            "Ainda conectando (1 s): a conexão não se completou. A fila do listen() dele \
             deve estar cheia"
        ),
        "{explicacao}"
    );
    // A explicação veio durante a espera (nada foi conectado ainda) e no
    // máximo 4 s depois do "Conectando" (vem com 1 s; o resto é folga).
    let linhas = cliente.linhas();
    let hora = |trecho: &str| linhas.iter().find(|l| l.texto.contains(trecho)).unwrap().chegada;
    let demora = hora("Ainda conectando").duration_since(hora("Conectando a")).unwrap();
    assert!(demora < Duration::from_secs(4), "explicada só depois de {demora:?}");
    assert!(!cliente.textos().iter().any(|l| l.contains("Conectado ao servidor")));
    // A fila anda: o SYN reenviado entra, e a conversa segue.
    drop(ocupando);
    assert!(cliente.escrever("oi"));
    cliente.esperar_texto("Resposta: Echo: oi", 1);
    cliente.fechar_entrada();
    let status = cliente.esperar_fim(apoio::PRAZO).expect("esperar o cliente");
    assert!(status.is_some_and(|s| s.success()), "{:?}", cliente.textos());
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

/// Uma resposta fora do protocolo (sem `Echo: `): quem desiste é o cliente,
/// e ele não diz que o servidor fechou.
#[test]
fn linha_fora_do_protocolo_o_cliente_desiste_e_diz_por_que() {
    let porta = servidor_que(|socket| {
        let _ = socket.write_all(b"oi\n");
        let _ = socket.read(&mut [0; 64]); // espera o cliente fechar
    });
    let execucao = executar_cliente(porta, b"oi\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    let esperado = "Servidor enviou uma linha inesperada: oi\n\
                    Encerrando a conexão: o servidor não segue o protocolo\n";
    assert!(execucao.saida.ends_with(esperado), "{}", execucao.saida);
}

#[test]
fn servidor_fechando_no_meio_da_sessao_sai_com_1() {
    let porta = servidor_que(|_socket| {});
    let execucao = executar_cliente(porta, b"oi\nmais uma\n", &[]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.saida.ends_with("Digite uma mensagem: oi\nConexão encerrada pelo servidor\n"),
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
    use apoio::processo::{Processo, Saida};
    use apoio::terminal::Terminal;
    use apoio::{binario, iniciar_servidor};
    use common::tempo::{Carimbo, TAMANHO_DO_CARIMBO};
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
    pub(super) fn hora_de(linha: &str, trecho: &str) -> f64 {
        let fim = linha.find(trecho).expect("trecho na linha");
        let antes = linha[..fim].trim_end();
        let carimbo = &antes[antes.len().saturating_sub(TAMANHO_DO_CARIMBO)..];
        let ms = Carimbo::ler(carimbo).unwrap_or_else(|| panic!("sem carimbo: {linha:?}"));
        f64::from(ms) / 1000.0
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
        // A resposta só viria depois de 20 s: sair antes de 10 s é sair na
        // hora, e não depois da resposta, com folga para uma máquina lenta.
        let servidor = iniciar_servidor("parte3", &["--atraso", "20000"]);
        for tecla in ["sair\n", "\x04"] {
            let (mut cliente, mut terminal) = cliente_no_terminal(servidor.porta);
            terminal.digitar("fico esperando\n").unwrap();
            cliente.esperar_texto("Enviada: fico esperando", 1);
            let inicio = Instant::now();
            terminal.digitar(tecla).unwrap();
            let status = cliente.esperar_fim(Duration::from_secs(10)).expect("esperar o cliente");
            assert!(
                status.is_some_and(|s| s.success()),
                "{tecla:?}: o cliente não saiu em 10 s ({:?}): {:?}",
                inicio.elapsed(),
                cliente.textos()
            );
            let textos = cliente.textos();
            assert!(!textos.iter().any(|l| l.contains("Resposta")), "{textos:?}");
            let ultima = textos.last().unwrap();
            assert!(ultima.ends_with("] Conexão encerrada"), "saída truncada ou suja: {textos:?}");
        }
    }
}

/// O cliente com entrada e saída num terminal de verdade, como quem o usa:
/// o editor de linha (setas, histórico, Ctrl-L) e o terminal devolvido
/// intacto ao shell.
#[cfg(unix)]
mod editor_no_terminal {
    use apoio::terminal::{Tela, Terminal};
    use apoio::{binario, PRAZO};
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Command, ExitStatus, Stdio};
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    const PROMPT: &str = "Digite uma mensagem: ";

    /// O cliente com as três saídas padrão no terminal, como num shell.
    fn cliente_no_terminal(porta: u16) -> (Child, Terminal, Tela) {
        cliente_no_terminal_com(porta, &[])
    }

    /// Como [`cliente_no_terminal`], com outras opções (ex.: `--tempo`).
    fn cliente_no_terminal_com(porta: u16, extra: &[&str]) -> (Child, Terminal, Tela) {
        let terminal = Terminal::abrir().expect("abrir um pseudoterminal");
        terminal.definir_tamanho(100, 30).expect("tamanho do terminal");
        let tela = terminal.ler_tela().expect("ler a tela");
        let lado = || Stdio::from(terminal.escravo.try_clone().expect("duplicar o terminal"));
        let cliente = Command::new(binario("cliente"))
            .args(["--porta", &porta.to_string()])
            .args(extra)
            .env("TERM", "xterm")
            .stdin(lado())
            .stdout(lado())
            .stderr(lado())
            .spawn()
            .expect("iniciar o cliente");
        (cliente, terminal, tela)
    }

    fn esperar_fim(cliente: &mut Child, tela: &Tela) -> ExitStatus {
        let inicio = Instant::now();
        loop {
            if let Some(status) = cliente.try_wait().expect("esperar o cliente") {
                return status;
            }
            if inicio.elapsed() > PRAZO {
                let _ = cliente.kill();
                panic!("o cliente não terminou em {PRAZO:?}:\n{:?}", tela.texto());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Um servidor de eco que entrega ao teste cada linha, byte a byte, como
    /// chegou.
    fn servidor_que_conta() -> (u16, mpsc::Receiver<Vec<u8>>) {
        let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
        let porta = escuta.local_addr().unwrap().port();
        let (envia, recebe) = mpsc::channel();
        thread::spawn(move || {
            let (socket, _) = escuta.accept().unwrap();
            let mut escrita = socket.try_clone().unwrap();
            let mut leitor = BufReader::new(socket);
            loop {
                let mut linha = Vec::new();
                if leitor.read_until(b'\n', &mut linha).unwrap_or(0) == 0 {
                    return;
                }
                linha.pop();
                let mut eco = b"Echo: ".to_vec();
                eco.extend_from_slice(&linha);
                eco.push(b'\n');
                let _ = escrita.write_all(&eco);
                let _ = envia.send(linha);
            }
        });
        (porta, recebe)
    }

    #[test]
    fn setas_e_ctrl_l_editam_e_nunca_chegam_ao_servidor() {
        let (porta, recebidas) = servidor_que_conta();
        let (mut cliente, mut terminal, tela) = cliente_no_terminal(porta);
        let proxima = || recebidas.recv_timeout(PRAZO).expect("o servidor recebeu uma linha");
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("oi\r").unwrap();
        assert_eq!(proxima(), b"oi");
        tela.esperar_texto("Resposta: Echo: oi", 1);
        tela.esperar_texto(PROMPT, 2);
        // ↑ traz "oi" do histórico; Ctrl-L limpa a tela; ← e → andam na
        // linha; Ctrl-V (que inseriria o próximo caractere cru) e Ctrl-A
        // (início da linha) não inserem nada.
        terminal.digitar("\x1b[A\x0c!\x1b[D\x1b[D>\x1b[C\x16\x01\r").unwrap();
        assert_eq!(proxima(), b"o>i!");
        tela.esperar_texto("Resposta: Echo: o>i!", 1);
        // Um Esc sozinho não faz nada, nem come a letra que vem depois dele.
        tela.esperar_texto(PROMPT, 3);
        terminal.digitar("\x1b").unwrap();
        thread::sleep(Duration::from_millis(400));
        terminal.digitar("depois\r").unwrap();
        assert_eq!(proxima(), b"depois");
        terminal.digitar("sair\r").unwrap();
        let status = esperar_fim(&mut cliente, &tela);
        assert!(status.success(), "{status:?}\n{:?}", tela.texto());
        assert!(recebidas.try_recv().is_err(), "o servidor recebeu mais do que as três linhas");
    }

    #[test]
    fn texto_pela_metade_nao_sobra_para_o_shell_quando_o_servidor_fecha() {
        let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
        let porta = escuta.local_addr().unwrap().port();
        let (fechar, pode_fechar) = mpsc::channel::<()>();
        thread::spawn(move || {
            let (mut socket, _): (TcpStream, _) = escuta.accept().unwrap();
            let _ = pode_fechar.recv();
            let _ = socket.write_all("Aviso: conexão encerrada por inatividade\n".as_bytes());
        });
        // O pseudoterminal nasce no modo normal (linha, eco e sinais); o
        // cliente o põe em modo cru enquanto edita, e tem de devolvê-lo. (Ler
        // o modo aqui seria uma corrida: o cliente pode já tê-lo trocado.)
        let (mut cliente, mut terminal, tela) = cliente_no_terminal(porta);
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("digitando").unwrap();
        tela.esperar_texto("digitando", 1);
        fechar.send(()).unwrap();
        let status = esperar_fim(&mut cliente, &tela);
        assert_eq!(status.code(), Some(1), "{:?}", tela.texto());

        // A linha em edição fica como estava, e o aviso vem embaixo dela.
        let texto = tela.esperar_texto("Conexão encerrada pelo servidor", 1);
        let depois = &texto[texto.rfind("digitando").unwrap()..];
        assert!(
            depois.contains("\r\nServidor: Aviso: conexão encerrada por inatividade\r\n"),
            "{texto:?}"
        );
        // O modo do terminal voltou ao normal (linha, eco, sinais)...
        let agora = terminal.flags_locais().unwrap();
        let normal = libc::ICANON | libc::ECHO | libc::ISIG;
        assert_eq!(agora & normal, normal, "modo do terminal não restaurado");
        // ...e o próximo a ler o terminal (o shell) recebe só o que for
        // digitado depois, não o "digitando".
        assert_eq!(terminal.ler_escravo(Duration::from_millis(200)).unwrap(), None);
        terminal.digitar("\n").unwrap();
        let lido = terminal.ler_escravo(PRAZO).unwrap();
        assert_eq!(lido.as_deref(), Some(&b"\n"[..]));
    }

    #[test]
    fn resposta_demorada_aparece_acima_do_prompt() {
        let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
        let porta = escuta.local_addr().unwrap().port();
        let (responder, pode_responder) = mpsc::channel::<()>();
        thread::spawn(move || {
            let (socket, _) = escuta.accept().unwrap();
            let mut escrita = socket.try_clone().unwrap();
            let mut linha = String::new();
            let _ = BufReader::new(socket).read_line(&mut linha);
            let _ = pode_responder.recv();
            let _ = escrita.write_all(format!("Echo: {linha}").as_bytes());
            thread::sleep(PRAZO);
        });
        let (mut cliente, mut terminal, tela) = cliente_no_terminal(porta);
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("lenta\r").unwrap();
        // A resposta não veio: o prompt volta, para `sair` e Ctrl-D valerem.
        tela.esperar_texto(PROMPT, 2);
        responder.send(()).unwrap();
        let texto = tela.esperar("a resposta e o prompt redesenhado abaixo dela", |t| {
            t.find("Resposta: Echo: lenta").is_some_and(|i| t[i..].contains(PROMPT))
        });
        assert!(!texto.contains("Digite uma mensagem: Resposta"), "{texto:?}");
        terminal.digitar("\x04").unwrap();
        let status = esperar_fim(&mut cliente, &tela);
        assert!(status.success(), "{status:?}\n{:?}", tela.texto());
    }

    /// Uma linha digitada enquanto a resposta anterior não chega fica na
    /// fila, e a tela diz isso na hora; ela só sai depois da resposta, e o
    /// `Enviada:` dela leva a hora do envio de verdade, não a da digitação.
    #[test]
    fn linha_digitada_na_espera_aparece_na_fila_e_sai_depois_da_resposta() {
        #[derive(Debug, PartialEq)]
        enum Visto {
            Recebida(Vec<u8>),
            Respondida(Vec<u8>),
        }
        let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
        let porta = escuta.local_addr().unwrap().port();
        let (responder, pode_responder) = mpsc::channel::<()>();
        let (envia, visto) = mpsc::channel::<Visto>();
        thread::spawn(move || {
            let (socket, _) = escuta.accept().unwrap();
            let mut escrita = socket.try_clone().unwrap();
            // Quem lê registra cada linha ao chegar; quem responde segura a
            // primeira resposta até o teste liberar.
            let (linhas, para_responder) = mpsc::channel::<Vec<u8>>();
            let registro = envia.clone();
            thread::spawn(move || {
                let mut leitor = BufReader::new(socket);
                loop {
                    let mut linha = Vec::new();
                    if leitor.read_until(b'\n', &mut linha).unwrap_or(0) == 0 {
                        return;
                    }
                    linha.pop();
                    let _ = registro.send(Visto::Recebida(linha.clone()));
                    let _ = linhas.send(linha);
                }
            });
            for (n, linha) in para_responder.iter().enumerate() {
                if n == 0 {
                    let _ = pode_responder.recv();
                }
                let mut eco = b"Echo: ".to_vec();
                eco.extend_from_slice(&linha);
                eco.push(b'\n');
                let _ = escrita.write_all(&eco);
                let _ = envia.send(Visto::Respondida(linha));
            }
        });
        let proximo = || visto.recv_timeout(PRAZO).expect("o servidor viu algo");
        let (mut cliente, mut terminal, tela) = cliente_no_terminal_com(porta, &["--tempo"]);
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("primeira\r").unwrap();
        assert_eq!(proximo(), Visto::Recebida(b"primeira".to_vec()));
        // A resposta não veio: o prompt volta, e alguém digita outra.
        tela.esperar_texto(PROMPT, 2);
        terminal.digitar("segunda\r").unwrap();
        tela.esperar_texto("(na fila: sai quando chegar a resposta anterior)", 1);
        responder.send(()).unwrap();
        // No servidor: a segunda só chega depois da resposta à primeira.
        assert_eq!(proximo(), Visto::Respondida(b"primeira".to_vec()));
        assert_eq!(proximo(), Visto::Recebida(b"segunda".to_vec()));
        let texto = tela.esperar_texto("Resposta: Echo: segunda", 1);
        let hora = |trecho: &str| {
            let linha = texto[..texto.find(trecho).unwrap() + trecho.len()]
                .rsplit('\n')
                .next()
                .unwrap()
                .to_string();
            super::no_terminal::hora_de(&linha, trecho)
        };
        let na_fila = hora("(na fila");
        let resposta = hora("Resposta: Echo: primeira");
        let enviada = hora("Enviada: segunda");
        assert!(na_fila <= resposta && resposta <= enviada, "{na_fila} {resposta} {enviada}");
        terminal.digitar("sair\r").unwrap();
        let status = esperar_fim(&mut cliente, &tela);
        assert!(status.success(), "{status:?}\n{:?}", tela.texto());
    }

    /// Várias linhas que chegam numa leitura só (o `send-keys` do tmux,
    /// alguém que digita rápido numa conexão lenta): cada uma é uma mensagem,
    /// e nenhuma se perde. O editor lê o terminal aos pedaços de até 1 KiB;
    /// sem o `buffer-redux` do rustyline, o que sobrava do pedaço depois do
    /// primeiro Enter ia embora com o `readline`, e o `sair` sumia.
    #[test]
    fn linhas_que_chegam_juntas_saem_todas_na_ordem() {
        let (porta, recebidas) = servidor_que_conta();
        let (mut cliente, mut terminal, tela) = cliente_no_terminal(porta);
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("um\rdois\rsair\r").unwrap(); // uma escrita só
        let proxima = || recebidas.recv_timeout(PRAZO).expect("o servidor recebeu uma linha");
        assert_eq!(proxima(), b"um");
        assert_eq!(proxima(), b"dois");
        let status = esperar_fim(&mut cliente, &tela);
        assert!(status.success(), "{status:?}\n{:?}", tela.texto());
        assert!(recebidas.try_recv().is_err(), "o servidor recebeu mais do que as duas linhas");
    }

    /// As diferenças de `depois` em relação a `antes` que deixam o terminal
    /// inutilizável, no vocabulário do `stty` (ex.: `-icanon -echo`).
    fn modo_estragado(antes: &libc::termios, depois: &libc::termios) -> Vec<&'static str> {
        let locais = [
            (libc::ICANON, "-icanon"),
            (libc::ECHO, "-echo"),
            (libc::ISIG, "-isig"),
            (libc::IEXTEN, "-iexten"),
        ];
        let entrada = [(libc::ICRNL, "-icrnl"), (libc::IXON, "-ixon")];
        let mut faltam: Vec<&str> = locais
            .iter()
            .filter(|(flag, _)| antes.c_lflag & flag != 0 && depois.c_lflag & flag == 0)
            .map(|(_, nome)| *nome)
            .collect();
        faltam.extend(
            entrada
                .iter()
                .filter(|(flag, _)| antes.c_iflag & flag != 0 && depois.c_iflag & flag == 0)
                .map(|(_, nome)| *nome),
        );
        faltam
    }

    /// O caso da Parte 4 lotada, muitas vezes: o servidor recusa o cliente
    /// logo depois do primeiro prompt, enquanto a thread do teclado entra no
    /// editor de linha (que põe o terminal em modo cru). A thread principal
    /// restaura o terminal e sai; a corrida entre as duas deixava o terminal
    /// cru em cerca de 3 saídas de 100. A cada saída, o modo tem de ser o de
    /// antes.
    #[test]
    fn servidor_lotado_devolve_o_terminal_normal_em_toda_saida() {
        const VEZES: usize = 60;
        let servidor = apoio::iniciar_servidor("parte4", &["--max-clientes", "1"]);
        let mut dentro = apoio::Conectado::novo(servidor.porta);
        dentro.eco(b"fico aqui"); // o único lugar está ocupado
                                  // Todo pseudoterminal nasce no mesmo modo normal (linha, eco, sinais).
        let antes = Terminal::abrir().expect("abrir um pseudoterminal").modo().unwrap();
        let mut crus = Vec::new();
        let inicio = Instant::now();
        for vez in 1..=VEZES {
            let (mut cliente, terminal, tela) = cliente_no_terminal(servidor.porta);
            let status = esperar_fim(&mut cliente, &tela);
            assert_eq!(status.code(), Some(1), "{:?}", tela.texto());
            let texto = tela.esperar_texto("Conexão encerrada pelo servidor", 1);
            assert!(texto.contains("Servidor: Erro: servidor lotado"), "{texto:?}");
            let estragado = modo_estragado(&antes, &terminal.modo().unwrap());
            if !estragado.is_empty() {
                crus.push(format!("saída {vez}: {}", estragado.join(" ")));
            }
        }
        assert!(crus.is_empty(), "terminal cru em {} de {VEZES} saídas: {crus:?}", crus.len());
        eprintln!("{VEZES} recusas num pseudoterminal em {:?}", inicio.elapsed());
        dentro.eco(b"ainda aqui");
    }

    /// Teclas que chegam juntas numa leitura só (uma colagem sem marcação,
    /// o tmux, alguém rápido) durante uma espera longa: `sair` e Enter valem
    /// na hora. Com o rustyline 18 o editor só as lia na tecla seguinte, e o
    /// cliente ficava parado com `s` na tela.
    #[test]
    fn teclas_juntas_durante_uma_espera_valem_na_hora() {
        let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
        let porta = escuta.local_addr().unwrap().port();
        thread::spawn(move || {
            // Lê a mensagem e nunca responde.
            let (socket, _) = escuta.accept().unwrap();
            let mut linha = String::new();
            let mut leitor = BufReader::new(socket);
            let _ = leitor.read_line(&mut linha);
            let _ = leitor.read_line(&mut linha);
        });
        let (mut cliente, mut terminal, tela) = cliente_no_terminal(porta);
        tela.esperar_texto(PROMPT, 1);
        terminal.digitar("sem resposta\r").unwrap();
        tela.esperar_texto(PROMPT, 2);
        terminal.digitar("sair\r").unwrap(); // uma escrita só: 5 bytes juntos
        let status = esperar_fim(&mut cliente, &tela);
        assert!(status.success(), "{status:?}\n{:?}", tela.texto());
    }
}
