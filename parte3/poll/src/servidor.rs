//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! A Parte 3 como o `selectors` do Python: uma thread só registra os sockets no poll (o `mio`:
//! epoll, kqueue ou IOCP), espera algum ficar pronto e atende os prontos: lê e responde; escreve
//! quando o socket aceita. Nada bloqueia; a única espera é o `poll()`. As variáveis da thread de
//! um cliente viram um `struct` (`conexao.rs`), e cada espera, um estado: a escrita pela metade
//! espera o aviso de "gravável", o `--atraso` vira uma hora marcada, o `Erro:` fecha devagar sem
//! parar o laço, e o log passa por uma fila (`log.rs`). Um cliente parado custa menos de 1 KiB, e
//! não uma thread; e a justiça, que o escalonador dá às threads, aqui é de propósito: a regra da
//! vez ([`Laco::uma_volta`]).
//!
//! ## Como observar
//! 1. `cargo run --bin parte3-poll -- --atraso 2000` e, em dois terminais,
//!    `cargo run --bin cliente -- --tempo`: duas mensagens quase juntas voltam
//!    juntas, 2 s depois, de uma thread só (mais a do log, em `ps -T`).
//! 2. `cargo run --release --bin inundacao -- --rapido --so parte3-poll`:
//!    quatro conexões inundam, e um cliente leve ainda é atendido na hora.

use crate::{conexao::Conexao, conexao::Relogios, log::Log};
use anyhow::Result;
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use common::{erros::descrever, erros::falhou, erros::perdeu_so_esta_conexao, texto::Cliente};
use mio::{net::TcpListener, Events, Interest, Poll, Token};
use socket2::{Domain, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::{cmp::Reverse, io::ErrorKind, time::Duration, time::Instant};

const ESCUTA: Token = Token(0); // o socket de escuta; cada conexão, o seu número
const PARTE: usize = 32 * 1024; // a regra da vez: o que uma conexão lê por volta
const PAUSA: Duration = Duration::from_millis(100); // depois de um erro no accept()

struct Laco {
    poll: Poll,
    conexoes: HashMap<Token, Conexao>,
    prontas: VecDeque<Token>, // quem pode ler sem esperar aviso, na ordem da vez
    relogios: Relogios,
    log: Log,
    lidos: Box<[u8]>, // o buffer de leitura, um só para todas as conexões
    atraso: Duration,
    aceitas: u64,
}

/// Abre o socket de escuta e atende clientes para sempre, numa thread só.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    // socket, SO_REUSEADDR (só no Unix), bind e listen, como na Parte 3.
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    let escuta = std::net::TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    // NOVO: nem o accept() bloqueia (sem ninguém na fila, devolve WouldBlock).
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let mut escuta = TcpListener::from_std(escuta);
    let poll = Poll::new().map_err(falhou("criar o poll"))?;
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    let log = Log::iniciar().map_err(falhou("criar a thread do log"))?;
    let (conexoes, prontas, relogios) = (HashMap::new(), VecDeque::new(), Relogios::new());
    let lidos = vec![0; PARTE].into_boxed_slice();
    let mut laco = Laco { poll, conexoes, prontas, relogios, log, lidos, atraso, aceitas: 0 };
    laco.log.linha("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // A única espera: até um aviso ou o próximo relógio (nenhuma com
        // conexões prontas; com o log atrasado, 1 ms, para ver se ele andou).
        let proximo = laco.relogios.peek().map(|Reverse((hora, _))| *hora);
        let espera = match (laco.log.atrasado(), laco.prontas.is_empty()) {
            (true, _) => Some(Duration::from_millis(1)),
            (false, false) => Some(Duration::ZERO),
            (false, true) => proximo.map(|hora| hora.saturating_duration_since(Instant::now())),
        };
        match laco.poll.poll(&mut eventos, espera) {
            Err(e) if e.kind() != ErrorKind::Interrupted => return Err(falhou("poll()")(e)),
            _ => {}
        }
        for evento in eventos.iter() {
            match evento.token() {
                ESCUTA => laco.aceitar(&escuta),
                token => laco.pronta(token),
            }
        }
        while laco.relogios.peek().is_some_and(|Reverse((hora, _))| *hora <= Instant::now()) {
            let Some(Reverse((_, numero))) = laco.relogios.pop() else { break };
            match Token(numero as usize) {
                ESCUTA => laco.aceitar(&escuta), // o accept() de novo, depois de um erro
                token => laco.pronta(token),     // uma resposta presa, ou um prazo
            }
        }
        laco.uma_volta();
    }
}

impl Laco {
    /// Aceita até o `WouldBlock`: o aviso não se repete pelas que já esperam. Com o log atrasado
    /// (cada conexão é mais uma linha) ou um erro, elas esperam na fila do `listen()` 100 ms.
    fn aceitar(&mut self, escuta: &TcpListener) {
        while !self.log.atrasado() {
            let (mut socket, endereco) = match escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                    match perdeu_so_esta_conexao(&e) {
                        true => continue,
                        false => break, // ex.: sem descritores
                    }
                }
            };
            self.aceitas += 1;
            let cliente = Cliente { numero: self.aceitas, endereco };
            let token = Token(self.aceitas as usize);
            if let Err(e) = self.poll.registry().register(&mut socket, token, Interest::READABLE) {
                self.log.linha(format!("{cliente} Sem registro no poll(): {}", descrever(&e)));
                continue;
            }
            // Sem Nagle, como nas threads: respostas seguidas não esperam ACK.
            let _ = socket.set_nodelay(true);
            self.log.linha(format!("{cliente} Conectado"));
            self.conexoes.insert(token, Conexao::nova(cliente, socket, self.atraso));
        }
        self.relogios.push(Reverse((Instant::now() + PAUSA, 0))); // tenta de novo em 100 ms
    }

    /// Põe a conexão no fim da fila das prontas, se já não está nela.
    fn pronta(&mut self, token: Token) {
        if let Some(c) = self.conexoes.get_mut(&token).filter(|c| !c.na_fila) {
            c.na_fila = true;
            self.prontas.push_back(token);
        }
    }

    /// A regra da vez: cada volta atende, na ordem, as conexões prontas quando ela começou, e cada
    /// uma lê no máximo a sua [`PARTE`]; quem a esgotou pode ter mais e volta para o fim da fila
    /// (o mio só avisa de novo quando chega mais dado). Sem ela, com 4 conexões inundando
    /// (`inundacao`), um cliente leve recebia 1 resposta em 25 s; com ela, espera até 2 ms (p99;
    /// com o log, até 15 ms). O custo está no tamanho da parte: com 64 KiB a inundação anda 5%
    /// mais, e o leve, com log, 30 ms.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            if self.log.atrasado() {
                break; // quem ficou guarda o lugar e lê primeiro quando o log andar
            }
            let Some(token) = self.prontas.pop_front() else { break };
            let Some(c) = self.conexoes.get_mut(&token) else { continue };
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            c.na_fila = c.vez(&mut self.lidos, &self.log, &mut self.relogios);
            let depois = c.interesse();
            if depois != antes {
                let registro = self.poll.registry().reregister(&mut c.socket, token, depois);
                let _ = registro.map_err(|e| c.falhou(&e));
            }
            if c.na_fila {
                self.prontas.push_back(token);
            } else if let Some(linha) = c.linha_final() {
                // Destruir a `Conexao` fecha o socket: o close().
                let Some(mut c) = self.conexoes.remove(&token) else { continue };
                let _ = self.poll.registry().deregister(&mut c.socket);
                self.log.linha(linha);
            }
        }
    }
}
