//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! A Parte 3 como o `selectors` do Python: uma thread registra os sockets no poll (o `mio`),
//! espera algum ficar pronto ([`servir`]) e dá a vez a cada um ([`Laco::uma_volta`]): a conexão
//! escreve o que ficou preso, lê a sua parte e responde (`conexao.rs`). Parada, custa um `struct`.
//!
//! **Por borda, e não por nível.** O `selectors` avisa por nível: enquanto houver bytes, todo
//! `select()` devolve o socket. O mio avisa por borda (epoll com EPOLLET, kqueue com EV_CLEAR;
//! no Windows, sobre o IOCP, só vigia de novo depois de um `WouldBlock`): um aviso quando algo
//! muda, e nenhum enquanto os bytes esperam. Por isso cada vez lê até o `WouldBlock`, e quem parou
//! antes (a parte encheu) fica numa fila nossa, `prontas`, e tem outra vez sem aviso novo.
//!
//! Leia este arquivo e `conexao.rs`, o núcleo (o que um servidor com `selectors` também tem); só
//! depois `cuidados.rs`: o `--atraso` e o fechamento depois do `Erro:` sem esperas, e o log.
//!
//! ## Como observar
//! `cargo run --bin parte3-poll -- --atraso 2000` e dois `cargo run --bin cliente -- --tempo`:
//! duas mensagens quase juntas voltam juntas, 2 s depois, de uma thread só. E `just inundacao
//! --rapido --so parte3-poll`: quatro conexões inundam, e um cliente leve ainda é atendido.

use crate::conexao::Conexao;
use crate::cuidados::{espera, vencido, Log, Relogios};
use anyhow::Result;
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use common::{erros::descrever, erros::falhou, erros::perdeu_so_esta_conexao, log, log::linha};
use mio::{net::TcpListener, Events, Interest, Poll, Token};
use socket2::{Domain, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::{io::ErrorKind, time::Duration, time::Instant};

const ESCUTA: Token = Token(0); // o socket de escuta; cada conexão, o número do seu cliente
const PAUSA: Duration = Duration::from_millis(100); // o accept() de novo, após um erro geral
pub const PARTE: usize = 32 * 1024; // a regra da vez: o que uma conexão lê numa vez, no máximo

struct Laco {
    escuta: TcpListener,
    poll: Poll, // o seletor: vigia os sockets registrados
    conexoes: HashMap<Token, Conexao>,
    prontas: VecDeque<Token>, // quem tem a vez nesta volta (avisou, ou pode ter mais)
    log: Log,
    relogios: Relogios,
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
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?; // o `seletor.register`
    let (log, _escritor) = log::iniciar().map_err(falhou("criar a thread do log"))?;
    let (conexoes, prontas, relogios, aceitas) = Default::default();
    let mut laco = Laco { escuta, poll, conexoes, prontas, log, relogios, atraso, aceitas };
    let _ = laco.log.send(linha("Aguardando conexões...".to_string()));
    let (mut eventos, mut lidos) = (Events::with_capacity(1024), [0; PARTE]); // `lidos`: um só
    loop {
        // O `seletor.select()`: espera um aviso ou a próxima hora; com prontas, só olha.
        let espera =
            if laco.prontas.is_empty() { espera(&laco.relogios) } else { Some(Duration::ZERO) };
        match laco.poll.poll(&mut eventos, espera) {
            Err(e) if e.kind() != ErrorKind::Interrupted => return Err(falhou("poll()")(e)),
            _ => {}
        }
        eventos.iter().for_each(|evento| laco.acordar(evento.token()));
        while let Some(token) = vencido(&mut laco.relogios) {
            laco.acordar(token); // uma hora marcada conta como um aviso (`cuidados.rs`)
        }
        laco.uma_volta(&mut lidos);
    }
}

impl Laco {
    /// Um aviso: o socket de escuta aceita; uma conexão entra na fila das prontas (uma vez só).
    fn acordar(&mut self, token: Token) {
        if token == ESCUTA {
            return self.aceitar();
        }
        if let Some(c) = self.conexoes.get_mut(&token).filter(|c| !c.na_fila) {
            c.na_fila = true;
            self.prontas.push_back(token);
        }
    }
    /// Aceita até o `WouldBlock`: por borda, o aviso não se repete pelas que ficarem no `listen()`.
    fn aceitar(&mut self) {
        loop {
            let (mut socket, endereco) = match self.escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    let _ = self.log.send(linha(format!("Erro no accept(): {}", descrever(&e))));
                    if !perdeu_so_esta_conexao(&e) {
                        self.relogios.insert((Instant::now() + PAUSA, ESCUTA)); // sem `sleep`
                        return;
                    }
                    continue;
                }
            };
            self.aceitas += 1;
            let cliente = common::texto::Cliente { numero: self.aceitas, endereco };
            let token = Token(self.aceitas as usize);
            if let Err(e) = self.poll.registry().register(&mut socket, token, Interest::READABLE) {
                let texto = format!("{cliente} Sem registro no poll(): {}", descrever(&e));
                let _ = self.log.send(linha(texto));
                continue;
            }
            let _ = socket.set_nodelay(true); // sem Nagle, como nas threads
            let _ = self.log.send(linha(format!("{cliente} Conectado")));
            self.conexoes.insert(token, Conexao::nova(socket, cliente, self.atraso));
        }
    }
    /// A regra da vez (a justiça): cada pronta, uma vez por volta (até [`PARTE`] bytes lidos e as
    /// respostas); quem pode ter mais volta ao fim da fila, depois das outras.
    fn uma_volta(&mut self, lidos: &mut [u8]) {
        for _ in 0..self.prontas.len() {
            let Some(token) = self.prontas.pop_front() else { return };
            let Some(c) = self.conexoes.get_mut(&token) else { continue }; // já fechou
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            c.na_fila = c.vez(lidos, &self.log, &mut self.relogios);
            let depois = c.interesse();
            if depois != antes {
                if let Err(e) = self.poll.registry().reregister(&mut c.socket, token, depois) {
                    c.falhou(&e);
                }
            }
            if let Some(ultima) = c.linha_final() {
                let _ = self.poll.registry().deregister(&mut c.socket); // o `seletor.unregister`
                self.conexoes.remove(&token); // destruir a `Conexao` fecha o socket: o close()
                let _ = self.log.send(linha(ultima)); // com a fila cheia, espera uma vaga
            } else if c.na_fila {
                self.prontas.push_back(token);
            }
        }
    }
}
