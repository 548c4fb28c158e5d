//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! A Parte 3 como o `selectors` do Python: uma thread só registra os sockets no poll (o `mio`),
//! espera algum ficar pronto ([`servir`]) e dá a vez a cada um que ficou ([`Laco::uma_volta`]).
//! Na sua vez, a conexão escreve o que ficou preso e lê uma vez e responde (`conexao.rs`). O que
//! a thread de um cliente guardava na pilha (a linha pela metade, as respostas que o kernel ainda
//! não aceitou) vira um `struct`, e um cliente parado custa esse `struct`, e não uma thread.
//!
//! ## Por borda, e não por nível: a diferença para o `selectors`
//! O `selectors` avisa por nível: enquanto houver bytes no socket, cada `select()` o devolve. O
//! mio avisa por borda (epoll com EPOLLET, kqueue com EV_CLEAR; no Windows, sobre o IOCP, ele
//! só vigia de novo depois de um `WouldBlock`): um aviso quando algo muda, e nenhum outro enquanto
//! os bytes esperam. Por isso a conexão que leu na sua vez e pode ter mais fica numa fila nossa,
//! `prontas`, e tem outra vez na volta seguinte, sem aviso; só sai dela quando a leitura dá
//! `WouldBlock`. Esquecida, ficaria parada para sempre, com os bytes no kernel.
//!
//! ## A regra da vez (a justiça)
//! Cada conexão pronta tem, por volta, uma leitura de até [`PARTE`] bytes e as respostas que ela
//! gera; quem tem mais volta ao fim da fila, depois dos outros. Assim quem nunca para de enviar
//! não segura o laço. As threads têm isso de graça (o escalonador do kernel); aqui, só de
//! propósito. Custa uma leitura a mais por mensagem (a que ouve o `WouldBlock`).
//!
//! ## Como observar
//! 1. `cargo run --bin parte3-poll -- --atraso 2000` e, em dois terminais,
//!    `cargo run --bin cliente -- --tempo`: duas mensagens quase juntas voltam juntas, 2 s
//!    depois, de uma thread só (mais a do log, em `ps -T`).
//! 2. `just inundacao --rapido --so parte3-poll`: quatro conexões inundam, e um cliente leve
//!    ainda é atendido na hora. `just escala`: quanto custa uma conexão parada.

use crate::conexao::Conexao;
use crate::cuidados::{Log, Relogios};
use anyhow::Result;
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use common::{erros::descrever, erros::falhou, erros::perdeu_so_esta_conexao, texto::Cliente};
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
    lidos: [u8; PARTE],       // o buffer de leitura, um só para todas as conexões
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
    let log = Log::iniciar().map_err(falhou("criar a thread do log"))?;
    let (conexoes, prontas, relogios) = (HashMap::new(), VecDeque::new(), Relogios::default());
    let mut laco = Laco {
        escuta,
        poll,
        conexoes,
        prontas,
        lidos: [0; PARTE],
        log,
        relogios,
        atraso,
        aceitas: 0,
    };
    laco.log.registrar("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // O `seletor.select()`: espera um aviso (ou a próxima hora marcada); com alguém na fila
        // das prontas, só olha, sem esperar.
        let espera =
            if laco.prontas.is_empty() { laco.relogios.espera() } else { Some(Duration::ZERO) };
        match laco.poll.poll(&mut eventos, espera) {
            Err(e) if e.kind() != ErrorKind::Interrupted => return Err(falhou("poll()")(e)),
            _ => {}
        }
        for evento in eventos.iter() {
            laco.acordar(evento.token());
        }
        while let Some(token) = laco.relogios.vencido() {
            laco.acordar(token); // uma hora marcada conta como um aviso (`cuidados.rs`)
        }
        laco.uma_volta();
    }
}

impl Laco {
    /// Um aviso: o socket de escuta aceita; uma conexão entra na fila das prontas (uma vez só).
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

    /// Aceita até o `WouldBlock`: por borda, o aviso não se repete pelas que ficarem no `listen()`.
    fn aceitar(&mut self) {
        loop {
            let (mut socket, endereco) = match self.escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.registrar(format!("Erro no accept(): {}", descrever(&e)));
                    if perdeu_so_esta_conexao(&e) {
                        continue;
                    }
                    return self.relogios.marcar(Instant::now() + PAUSA, ESCUTA);
                    // sem `sleep`
                }
            };
            self.aceitas += 1;
            let cliente = Cliente { numero: self.aceitas, endereco };
            let token = Token(self.aceitas as usize);
            if let Err(e) = self.poll.registry().register(&mut socket, token, Interest::READABLE) {
                self.log.registrar(format!("{cliente} Sem registro no poll(): {}", descrever(&e)));
                continue;
            }
            let _ = socket.set_nodelay(true); // sem Nagle, como nas threads
            self.log.registrar(format!("{cliente} Conectado"));
            self.conexoes.insert(token, Conexao::nova(cliente, socket, self.atraso));
        }
    }

    /// A regra da vez: cada volta atende, na ordem, as prontas de quando ela começou, uma vez
    /// cada; quem pode ter mais (leu, e o mio não avisará de novo) volta ao fim da fila.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            let Some(token) = self.prontas.pop_front() else { return };
            let Some(c) = self.conexoes.get_mut(&token) else { continue }; // já fechou
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            self.log.nova_vez();
            let mais = c.vez(&mut self.lidos, &mut self.log, &mut self.relogios);
            let depois = c.interesse();
            if depois != antes {
                // O `seletor.modify`: agora vigia outra coisa ("legível" ou "gravável").
                if let Err(e) = self.poll.registry().reregister(&mut c.socket, token, depois) {
                    c.falhou(&e);
                }
            }
            if let Some(linha) = c.linha_final() {
                let _ = self.poll.registry().deregister(&mut c.socket); // o `seletor.unregister`
                self.conexoes.remove(&token); // destruir a `Conexao` fecha o socket: o close()
                self.log.registrar(linha);
                continue;
            }
            c.na_fila = mais;
            if mais {
                self.prontas.push_back(token);
            }
        }
    }
}
