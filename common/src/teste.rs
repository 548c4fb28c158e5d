//! Apoio aos testes de integração: iniciar os binários de verdade (porta 0,
//! porta lida do banner), esperar linhas do log e falar TCP com eles.
//!
//! Não faz parte do material didático; fica na biblioteca para que os testes
//! de cada parte possam usar os binários das outras (o `cliente`, o servidor
//! da parte anterior).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Prazo generoso para qualquer evento esperado: a máquina de CI é pequena
/// e compartilhada; um teste só espera tudo isso quando já falhou.
pub const PRAZO: Duration = Duration::from_secs(30);

/// Caminho do executável `nome` do workspace (em `target/<perfil>/`),
/// compilando-o se ainda não existir (ex.: `cargo test -p parte1` não
/// compila o `cliente`).
pub fn binario(nome: &str) -> PathBuf {
    static COMPILANDO: Mutex<()> = Mutex::new(());
    let pasta = crate::binarios::pasta().expect("pasta dos executáveis");
    let _vez = COMPILANDO.lock().unwrap_or_else(|e| e.into_inner());
    if crate::binarios::caminho(&pasta, nome).is_err() {
        crate::binarios::compilar(&pasta, &[nome]).expect("compilar o programa");
    }
    crate::binarios::caminho(&pasta, nome).expect("o programa existe depois de compilado")
}

/// Os testes abrem mil conexões de uma vez (e o servidor, filho deste
/// processo, herda o limite): sobe o limite "soft" de arquivos abertos até o
/// "hard", como fazem servidores de verdade. Muitas distribuições começam
/// com 1.024.
pub fn subir_limite_de_arquivos() {
    #[cfg(unix)]
    {
        static UMA_VEZ: std::sync::Once = std::sync::Once::new();
        UMA_VEZ.call_once(|| {
            let mut limite = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            // SAFETY: getrlimit/setrlimit só leem e escrevem a struct passada.
            unsafe {
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limite) == 0
                    && limite.rlim_cur < limite.rlim_max
                {
                    limite.rlim_cur = limite.rlim_max.min(65_536);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limite);
                }
            }
        });
    }
}

/// Um servidor (ou outro programa) em execução, com a saída padrão coletada
/// linha a linha. Ao sair de escopo, o processo é encerrado.
pub struct Processo {
    filho: Child,
    linhas: Arc<(Mutex<Vec<String>>, Condvar)>,
    /// Porta lida do banner (0 se o programa não é um servidor).
    pub porta: u16,
}

impl Processo {
    /// Inicia o servidor `nome` com `--porta 0` e os `args`, e espera o
    /// banner `Servidor Echo escutando em host:porta`.
    pub fn servidor(nome: &str, args: &[&str]) -> Processo {
        let mut todos = vec!["--porta", "0"];
        todos.extend_from_slice(args);
        let mut processo = Processo::iniciar(nome, &todos);
        let banner = processo.esperar(|l| l.starts_with("Servidor Echo escutando em "), 1);
        processo.porta = banner
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("banner sem porta: {banner:?}"));
        processo
    }

    /// Inicia `nome` com `args`, coletando a saída padrão.
    pub fn iniciar(nome: &str, args: &[&str]) -> Processo {
        subir_limite_de_arquivos();
        let mut filho = Command::new(binario(nome))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("iniciar {nome}: {e}"));
        let saida = filho.stdout.take().expect("stdout foi pedido como pipe");
        let linhas = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let coletor = Arc::clone(&linhas);
        thread::spawn(move || {
            let mut leitor = BufReader::new(saida);
            let mut linha = Vec::new();
            while leitor.read_until(b'\n', &mut linha).unwrap_or(0) > 0 {
                let texto =
                    String::from_utf8_lossy(&linha).trim_end_matches(['\n', '\r']).to_string();
                let (lista, sinal) = &*coletor;
                lista.lock().unwrap_or_else(|e| e.into_inner()).push(texto);
                sinal.notify_all();
                linha.clear();
            }
        });
        Processo { filho, linhas, porta: 0 }
    }

    /// Espera até haver `n` linhas que satisfazem `predicado`; devolve a
    /// n-ésima. Falha o teste (mostrando tudo o que foi impresso) se o
    /// [`PRAZO`] passar.
    pub fn esperar(&self, predicado: impl Fn(&str) -> bool, n: usize) -> String {
        let (lista, sinal) = &*self.linhas;
        let limite = Instant::now() + PRAZO;
        let mut linhas = lista.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(linha) = linhas.iter().filter(|l| predicado(l)).nth(n - 1) {
                return linha.clone();
            }
            let resta = limite.saturating_duration_since(Instant::now());
            assert!(
                !resta.is_zero(),
                "linha esperada não apareceu em {PRAZO:?}; saída:\n{}",
                linhas.join("\n")
            );
            linhas = sinal.wait_timeout(linhas, resta).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Espera uma linha que contém `trecho` (a n-ésima).
    pub fn esperar_texto(&self, trecho: &str, n: usize) -> String {
        self.esperar(|l| l.contains(trecho), n)
    }

    /// Tudo o que o processo imprimiu até agora.
    pub fn saida(&self) -> Vec<String> {
        self.linhas.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn pid(&self) -> u32 {
        self.filho.id()
    }

    /// O processo ainda está rodando?
    pub fn vivo(&mut self) -> bool {
        matches!(self.filho.try_wait(), Ok(None))
    }

    /// Espera o processo terminar (até o [`PRAZO`]).
    pub fn esperar_saida(&mut self) -> ExitStatus {
        let limite = Instant::now() + PRAZO;
        while Instant::now() < limite {
            if let Ok(Some(status)) = self.filho.try_wait() {
                return status;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("o processo {} não terminou em {PRAZO:?}", self.filho.id());
    }

    /// Pico de memória residente (VmHWM), em KiB; só no Linux.
    pub fn memoria_pico_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.filho.id())).ok()?;
        let linha = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        linha.split_whitespace().nth(1)?.parse().ok()
    }

    /// Envia um sinal ao processo (Unix).
    #[cfg(unix)]
    pub fn sinal(&self, sinal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sinal}"), &self.filho.id().to_string()])
            .status()
            .expect("executar kill");
        assert!(status.success());
    }
}

impl Drop for Processo {
    fn drop(&mut self) {
        let _ = self.filho.kill();
        let _ = self.filho.wait();
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
    let limite = Instant::now() + PRAZO;
    let status = loop {
        if let Ok(Some(status)) = filho.try_wait() {
            break status;
        }
        if Instant::now() > limite {
            let _ = filho.kill();
            panic!("o cliente não terminou em {PRAZO:?}");
        }
        thread::sleep(Duration::from_millis(10));
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
        let mut servidor = Processo::servidor(nome, args);
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
        let mut servidor = Processo::servidor(nome, args);
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

    /// Um cliente cai (RST) no meio de uma linha; o servidor registra e segue.
    pub fn reset_no_meio_da_linha(nome: &str, args: &[&str]) {
        let mut servidor = Processo::servidor(nome, args);
        let mut cliente = Conectado::novo(servidor.porta);
        cliente.eco(b"antes");
        cliente.enviar(b"meia linha sem fim").expect("enviar");
        cliente.resetar();
        servidor.esperar(|l| l.contains("falhou") || l.contains("saiu no meio de uma mensagem"), 1);
        continua_atendendo(&mut servidor);
    }

    /// Sequências de controle chegam escapadas ao log; UTF-8 inválido volta
    /// intacto no eco; mensagens num mesmo pacote são todas respondidas.
    pub fn bytes_hostis_e_pipeline(nome: &str, args: &[&str]) {
        let mut servidor = Processo::servidor(nome, args);
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
