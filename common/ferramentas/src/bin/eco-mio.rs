//! `eco-mio`: um eco mínimo com `mio` (uma thread, epoll no Linux), sem log,
//! sem limites, sem nada de didático. É a referência da `bancada` para o
//! `parte3-poll`: o mesmo modelo e a mesma regra da vez, sem o que o ensino
//! acrescenta. A regra da vez: cada conexão pronta lê no máximo 32 KiB por
//! volta do laço (a parte do `parte3-poll`), e quem pode ter mais volta
//! para o fim da fila das prontas; assim quem nunca para de enviar não
//! segura os outros (a `inundacao` mede).
//!
//! Uma técnica só de desempenho, que a lição não usa: no Unix, uma leitura
//! curta (menos bytes do que cabiam) esvaziou o buffer do kernel, e o
//! próximo dado que chegar traz aviso novo do epoll/kqueue, então a
//! conexão sai da fila sem a leitura extra que só ouviria `WouldBlock`
//! (`strace -c -f` durante `carga --clientes 10 --duracao 2`: 1,00
//! `recvfrom` por mensagem aqui, 2,00 no `parte3-poll`). No Windows o mio só
//! volta a avisar depois de um `WouldBlock`: lá é preciso ouvi-lo.
//!
//! Atalhos que um servidor de verdade não pode tomar: não limita o tamanho
//! de uma linha, e o `\r` antes do `\n` volta no eco.

use clap::Parser;
use common::erros::perdeu_so_esta_conexao;
use common::linha_de_comando::{ArgsAjuda, MODELO_AJUDA};
use common::rede::ArgsServidor;
use ferramentas::escuta::escutar_ou_sair;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::time::Duration;

/// Eco mínimo com mio, referência da bancada (não é material didático)
#[derive(Parser)]
#[command(name = "eco-mio", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    #[command(flatten)]
    servidor: ArgsServidor,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

const ESCUTA: Token = Token(usize::MAX);

/// O máximo que uma conexão lê numa vez: a mesma parte do `parte3-poll`.
const LEITURA_POR_VEZ: usize = 32 * 1024;

fn main() {
    let args: Args = common::linha_de_comando::ler();
    let escuta = escutar_ou_sair(env!("CARGO_BIN_NAME"), &args.servidor, 1024);
    if let Err(e) = laco(escuta) {
        eprintln!("eco-mio: {e}");
        std::process::exit(1);
    }
}

struct Conexao {
    socket: TcpStream,
    /// A linha sem `\n` que está chegando.
    linha: Vec<u8>,
    /// Respostas que o kernel ainda não aceitou; enquanto houver, a
    /// conexão não lê (contrapressão) e só pede o aviso de "gravável".
    saida: Vec<u8>,
    enviados: usize,
    na_fila: bool,
    /// Nada a ler até o próximo aviso do poll.
    vazio: bool,
    /// O poll já avisou o fim do fluxo: esse aviso não se repete, e depois
    /// dele só a leitura que devolve 0 prova que acabou.
    fim_avisado: bool,
}

impl Conexao {
    /// A vez da conexão: escreve o que estava preso e, se não sobrou nada,
    /// lê até esvaziar o socket ou encher `lidos` e responde. `Ok(true)`:
    /// `lidos` encheu, o socket pode ter mais.
    fn vez(&mut self, lidos: &mut [u8]) -> io::Result<bool> {
        self.escrever()?;
        if self.enviados < self.saida.len() || self.vazio {
            return Ok(false);
        }
        let (mut n, mut fim) = (0, false);
        while n < lidos.len() && !self.vazio && !fim {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => fim = true,
                Ok(lido) => {
                    // Leitura curta no Unix: o kernel não tinha mais nada, e
                    // o próximo dado traz aviso novo (ver o cabeçalho).
                    n += lido;
                    self.vazio = n < lidos.len() && cfg!(unix) && !self.fim_avisado;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.vazio = true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut resto = &lidos[..n];
        while let Some(p) = memchr::memchr(b'\n', resto) {
            self.saida.extend_from_slice(b"Echo: ");
            self.saida.extend_from_slice(&self.linha);
            self.linha.clear();
            self.saida.extend_from_slice(&resto[..=p]);
            resto = &resto[p + 1..];
        }
        self.linha.extend_from_slice(resto);
        self.escrever()?;
        if fim {
            return Err(ErrorKind::UnexpectedEof.into()); // o cliente fechou: fecha também
        }
        Ok(!self.vazio && self.enviados == self.saida.len())
    }

    fn escrever(&mut self) -> io::Result<()> {
        while self.enviados < self.saida.len() {
            match self.socket.write(&self.saida[self.enviados..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.saida.clear();
        self.enviados = 0;
        Ok(())
    }

    fn interesse(&self) -> Interest {
        if self.enviados < self.saida.len() {
            Interest::WRITABLE
        } else {
            Interest::READABLE
        }
    }
}

fn laco(escuta: std::net::TcpListener) -> io::Result<()> {
    escuta.set_nonblocking(true)?;
    let mut escuta = TcpListener::from_std(escuta);
    let mut poll = Poll::new()?;
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    let mut conexoes: Vec<Option<Conexao>> = Vec::new();
    let mut prontas: VecDeque<usize> = VecDeque::new();
    let mut eventos = Events::with_capacity(1024);
    let mut lidos = vec![0u8; LEITURA_POR_VEZ];
    loop {
        let espera = if prontas.is_empty() { None } else { Some(Duration::ZERO) };
        if let Err(e) = poll.poll(&mut eventos, espera) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for evento in eventos.iter() {
            if evento.token() == ESCUTA {
                aceitar(&escuta, &poll, &mut conexoes)?;
                continue;
            }
            let chave = evento.token().0;
            let Some(Some(c)) = conexoes.get_mut(chave) else { continue };
            c.vazio = false;
            c.fim_avisado |= evento.is_read_closed() || evento.is_error();
            if !c.na_fila {
                c.na_fila = true;
                prontas.push_back(chave);
            }
        }
        // A regra da vez: as que estavam prontas no começo da volta, uma
        // leitura cada; quem ainda pode ter dados vai para o fim da fila.
        for _ in 0..prontas.len() {
            let Some(chave) = prontas.pop_front() else { break };
            let Some(Some(c)) = conexoes.get_mut(chave) else { continue };
            c.na_fila = false;
            let antes = c.interesse();
            let fechar = match c.vez(&mut lidos) {
                Ok(ainda) => {
                    if ainda {
                        c.na_fila = true;
                        prontas.push_back(chave);
                    }
                    let agora = c.interesse();
                    agora != antes
                        && poll.registry().reregister(&mut c.socket, Token(chave), agora).is_err()
                }
                Err(_) => true,
            };
            if fechar {
                if let Some(mut c) = conexoes[chave].take() {
                    let _ = poll.registry().deregister(&mut c.socket);
                    if c.na_fila {
                        prontas.retain(|&k| k != chave);
                    }
                }
            }
        }
    }
}

/// Aceita todas as conexões que esperam (o aviso vem uma vez só).
fn aceitar(
    escuta: &TcpListener,
    poll: &Poll,
    conexoes: &mut Vec<Option<Conexao>>,
) -> io::Result<()> {
    loop {
        let mut socket = match escuta.accept() {
            Ok((s, _)) => s,
            // Uma conexão desfeita antes do accept(): tenta a próxima. Parar
            // aqui deixaria o socket de escuta sem avisos no Windows, onde o
            // mio só o vigia de novo depois de um WouldBlock.
            Err(e) if perdeu_so_esta_conexao(&e) => continue,
            Err(_) => return Ok(()),
        };
        let _ = socket.set_nodelay(true);
        let chave = conexoes.iter().position(Option::is_none).unwrap_or(conexoes.len());
        poll.registry().register(&mut socket, Token(chave), Interest::READABLE)?;
        if chave == conexoes.len() {
            conexoes.push(None);
        }
        conexoes[chave] = Some(Conexao {
            socket,
            linha: Vec::new(),
            saida: Vec::new(),
            enviados: 0,
            na_fila: false,
            vazio: false,
            fim_avisado: false,
        });
    }
}
