//! Os clientes dos testes: o `cliente` de verdade com a entrada num pipe
//! ([`executar_cliente`]) e um cliente TCP cru ([`Conectado`]), para falar o
//! protocolo byte a byte.

use crate::{binario, subir_limite_de_arquivos, PRAZO};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;
use wait_timeout::ChildExt;

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
