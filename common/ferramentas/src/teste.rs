//! Apoio aos testes de integração: iniciar os binários de verdade (porta 0,
//! porta lida do banner), esperar linhas do log e falar TCP com eles.
//!
//! Não faz parte do material didático: é uma dependência só dos testes
//! (`[dev-dependencies]`) de cada parte.

use crate::processo::{Processo, Saida};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;
use wait_timeout::ChildExt;

/// Prazo generoso para qualquer evento esperado: a máquina de CI é pequena
/// e compartilhada; um teste só espera tudo isso quando já falhou.
pub const PRAZO: Duration = Duration::from_secs(30);

/// Caminho do executável `nome` do workspace (em `target/<perfil>/`),
/// compilando-o se ainda não existir (ex.: `cargo test -p parte1` não
/// compila o `cliente`).
pub fn binario(nome: &str) -> PathBuf {
    crate::binarios::compilado(nome).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Os testes abrem mil conexões de uma vez (e o servidor, filho deste
/// processo, herda o limite): sobe o limite "soft" de arquivos abertos até o
/// "hard", como fazem servidores de verdade. Muitas distribuições começam
/// com 1.024.
pub fn subir_limite_de_arquivos() {
    crate::limite::subir(65_536);
}

/// Inicia o servidor `nome` com `--porta 0` e os `args`, e espera o banner.
pub fn iniciar_servidor(nome: &str, args: &[&str]) -> Processo {
    subir_limite_de_arquivos();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Processo::servidor(&binario(nome), &args, Saida::Guardar).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Os atalhos dos testes: esperam com o [`PRAZO`] e falham o teste, com
/// tudo o que o programa escreveu, em vez de devolver erro.
impl Processo {
    /// Espera até haver `n` linhas que satisfazem `predicado`; devolve a n-ésima.
    pub fn esperar_linha(&self, predicado: impl Fn(&str) -> bool, n: usize) -> String {
        self.esperar(predicado, n, PRAZO).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// Espera uma linha que contém `trecho` (a n-ésima).
    pub fn esperar_texto(&self, trecho: &str, n: usize) -> String {
        self.esperar_linha(|l| l.contains(trecho), n)
    }

    /// Tudo o que o processo escreveu até agora, sem a dica "(para
    /// conectar...)" que os servidores escrevem na saída de erros.
    pub fn saida(&self) -> Vec<String> {
        self.textos().into_iter().filter(|l| !l.starts_with("(para conectar")).collect()
    }

    /// Espera o processo terminar (até o [`PRAZO`]).
    pub fn esperar_saida(&mut self) -> ExitStatus {
        match self.esperar_fim(PRAZO) {
            Ok(Some(status)) => status,
            outro => panic!("o processo {} não terminou em {PRAZO:?}: {outro:?}", self.pid()),
        }
    }

    /// Pico de memória residente (VmHWM), em KiB; só no Linux.
    pub fn memoria_pico_kib(&self) -> Option<u64> {
        self.campo_de_status("VmHWM:")
    }
}

/// O que um `cliente` executado por [`executar_cliente`] produziu.
pub struct Execucao {
    pub codigo: Option<i32>,
    pub saida: String,
    pub erros: String,
}

/// Executa o `cliente` de verdade com `entrada` no stdin (um pipe).
pub fn executar_cliente(porta: u16, entrada: &[u8], extra: &[&str]) -> Execucao {
    let porta = porta.to_string();
    let mut args = vec!["--porta", porta.as_str()];
    args.extend_from_slice(extra);
    let mut filho = Command::new(binario("cliente"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("iniciar o cliente");
    let mut stdin = filho.stdin.take().expect("stdin foi pedido como pipe");
    let entrada = entrada.to_vec();
    // Escreve numa thread: se o cliente sair antes de ler tudo, não trava.
    thread::spawn(move || {
        let _ = stdin.write_all(&entrada);
    });
    let mut saida = String::new();
    let mut stdout = filho.stdout.take().expect("stdout foi pedido como pipe");
    let leitor = thread::spawn(move || {
        let _ = stdout.read_to_string(&mut saida);
        saida
    });
    let status = match filho.wait_timeout(PRAZO) {
        Ok(Some(status)) => status,
        _ => {
            let _ = filho.kill();
            let _ = filho.wait();
            panic!("o cliente não terminou em {PRAZO:?}");
        }
    };
    let mut erros = String::new();
    if let Some(mut stderr) = filho.stderr.take() {
        let _ = stderr.read_to_string(&mut erros);
    }
    let saida = leitor.join().expect("thread leitora");
    Execucao { codigo: status.code(), saida, erros }
}

/// Um cliente TCP cru, para os testes falarem o protocolo diretamente.
pub struct Conectado {
    pub socket: TcpStream,
    leitor: BufReader<TcpStream>,
}

impl Conectado {
    pub fn novo(porta: u16) -> Conectado {
        subir_limite_de_arquivos();
        let socket = TcpStream::connect(("127.0.0.1", porta)).expect("conectar ao servidor");
        socket.set_read_timeout(Some(PRAZO)).expect("set_read_timeout");
        let leitor = BufReader::new(socket.try_clone().expect("try_clone"));
        Conectado { socket, leitor }
    }

    pub fn enviar(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.socket.write_all(bytes)
    }

    /// Lê uma linha (sem o `\n`); `None` no fim do fluxo.
    pub fn ler_linha(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut linha = Vec::new();
        if self.leitor.read_until(b'\n', &mut linha)? == 0 {
            return Ok(None);
        }
        assert_eq!(
            linha.pop(),
            Some(b'\n'),
            "linha sem terminador: {:?}",
            String::from_utf8_lossy(&linha)
        );
        Ok(Some(linha))
    }

    /// Envia `mensagem` + `\n` e confere que a resposta é o eco exato.
    pub fn eco(&mut self, mensagem: &[u8]) {
        let mut linha = mensagem.to_vec();
        linha.push(b'\n');
        self.enviar(&linha).expect("enviar mensagem");
        let resposta = self.ler_linha().expect("ler resposta").expect("resposta antes do fim");
        let mut esperado = b"Echo: ".to_vec();
        esperado.extend_from_slice(mensagem);
        assert_eq!(resposta, esperado, "eco errado");
    }

    /// Lê até o fim do fluxo; devolve as linhas recebidas.
    pub fn ler_ate_o_fim(&mut self) -> io::Result<Vec<Vec<u8>>> {
        let mut linhas = Vec::new();
        while let Some(linha) = self.ler_linha()? {
            linhas.push(linha);
        }
        Ok(linhas)
    }

    /// Fecha o lado de escrita (o servidor vê o fim do fluxo).
    pub fn fechar_escrita(&self) {
        let _ = self.socket.shutdown(Shutdown::Write);
    }

    /// Fecha com RST em vez de FIN (SO_LINGER com tempo 0): uma queda abrupta.
    pub fn resetar(self) {
        let socket = socket2::SockRef::from(&self.socket);
        let _ = socket.set_linger(Some(Duration::ZERO));
        drop(self);
    }
}

/// Provas de robustez válidas para todo servidor do projeto: cada uma recebe
/// o nome do binário, faz o papel de um cliente hostil e confere que o
/// servidor responde como a SPEC manda e continua atendendo.
pub mod provas {
    use super::*;

    /// Depois de cada agressão: um cliente comum ainda é atendido.
    pub fn continua_atendendo(servidor: &mut Processo) {
        assert!(servidor.vivo(), "o servidor morreu; saída:\n{}", servidor.saida().join("\n"));
        let mut cliente = Conectado::novo(servidor.porta);
        cliente.eco("ainda vivo?".as_bytes());
    }

    /// Uma linha acima do limite recebe `Erro: ...` e o fechamento; o
    /// próximo cliente é atendido normalmente.
    pub fn mensagem_grande_recebe_erro(nome: &str, args: &[&str]) {
        let mut servidor = iniciar_servidor(nome, args);
        let mut cliente = Conectado::novo(servidor.porta);
        let mut linha = vec![b'x'; 65_537];
        linha.push(b'\n');
        cliente.enviar(&linha).expect("enviar linha grande");
        let linhas = cliente.ler_ate_o_fim().expect("ler até o fim");
        assert_eq!(linhas, vec![b"Erro: mensagem maior que 65536 bytes".to_vec()]);
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
        subir_limite_de_arquivos();
        let servidor = Processo::servidor(&binario(nome), &[], Saida::Travada)
            .unwrap_or_else(|e| panic!("{e:#}"));
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

    /// Duas mensagens numa escrita só, com `--atraso 1000` (os `args` têm de
    /// pedi-lo): a resposta da primeira sai quando ela fica pronta, cerca de
    /// 1 s depois, sem esperar a segunda (que fica pronta em cerca de 2 s).
    /// Folga larga: basta chegar antes de 1,8 s.
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
    }

    /// O cliente da disciplina envia `oi` sem `\n` e espera: o servidor não
    /// responde (a linha não terminou), mas explica no log, uma vez.
    pub fn linha_sem_fim_recebe_uma_dica_no_log(nome: &str) {
        let servidor = iniciar_servidor(nome, &[]);
        let mut cliente = Conectado::novo(servidor.porta);
        cliente.enviar(b"oi").expect("enviar sem fim de linha");
        let dica = servidor.esperar_texto("Dica: chegaram 2 bytes sem fim de linha", 1);
        assert!(dica.contains("cliente.py"), "{dica}");
        cliente.enviar(b"\n").expect("terminar a linha");
        assert_eq!(cliente.ler_linha().unwrap().unwrap(), b"Echo: oi");
        drop(cliente);
        servidor.esperar_texto("Cliente desconectou", 1);
        let dicas = servidor.saida().iter().filter(|l| l.contains("Dica:")).count();
        assert_eq!(dicas, 1, "{:#?}", servidor.saida());
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
        servidor.esperar_linha(
            |l| l.contains("falhou") || l.contains("saiu no meio de uma mensagem"),
            1,
        );
        continua_atendendo(&mut servidor);
    }

    /// Sequências de controle chegam escapadas ao log; UTF-8 inválido volta
    /// intacto no eco; mensagens num mesmo pacote são todas respondidas.
    pub fn bytes_hostis_e_pipeline(nome: &str, args: &[&str]) {
        let mut servidor = iniciar_servidor(nome, args);
        let mut cliente = Conectado::novo(servidor.porta);
        cliente.enviar(b"\x1b[2Jlimpa\r\n\xff\xfeinvalido\nterceira\n").expect("enviar");
        let respostas: Vec<Vec<u8>> =
            (0..3).map(|_| cliente.ler_linha().unwrap().unwrap()).collect();
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
}

/// Provas de concorrência, para comparar o servidor serial com os
/// concorrentes pela ordem dos eventos, nunca por durações exatas.
pub mod concorrencia {
    use super::*;

    /// Dois clientes enviam uma mensagem cada a um servidor com `--atraso`.
    /// Devolve `true` se o segundo recebeu a resposta enquanto o primeiro
    /// continuava conectado: atendimento sobreposto. Num servidor serial
    /// isso é impossível (o segundo só é aceito quando o primeiro sai); num
    /// concorrente, a resposta do segundo chega um `--atraso` depois.
    pub fn atendimento_se_sobrepoe(servidor: &Processo) -> bool {
        let mut primeiro = Conectado::novo(servidor.porta);
        primeiro.enviar(b"primeiro\n").unwrap();
        servidor.esperar_texto("Recebido: primeiro", 1);
        let mut segundo = Conectado::novo(servidor.porta);
        segundo.enviar(b"segundo\n").unwrap();
        assert_eq!(primeiro.ler_linha().unwrap().unwrap(), b"Echo: primeiro");
        // O primeiro continua conectado. A resposta do segundo chega?
        segundo.socket.set_read_timeout(Some(ESPERA_PELA_SOBREPOSICAO)).unwrap();
        let sobrepos = match segundo.ler_linha() {
            Ok(Some(resposta)) => {
                assert_eq!(resposta, b"Echo: segundo");
                true
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                false
            }
            outro => panic!("resposta inesperada do segundo cliente: {outro:?}"),
        };
        drop(primeiro);
        if !sobrepos {
            // Servidor serial: agora que o primeiro saiu, o segundo é atendido.
            segundo.socket.set_read_timeout(Some(PRAZO)).unwrap();
            assert_eq!(segundo.ler_linha().unwrap().unwrap(), b"Echo: segundo");
        }
        sobrepos
    }

    /// Quanto o segundo cliente espera a resposta com o primeiro ainda
    /// conectado: bem mais que o `--atraso` de 1,5 s dos testes.
    const ESPERA_PELA_SOBREPOSICAO: Duration = Duration::from_secs(8);

    /// `clientes` conexões simultâneas, `ecos` mensagens cada: toda resposta
    /// confere byte a byte, nenhuma se perde.
    pub fn muitos_clientes(porta: u16, clientes: usize, ecos: usize) {
        let threads: Vec<_> = (0..clientes)
            .map(|i| {
                thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let mut cliente = Conectado::novo(porta);
                        for j in 0..ecos {
                            cliente.eco(format!("cliente {i} mensagem {j}").as_bytes());
                        }
                    })
                    .expect("criar thread de teste")
            })
            .collect();
        for t in threads {
            t.join().expect("um cliente recebeu resposta errada ou nenhuma");
        }
    }

    /// Clientes hostis agem enquanto um cliente comum conversa; o comum
    /// recebe todas as respostas, certas.
    pub fn hostis_nao_afetam_os_outros(servidor: &Processo) {
        let porta = servidor.porta;
        let mut comum = Conectado::novo(porta);
        comum.eco(b"comum antes");

        // 1. Nunca lê: manda megabytes de mensagens; as respostas enchem o
        //    buffer do socket e a thread dele no servidor fica presa.
        let surdo = thread::spawn(move || {
            let surdo = Conectado::novo(porta);
            surdo.socket.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
            let bloco = b"nunca leio as respostas\n".repeat(40_000);
            let mut s = &surdo.socket;
            for _ in 0..10 {
                if s.write_all(&bloco).is_err() {
                    break;
                }
            }
            surdo // mantém a conexão aberta até o fim do teste
        });

        // 2. Meio fechamento: envia, fecha a escrita, ainda recebe tudo.
        let mut meio = Conectado::novo(porta);
        meio.enviar(b"um\ndois\n").unwrap();
        meio.fechar_escrita();
        assert_eq!(
            meio.ler_ate_o_fim().unwrap(),
            vec![b"Echo: um".to_vec(), b"Echo: dois".to_vec()]
        );
        comum.eco(b"comum 2");

        // 3. RST no meio de uma linha.
        let mut cai = Conectado::novo(porta);
        cai.enviar(b"sem fim").unwrap();
        cai.resetar();
        comum.eco(b"comum 3");

        // 4. Linha acima do limite.
        let mut grande = Conectado::novo(porta);
        let mut linha = vec![b'g'; 70_000];
        linha.push(b'\n');
        grande.enviar(&linha).unwrap();
        assert_eq!(
            grande.ler_ate_o_fim().unwrap(),
            vec![b"Erro: mensagem maior que 65536 bytes".to_vec()]
        );

        for i in 0..50 {
            comum.eco(format!("comum depois {i}").as_bytes());
        }
        let _surdo = surdo.join().expect("thread do cliente que não lê");
        // Um cliente novo também é atendido.
        Conectado::novo(porta).eco(b"novo");
    }
}

/// As mesmas provas para cada servidor da Parte 3 (threads, `poll` e
/// async): um protocolo, três modelos de concorrência. Cada pacote chama
/// `ferramentas::provas_da_parte3!("nome-do-binario");` nos seus testes.
#[macro_export]
macro_rules! provas_da_parte3 {
    ($binario:literal) => {
        use $crate::teste::{concorrencia, iniciar_servidor, provas};

        #[test]
        fn clientes_progridem_juntos() {
            let servidor = iniciar_servidor($binario, &["--atraso", "1500"]);
            assert!(
                concorrencia::atendimento_se_sobrepoe(&servidor),
                "{} atendeu em série",
                $binario
            );
        }

        #[test]
        fn linhas_do_log_nomeiam_o_cliente() {
            let servidor = iniciar_servidor($binario, &[]);
            concorrencia::muitos_clientes(servidor.porta, 3, 2);
            servidor.esperar_texto("(atendido por", 3);
            for linha in servidor
                .saida()
                .iter()
                .filter(|l| l.contains("Recebido") || l.contains("Conectado"))
            {
                assert!(linha.starts_with('[') && linha[15..].starts_with("[cliente "), "{linha}");
            }
        }

        #[test]
        fn silencioso_omite_as_linhas_por_mensagem() {
            let servidor = iniciar_servidor($binario, &["-q"]);
            concorrencia::muitos_clientes(servidor.porta, 1, 3);
            servidor.esperar_texto("3 mensagens)", 1);
            assert!(servidor.saida().iter().all(|l| !l.contains("Recebido")));
        }

        // Com centenas de connect() ao mesmo tempo, a fila do listen() de 128
        // transbordaria: no Linux o SYN excedente espera 1 s para voltar, e
        // no Windows a conexão é recusada. O teste é sobre atender muitos
        // clientes, não sobre a fila: ela ganha espaço para todos.
        #[test]
        fn quinhentos_clientes_simultaneos_vinte_ecos_cada() {
            let mut servidor = iniciar_servidor($binario, &["--backlog", "1024"]);
            concorrencia::muitos_clientes(servidor.porta, 500, 20);
            provas::continua_atendendo(&mut servidor);
        }

        #[test]
        fn mil_clientes_simultaneos_nada_se_perde() {
            let mut servidor = iniciar_servidor($binario, &["--backlog", "1024"]);
            concorrencia::muitos_clientes(servidor.porta, 1000, 3);
            provas::continua_atendendo(&mut servidor);
        }

        #[test]
        fn clientes_hostis_nao_afetam_os_outros() {
            let servidor = iniciar_servidor($binario, &[]);
            concorrencia::hostis_nao_afetam_os_outros(&servidor);
        }

        #[test]
        fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
            provas::mensagem_grande_recebe_erro($binario, &[]);
        }

        #[test]
        fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
            provas::linha_de_100_mb_nao_ocupa_memoria($binario, &[]);
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn terminal_travado_nao_faz_a_memoria_crescer() {
            provas::terminal_travado_nao_faz_a_memoria_crescer($binario);
        }

        #[test]
        fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
            provas::reset_no_meio_da_linha($binario, &[]);
        }

        #[test]
        fn resposta_nao_espera_a_mensagem_seguinte() {
            provas::resposta_nao_espera_a_mensagem_seguinte($binario, &["--atraso", "1000"]);
        }

        #[test]
        fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
            provas::bytes_hostis_e_pipeline($binario, &[]);
        }
    };
}

/// Um pseudoterminal (Unix), para testar o cliente como se alguém digitasse
/// nele: a entrada do programa é um terminal de verdade (`is_terminal()`).
#[cfg(unix)]
pub mod terminal {
    use std::ffi::CStr;
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::{Duration, Instant};

    /// O lado mestre (onde o teste "digita") e o lado escravo (que vira a
    /// entrada do programa).
    pub struct Terminal {
        mestre: File,
        pub escravo: File,
    }

    impl Terminal {
        pub fn abrir() -> io::Result<Terminal> {
            // SAFETY: posix_openpt devolve um descritor novo ou -1; o
            // descritor passa a ter um único dono (`File`), que o fecha.
            let mestre = unsafe {
                let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                File::from_raw_fd(fd)
            };
            let mut nome = [0 as libc::c_char; 128];
            // SAFETY: `mestre` é um pseudoterminal aberto; `nome` tem o
            // tamanho passado, e ptsname_r termina a cadeia com NUL.
            let caminho = unsafe {
                if libc::grantpt(mestre.as_raw_fd()) != 0
                    || libc::unlockpt(mestre.as_raw_fd()) != 0
                    || libc::ptsname_r(mestre.as_raw_fd(), nome.as_mut_ptr(), nome.len()) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                CStr::from_ptr(nome.as_ptr()).to_string_lossy().into_owned()
            };
            let escravo = std::fs::OpenOptions::new().read(true).write(true).open(caminho)?;
            Ok(Terminal { mestre, escravo })
        }

        /// "Digita" `texto` (`\n` é o Enter; `\x04`, o Ctrl-D).
        pub fn digitar(&mut self, texto: &str) -> io::Result<()> {
            self.mestre.write_all(texto.as_bytes())
        }

        /// Dá ao terminal um tamanho (colunas, linhas), como uma janela de
        /// verdade; um pseudoterminal novo tem 0 × 0.
        pub fn definir_tamanho(&self, colunas: u16, linhas: u16) -> io::Result<()> {
            let tamanho =
                libc::winsize { ws_row: linhas, ws_col: colunas, ws_xpixel: 0, ws_ypixel: 0 };
            // SAFETY: TIOCSWINSZ só lê a struct passada.
            if unsafe { libc::ioctl(self.mestre.as_raw_fd(), libc::TIOCSWINSZ, &tamanho) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        /// O que o programa escreve no terminal (a "tela", com as sequências
        /// de escape), lido do lado mestre por uma thread, desde agora.
        pub fn ler_tela(&self) -> io::Result<Tela> {
            let mut mestre = self.mestre.try_clone()?;
            let lido = Arc::new(Mutex::new(Vec::new()));
            let destino = Arc::clone(&lido);
            thread::spawn(move || {
                let mut pedaco = [0u8; 4096];
                // Termina com erro (EIO) quando o último lado escravo fecha.
                while let Ok(n @ 1..) = mestre.read(&mut pedaco) {
                    destino
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&pedaco[..n]);
                }
            });
            Ok(Tela { lido })
        }

        /// As flags locais (`c_lflag`: ICANON, ECHO, ISIG...) do terminal
        /// agora: mostram se um programa o deixou em modo cru.
        pub fn flags_locais(&self) -> io::Result<libc::tcflag_t> {
            // SAFETY: termios zerada é válida; tcgetattr só escreve nela.
            let mut modo: libc::termios = unsafe { std::mem::zeroed() };
            // SAFETY: o descritor é do escravo, aberto enquanto `self` existe.
            if unsafe { libc::tcgetattr(self.escravo.as_raw_fd(), &mut modo) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(modo.c_lflag)
        }

        /// Lê, do lado escravo (onde o próximo programa, o shell, leria), o
        /// que houver para ler até `prazo`: `None` se nada chegou.
        pub fn ler_escravo(&self, prazo: Duration) -> io::Result<Option<Vec<u8>>> {
            let mut espera =
                libc::pollfd { fd: self.escravo.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            let ms = prazo.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: um pollfd válido, tamanho 1.
            let prontos = unsafe { libc::poll(&mut espera, 1, ms) };
            if prontos < 0 {
                return Err(io::Error::last_os_error());
            }
            if prontos == 0 {
                return Ok(None);
            }
            let mut pedaco = [0u8; 4096];
            let n = (&self.escravo).read(&mut pedaco)?;
            Ok(Some(pedaco[..n].to_vec()))
        }
    }

    /// O que um programa escreveu no terminal (ver [`Terminal::ler_tela`]).
    pub struct Tela {
        lido: Arc<Mutex<Vec<u8>>>,
    }

    impl Tela {
        /// Tudo até agora, como texto (bytes inválidos trocados).
        pub fn texto(&self) -> String {
            String::from_utf8_lossy(&self.lido.lock().unwrap_or_else(|e| e.into_inner()))
                .into_owned()
        }

        /// Espera até `condicao` valer para o texto da tela (até o
        /// [`PRAZO`](super::PRAZO)); falha o teste mostrando a tela.
        pub fn esperar(&self, descricao: &str, condicao: impl Fn(&str) -> bool) -> String {
            let inicio = Instant::now();
            loop {
                let texto = self.texto();
                if condicao(&texto) {
                    return texto;
                }
                if inicio.elapsed() > super::PRAZO {
                    panic!("a tela não mostrou {descricao} em {:?}:\n{texto:?}", super::PRAZO);
                }
                thread::sleep(Duration::from_millis(10));
            }
        }

        /// Espera a tela mostrar `trecho` pela `n`-ésima vez.
        pub fn esperar_texto(&self, trecho: &str, n: usize) -> String {
            self.esperar(&format!("{trecho:?} ({n}ª vez)"), |t| t.matches(trecho).count() >= n)
        }
    }
}

/// Confere as regras da ordem causal numa transcrição do `cenario` (linhas
/// `[servidor]  ...`, `[cliente K] ...`, `[cenario]   ...`): nenhuma resposta
/// antes de o servidor registrar a mensagem; o `Cliente desconectou` de um
/// cliente depois do `sair` dele; o `Conectado com` da Parte 1 depois do
/// `Conectando a`; e a hora de cada processo nunca voltando. Falha o teste
/// mostrando a transcrição.
pub fn conferir_ordem_causal(transcricao: &str) {
    use std::collections::HashMap;
    // (quem: None = servidor, Some(k) = cliente k; texto como foi escrito)
    type Linha = (Option<usize>, String);
    let linhas: Vec<Linha> = transcricao
        .lines()
        .filter_map(|l| {
            if let Some(texto) = l.strip_prefix("[servidor]  ") {
                Some((None, texto.to_string()))
            } else {
                let resto = l.strip_prefix("[cliente ")?;
                let (k, texto) = resto.split_once("] ")?;
                Some((Some(k.parse().ok()?), texto.to_string()))
            }
        })
        .collect();
    let horario = |linha: &str| -> Option<u32> {
        let b = linha.as_bytes();
        if b.len() < 15 || b[0] != b'[' || b[13] != b']' {
            return None;
        }
        let n = |de: usize, ate: usize| linha[de..ate].parse::<u32>().ok();
        Some(((n(1, 3)? * 60 + n(4, 6)?) * 60 + n(7, 9)?) * 1000 + n(10, 13)?)
    };
    let sem_horario = |linha: &str| -> String {
        if horario(linha).is_some() {
            linha[15..].to_string()
        } else {
            linha.to_string()
        }
    };
    let posicao = |pred: &dyn Fn(&Linha) -> bool| linhas.iter().position(pred);
    let mut numero_no_servidor = HashMap::new();
    for (i, (quem, texto)) in linhas.iter().enumerate() {
        let Some(k) = quem else { continue };
        let texto = sem_horario(texto);
        if let Some(mensagem) = texto.strip_prefix("Resposta: Echo: ") {
            let recebido =
                posicao(&|(q, t)| q.is_none() && t.ends_with(&format!("Recebido: {mensagem}")))
                    .unwrap_or_else(|| {
                        panic!("o servidor não registrou {mensagem:?}\n{transcricao}")
                    });
            assert!(recebido < i, "resposta antes do Recebido de {mensagem:?}\n{transcricao}");
            let linha = sem_horario(&linhas[recebido].1);
            if let Some(resto) = linha.strip_prefix("[cliente ") {
                numero_no_servidor.insert(*k, resto.split(' ').next().unwrap_or("").to_string());
            }
        }
    }
    for (k, n) in &numero_no_servidor {
        let Some(sair) = posicao(&|(q, t)| {
            *q == Some(*k) && sem_horario(t).ends_with("Digite uma mensagem: sair")
        }) else {
            continue; // este cliente não saiu por conta própria
        };
        let saiu = posicao(&|(q, t)| {
            q.is_none()
                && sem_horario(t).starts_with(&format!("[cliente {n} "))
                && t.contains("Cliente desconectou")
        })
        .unwrap_or_else(|| panic!("sem a desconexão do cliente {k}\n{transcricao}"));
        assert!(sair < saiu, "Cliente desconectou antes do sair do cliente {k}\n{transcricao}");
    }
    if numero_no_servidor.is_empty() {
        // Parte 1: um cliente só, sem número no log do servidor.
        let sair = posicao(&|(q, t)| q.is_some() && t.ends_with("Digite uma mensagem: sair"));
        let saiu = posicao(&|(q, t)| q.is_none() && t == "Cliente desconectou");
        assert!(
            sair.zip(saiu).is_some_and(|(a, b)| a < b),
            "sair e desconexão fora de ordem\n{transcricao}"
        );
        let conectando =
            posicao(&|(q, t)| q.is_some() && sem_horario(t).starts_with("Conectando a"));
        let conectado = posicao(&|(q, t)| q.is_none() && t.starts_with("Conectado com"));
        assert!(conectando < conectado, "Conectado com antes de Conectando a\n{transcricao}");
    }
    let mut ultima: HashMap<Option<usize>, u32> = HashMap::new();
    for (quem, texto) in &linhas {
        if let Some(t) = horario(texto) {
            let anterior = ultima.insert(*quem, t).unwrap_or(0);
            assert!(t >= anterior, "a hora de {quem:?} voltou em {texto:?}\n{transcricao}");
        }
    }
}

/// Confere a tabela "Python → Rust" do cabeçalho `//!` de um arquivo Rust
/// contra os dois programas: cada linha Python (primeira coluna) existe no
/// arquivo Python, cada trecho Rust (entre crases na segunda coluna; uma
/// célula pode ter vários, ou nenhum) existe no código fora do cabeçalho, e
/// os dois lados aparecem na ordem da tabela. Os caminhos são relativos à
/// raiz do repositório.
pub fn conferir_tabela_python_rust(arquivo_rs: &str, arquivo_py: &str) {
    let raiz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ler = |caminho: &str| {
        std::fs::read_to_string(raiz.join(caminho)).unwrap_or_else(|e| panic!("ler {caminho}: {e}"))
    };
    let rust = ler(arquivo_rs);
    let python = ler(arquivo_py);
    let linhas: Vec<(String, Vec<String>)> = rust
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| {
            let (python, rust) = l.split_once("` | ")?;
            let trechos = rust.split('`').skip(1).step_by(2).map(String::from).collect();
            Some((python.to_string(), trechos))
        })
        .collect();
    assert!(linhas.len() >= 8, "{arquivo_rs}: tabela curta demais: {linhas:?}");
    let codigo: String =
        rust.lines().filter(|l| !l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    let em_ordem = |texto: &str, trechos: Vec<&str>, onde: &str| {
        let mut desde = 0;
        for trecho in trechos {
            // Na tabela, `\n` é o `\n` escrito no código-fonte.
            match texto[desde..].find(trecho) {
                Some(i) => desde += i + trecho.len(),
                None if texto.contains(trecho) => panic!("{onde}: {trecho:?} fora de ordem"),
                None => panic!("{onde}: {trecho:?} não existe"),
            }
        }
    };
    em_ordem(&python, linhas.iter().map(|(p, _)| p.as_str()).collect(), arquivo_py);
    let trechos = linhas.iter().flat_map(|(_, r)| r.iter().map(String::as_str)).collect();
    em_ordem(&codigo, trechos, arquivo_rs);
}
