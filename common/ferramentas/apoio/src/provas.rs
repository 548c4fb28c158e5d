//! Provas de robustez válidas para todo servidor do projeto: cada uma recebe
//! o nome do binário, faz o papel de um cliente hostil e confere que o
//! servidor responde como a SPEC manda e continua atendendo.

use crate::frases;
use crate::processo::Processo;
use crate::{iniciar_servidor, Conectado};
use std::time::Duration;

/// Depois de cada agressão: um cliente comum ainda é atendido.
pub fn continua_atendendo(servidor: &mut Processo) {
    assert!(servidor.vivo(), "o servidor morreu; saída:\n{}", servidor.saida().join("\n"));
    let mut cliente = Conectado::novo(servidor.porta);
    cliente.eco("ainda vivo?".as_bytes());
}

/// Uma linha acima do limite recebe `Erro: ...` e, logo depois, o fim do
/// fluxo (o servidor fecha a escrita sem esperar o prazo de 2 s do
/// fechamento demorado; folga larga: basta chegar antes de 1,5 s); o
/// próximo cliente é atendido normalmente.
pub fn mensagem_grande_recebe_erro(nome: &str, args: &[&str]) {
    let mut servidor = iniciar_servidor(nome, args);
    let mut cliente = Conectado::novo(servidor.porta);
    let mut linha = vec![b'x'; 65_537];
    linha.push(b'\n');
    cliente.enviar(&linha).expect("enviar linha grande");
    let enviada = std::time::Instant::now();
    let linhas = cliente.ler_ate_o_fim().expect("ler até o fim");
    let ate_o_fim = enviada.elapsed();
    assert_eq!(linhas, vec![b"Erro: mensagem maior que 65536 bytes".to_vec()]);
    assert!(
        ate_o_fim < Duration::from_millis(1500),
        "{nome}: o fim do fluxo depois do Erro: chegou só em {ate_o_fim:?} (esperou o prazo?)"
    );
    drop(cliente);
    servidor.esperar_texto("maior que 65536 bytes", 1);
    continua_atendendo(&mut servidor);
}

/// 100 MB sem `\n`: o servidor não guarda a linha (memória limitada).
pub fn linha_de_100_mb_nao_ocupa_memoria(nome: &str, args: &[&str]) {
    let mut servidor = iniciar_servidor(nome, args);
    let mut cliente = Conectado::novo(servidor.porta);
    let bloco = vec![b'y'; 1 << 20];
    let mut enviados = 0;
    for _ in 0..100 {
        // O servidor desiste depois de 64 KiB e fecha: a escrita falha.
        match cliente.enviar(&bloco) {
            Ok(()) => enviados += 1,
            Err(_) => break,
        }
    }
    assert!(enviados < 100, "o servidor aceitou 100 MB sem reclamar");
    drop(cliente);
    servidor.esperar_texto("maior que 65536 bytes", 1);
    continua_atendendo(&mut servidor);
    if let Some(pico) = servidor.memoria_pico_kib() {
        assert!(pico < 32 * 1024, "pico de memória de {pico} KiB");
    }
}

/// Um terminal travado (no Windows, basta clicar na janela do console:
/// a saída para até soltar): ninguém lê o log do servidor, e um cliente
/// envia mensagens sem parar. O log é um recurso compartilhado e
/// limitado: quem registra espera, e a memória do servidor não cresce.
#[cfg(target_os = "linux")]
pub fn terminal_travado_nao_faz_a_memoria_crescer(nome: &str) {
    use crate::processo::Saida;
    use crate::{binario, subir_limite_de_arquivos};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::thread;

    subir_limite_de_arquivos();
    let servidor =
        Processo::servidor(&binario(nome), &[], Saida::Travada).unwrap_or_else(|e| panic!("{e:#}"));
    let mut socket = TcpStream::connect(("127.0.0.1", servidor.porta)).expect("conectar");
    socket.set_write_timeout(Some(Duration::from_millis(200))).expect("prazo de escrita");
    let mut leitor = socket.try_clone().expect("clonar o socket");
    // As respostas são lidas e descartadas, para o eco nunca ser o gargalo.
    let descarte = thread::spawn(move || {
        let mut lixo = [0u8; 64 * 1024];
        while matches!(leitor.read(&mut lixo), Ok(n) if n > 0) {}
    });
    let lote = "mensagem para um log que ninguém lê\n".repeat(1000);
    let fim = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < fim {
        // Com o log cheio o servidor para de ler, e a escrita esgota o prazo.
        let _ = socket.write_all(lote.as_bytes());
    }
    let kib = servidor.memoria_pico_kib().expect("VmHWM em /proc");
    drop(servidor); // mata o servidor: a conexão cai e o descarte termina
    let _ = descarte.join();
    assert!(kib < 64 * 1024, "{nome}: pico de memória de {kib} KiB com o terminal travado");
}

/// Um terminal travado num laço de eventos (poll, async), que não pode
/// esperar o log: um cliente envia 20.000 mensagens, o bastante para encher
/// o pipe, o buffer e a fila do log, e recebe todas as respostas; depois, um
/// cliente novo é atendido. As linhas que não couberem são descartadas e
/// contadas (`common::log::LogSemEspera`).
pub fn terminal_travado_nao_para_o_laco(nome: &str) {
    use crate::processo::Saida;
    use crate::{binario, PRAZO};
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    const MENSAGENS: usize = 20_000;
    let servidor =
        Processo::servidor(&binario(nome), &[], Saida::Travada).unwrap_or_else(|e| panic!("{e:#}"));
    let mut socket = TcpStream::connect(("127.0.0.1", servidor.porta)).expect("conectar");
    socket.set_read_timeout(Some(PRAZO)).expect("prazo de leitura");
    // As respostas são lidas ao mesmo tempo, para o eco nunca esperar o cliente.
    let leitor = BufReader::new(socket.try_clone().expect("clonar o socket"));
    let respostas = std::thread::spawn(move || {
        leitor.split(b'\n').take(MENSAGENS).take_while(Result::is_ok).count()
    });
    let lote: String =
        (0..MENSAGENS).map(|i| format!("mensagem {i} para um log que ninguém lê\n")).collect();
    socket.write_all(lote.as_bytes()).expect("enviar as mensagens");
    let recebidas = respostas.join().expect("a thread que lê as respostas");
    assert_eq!(recebidas, MENSAGENS, "{nome}: respostas com o terminal travado");
    let mut novo = Conectado::novo(servidor.porta);
    novo.eco("oi".as_bytes());
}

/// Duas mensagens numa escrita só, com `--atraso 1000` (os `args` têm de
/// pedi-lo): cada resposta espera o seu atraso, como a thread que dorme
/// antes de responder. A da primeira sai cerca de 1 s depois, sem esperar a
/// segunda (folga larga: basta chegar antes de 1,8 s); e nenhuma sai antes
/// da hora: a primeira não antes de 0,9 s, a segunda não antes de 1,9 s
/// (limites de baixo, que a carga da máquina não derruba).
pub fn resposta_nao_espera_a_mensagem_seguinte(nome: &str, args: &[&str]) {
    let servidor = iniciar_servidor(nome, args);
    let mut cliente = Conectado::novo(servidor.porta);
    let inicio = std::time::Instant::now();
    cliente.enviar(b"a\nb\n").expect("enviar duas mensagens");
    assert_eq!(cliente.ler_linha().unwrap().unwrap(), b"Echo: a");
    let primeira = inicio.elapsed();
    assert_eq!(cliente.ler_linha().unwrap().unwrap(), b"Echo: b");
    let segunda = inicio.elapsed();
    assert!(
        primeira < Duration::from_millis(1800),
        "{nome}: a primeira resposta esperou a segunda ({primeira:?} e {segunda:?})"
    );
    assert!(
        primeira >= Duration::from_millis(900) && segunda >= Duration::from_millis(1900),
        "{nome}: uma resposta saiu antes do atraso ({primeira:?} e {segunda:?})"
    );
}

/// Milhares de conexões abertas e paradas custam pouca memória a um
/// servidor de laço de eventos: nenhuma guarda buffer enquanto não tem
/// nada pela metade (a regra dos buffers de `parte3/poll` e
/// `parte3/assincrono`). Cada conexão faz um eco (para o servidor
/// certamente tê-la aceitado e atendido) e fica parada; o aumento da
/// memória residente (VmRSS), dividido pelas conexões, fica abaixo de
/// `limite_kib`. Só no Linux (lê `/proc`).
#[cfg(target_os = "linux")]
pub fn conexoes_paradas_custam_pouco(nome: &str, conexoes: usize, limite_kib: f64) {
    let servidor = iniciar_servidor(nome, &["-q", "--backlog", "1024"]);
    let mut primeira = Conectado::novo(servidor.porta);
    primeira.eco(b"antes");
    let antes = servidor.campo_de_status("VmRSS:").expect("VmRSS em /proc");
    let abertas: Vec<Conectado> = (0..conexoes)
        .map(|i| {
            let mut c = Conectado::novo(servidor.porta);
            c.eco(format!("parada {i}").as_bytes());
            c
        })
        .collect();
    primeira.eco(b"depois");
    let depois = servidor.campo_de_status("VmRSS:").expect("VmRSS em /proc");
    let por_conexao = depois.saturating_sub(antes) as f64 / conexoes as f64;
    assert!(
        por_conexao < limite_kib,
        "{nome}: {por_conexao:.2} KiB por conexão parada ({antes} → {depois} KiB com {} abertas)",
        abertas.len()
    );
}

/// Um cliente cai (RST) no meio de uma linha; o servidor registra e segue.
pub fn reset_no_meio_da_linha(nome: &str, args: &[&str]) {
    let mut servidor = iniciar_servidor(nome, args);
    let mut cliente = Conectado::novo(servidor.porta);
    cliente.eco(b"antes");
    cliente.enviar(b"meia linha sem fim").expect("enviar");
    cliente.resetar();
    servidor.esperar_linha(|l| l.contains(frases::FALHOU) || l.contains(frases::SAIU_NO_MEIO), 1);
    continua_atendendo(&mut servidor);
}

/// Sequências de controle chegam escapadas ao log; UTF-8 inválido volta
/// intacto no eco; mensagens num mesmo pacote são todas respondidas.
pub fn bytes_hostis_e_pipeline(nome: &str, args: &[&str]) {
    let mut servidor = iniciar_servidor(nome, args);
    let mut cliente = Conectado::novo(servidor.porta);
    cliente.enviar(b"\x1b[2Jlimpa\r\n\xff\xfeinvalido\nterceira\n").expect("enviar");
    let respostas: Vec<Vec<u8>> = (0..3).map(|_| cliente.ler_linha().unwrap().unwrap()).collect();
    assert_eq!(
        respostas,
        vec![
            b"Echo: \x1b[2Jlimpa".to_vec(),
            b"Echo: \xff\xfeinvalido".to_vec(),
            b"Echo: terceira".to_vec()
        ]
    );
    let linha = servidor.esperar_texto("limpa", 1);
    assert!(linha.contains("\\u{1b}[2Jlimpa") && !linha.contains('\x1b'), "{linha:?}");
    let linha = servidor.esperar_texto("invalido", 1);
    assert!(linha.contains("\\xff\\xfeinvalido"), "{linha:?}");
    drop(cliente);
    continua_atendendo(&mut servidor);
}

/// Quatro conexões inundam o servidor (blocos de 64 KiB de linhas curtas,
/// lendo as respostas ao mesmo tempo) e um cliente leve, uma linha a cada
/// 5 ms, ainda recebe 50 respostas em poucos segundos: nenhum cliente segura
/// os outros. O limite é folgado de propósito (a máquina de CI é pequena e
/// compartilhada): um servidor injusto não dá resposta nenhuma enquanto a
/// inundação dura. Só no Linux (no Wine, a pilha de rede emulada não dá
/// conta da inundação). A saída do servidor é descartada: com o log ligado,
/// são milhões de linhas.
#[cfg(target_os = "linux")]
pub fn inundacao_nao_segura_os_outros(nome: &str, args: &[&str]) {
    use crate::inundacao::{Inundacao, Leve, RESPOSTA};
    use crate::processo::Saida;
    use std::net::SocketAddr;
    use std::time::Instant;

    crate::subir_limite_de_arquivos();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let caminho = crate::binario(nome);
    let mut servidor =
        Processo::servidor(&caminho, &args, Saida::Descartar).unwrap_or_else(|e| panic!("{e:#}"));
    let endereco = SocketAddr::from(([127, 0, 0, 1], servidor.porta));
    let mut leve = Leve::conectar(endereco).expect("o cliente leve conecta");
    let sozinho = leve.medir(5, crate::PRAZO, Duration::ZERO, crate::PRAZO);
    assert!(sozinho.falha.is_none(), "{nome} sem inundação: {sozinho:?}");
    let inundacao = Inundacao::iniciar(endereco, 4).expect("a inundação conecta");
    // A inundação de fato começou: o servidor já respondeu a muitas linhas.
    let inicio = Instant::now();
    while inundacao.recebidos() < 1000 * RESPOSTA && inicio.elapsed() < crate::PRAZO {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(inundacao.recebidos() >= 1000 * RESPOSTA, "{nome} não respondeu à inundação");
    let prazo = Duration::from_secs(10);
    let medida = leve.medir(50, prazo, Duration::from_millis(5), prazo);
    let respondidas = inundacao.recebidos() / RESPOSTA;
    inundacao.parar();
    assert!(
        medida.falha.is_none() && medida.vai_e_volta.len() == 50,
        "{nome} {args:?}: durante a inundação ({respondidas} linhas dela respondidas), o cliente \
         leve recebeu {} respostas em {prazo:?}: {:?}",
        medida.vai_e_volta.len(),
        medida.falha
    );
    continua_atendendo(&mut servidor);
}
