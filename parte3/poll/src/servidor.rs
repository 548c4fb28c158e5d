//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! A Parte 3 como o `selectors` do Python ([`servir`]): uma thread só registra os sockets no poll
//! (o `mio`: epoll, kqueue ou IOCP), espera algum ficar pronto e atende os prontos. Cada cliente
//! vira um `struct` (`conexao.rs`), e cada espera, uma fase. O log passa por uma fila (cheia, o
//! laço espera). Um cliente parado custa menos de 1 KiB, e não uma thread; a justiça, que o
//! escalonador dá às threads, aqui é de propósito ([`Laco::uma_volta`]).
//!
//! ## Como observar
//! 1. `cargo run --bin parte3-poll -- --atraso 2000` e, em dois terminais,
//!    `cargo run --bin cliente -- --tempo`: duas mensagens quase juntas voltam juntas, 2 s
//!    depois, de uma thread só (mais a do log, em `ps -T`).
//! 2. `cargo run --release --bin inundacao -- --rapido --so parte3-poll`: quatro conexões
//!    inundam, e um cliente leve ainda é atendido na hora.

use crate::conexao::{Conexao, Log, Relogios};
use anyhow::Result;
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use common::{erros::descrever, erros::falhou, erros::perdeu_so_esta_conexao, log, texto::Cliente};
use mio::{net::TcpListener, Events, Interest, Poll, Token};
use socket2::{Domain, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::{cmp::Reverse, io::ErrorKind, time::Duration, time::Instant};

const ESCUTA: Token = Token(0); // o socket de escuta; cada conexão, o número do seu cliente
const PAUSA: Duration = Duration::from_millis(100); // o accept() de novo, após um erro geral
const PARTE: usize = 32 * 1024; // a regra da vez: o que uma conexão lê numa vez, no máximo,
pub const LINHAS_POR_VEZ: usize = 128; // e as linhas de log que escreve

struct Laco {
    escuta: TcpListener,
    poll: Poll,
    log: Log,
    conexoes: HashMap<Token, Conexao>,
    prontas: VecDeque<Token>, // quem pode ter mais sem novo aviso (o mio avisa por borda)
    relogios: Relogios,
    lidos: [u8; PARTE], // o buffer de leitura, um só para todas as conexões
    atraso: Duration,
    aceitas: u64,
}

/// Abre o socket de escuta (como na Parte 3) e atende clientes para sempre, numa thread só.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
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
    let (log, _escritor) = log::iniciar().map_err(falhou("criar a thread do log"))?;
    let conexoes = HashMap::new();
    let prontas = VecDeque::new();
    let relogios = Relogios::new();
    let lidos = [0; PARTE];
    let mut laco =
        Laco { escuta, poll, log, conexoes, prontas, relogios, lidos, atraso, aceitas: 0 };
    let _ = laco.log.send(log::linha("Aguardando conexões...".to_string()));
    let mut eventos = Events::with_capacity(1024);
    loop {
        // Com conexões prontas, o poll() só olha; senão, espera até o próximo relógio, se houver.
        let proximo = laco.relogios.peek().map(|Reverse((hora, _))| *hora);
        let mut espera = proximo.map(|hora| hora.saturating_duration_since(Instant::now()));
        if !laco.prontas.is_empty() {
            espera = Some(Duration::ZERO);
        }
        match laco.poll.poll(&mut eventos, espera) {
            Err(e) if e.kind() != ErrorKind::Interrupted => return Err(falhou("poll()")(e)),
            _ => {}
        }
        for evento in eventos.iter() {
            laco.acordar(evento.token());
        }
        while laco.relogios.peek().is_some_and(|Reverse((hora, _))| *hora <= Instant::now()) {
            let Some(Reverse((_, token))) = laco.relogios.pop() else { break };
            laco.acordar(token); // o accept() de novo, uma resposta presa, um prazo
        }
        laco.uma_volta();
    }
}

impl Laco {
    /// Um aviso do poll, ou um relógio: o socket de escuta aceita; uma conexão entra na fila.
    fn acordar(&mut self, token: Token) {
        if token == ESCUTA {
            return self.aceitar();
        }
        let Some(c) = self.conexoes.get_mut(&token) else { return }; // já fechou
        if !c.na_fila {
            c.na_fila = true;
            self.prontas.push_back(token);
        }
    }

    /// Aceita até o `WouldBlock` (o aviso não se repete pelas que esperam no `listen()`).
    fn aceitar(&mut self) {
        loop {
            let (mut socket, endereco) = match self.escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    let _ =
                        self.log.send(log::linha(format!("Erro no accept(): {}", descrever(&e))));
                    if perdeu_so_esta_conexao(&e) {
                        continue;
                    }
                    return self.relogios.push(Reverse((Instant::now() + PAUSA, ESCUTA)));
                }
            };
            self.aceitas += 1;
            let cliente = Cliente { numero: self.aceitas, endereco };
            let token = Token(self.aceitas as usize);
            if let Err(e) = self.poll.registry().register(&mut socket, token, Interest::READABLE) {
                let texto = format!("{cliente} Sem registro no poll(): {}", descrever(&e));
                let _ = self.log.send(log::linha(texto));
                continue;
            }
            let _ = socket.set_nodelay(true); // sem Nagle, como nas threads
            let _ = self.log.send(log::linha(format!("{cliente} Conectado")));
            self.conexoes.insert(token, Conexao::nova(cliente, socket, self.atraso));
        }
    }

    /// A regra da vez: cada volta atende, na ordem, as prontas de quando ela começou; cada uma lê
    /// até [`PARTE`] e escreve até [`LINHAS_POR_VEZ`] linhas de log, e quem pode ter mais (o mio
    /// só avisa quando chega dado novo) volta ao fim da fila. Com 4 conexões inundando, um cliente
    /// leve esperava 25 s sem ela; com ela, 0,6 ms (mediana, `inundacao`). Com log, 6 ms com 2.048
    /// linhas por vez (70 ms sob o Wine), 0,5 ms com 128 (9 ms); e a inundação anda 20% menos.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            let Some(token) = self.prontas.pop_front() else { return };
            let Some(c) = self.conexoes.get_mut(&token) else { continue }; // já fechou
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            let mais = c.vez(&mut self.lidos, &self.log, &mut self.relogios);
            let depois = c.interesse();
            if depois != antes {
                if let Err(e) = self.poll.registry().reregister(&mut c.socket, token, depois) {
                    c.falhou(&e);
                }
            }
            if let Some(linha) = c.linha_final() {
                let _ = self.poll.registry().deregister(&mut c.socket);
                self.conexoes.remove(&token); // destruir a `Conexao` fecha o socket: o close()
                let _ = self.log.send(log::linha(linha)); // com a fila cheia, espera uma vaga
                continue;
            }
            c.na_fila = mais;
            if mais {
                self.prontas.push_back(token);
            }
        }
    }
}
