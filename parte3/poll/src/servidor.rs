//! # Parte 3, outro caminho: uma thread, sockets não bloqueantes e `poll`
//!
//! A Parte 3 como no `selectors` do Python: uma thread registra os sockets no poll (o `mio`),
//! espera algum ficar pronto ([`servir`]) e dá a vez a cada um ([`Laco::uma_volta`]): a conexão
//! escreve o que ficou preso e responde ao que chegou, até a cota da vez (`conexao.rs`). Onde a
//! thread de um cliente dormiria, o laço marca uma hora ([`Prazos`]).
//!
//! **Por borda, e não por nível.** O `selectors` avisa por nível: enquanto houver bytes, todo
//! `select()` devolve o socket. O mio avisa por borda (epoll com EPOLLET, kqueue com EV_CLEAR, no
//! Windows o IOCP): um aviso quando algo muda, nenhum enquanto os bytes esperam. Por isso cada vez
//! lê até o `WouldBlock`, e quem parou antes (a sua cota acabou) fica na fila `prontas`.
//!
//! Para ver: `--atraso 2000` e dois `cliente --tempo`: as duas respostas voltam juntas, 2 s depois,
//! de uma thread só; e `just inundacao --rapido --so parte3-poll`: um cliente leve entre quatro que
//! inundam. Limitações (como na Parte 3): sem limite de clientes, e uma conexão parada fica aberta.

use crate::conexao::Conexao;
use anyhow::Result;
use common::log::LogSemEspera;
use common::rede::{abrir_escuta, ArgsServidor};
use common::{erros::descrever, erros::falhou, erros::perdeu_so_esta_conexao, log};
use mio::{net::TcpListener, Events, Interest, Poll, Token};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::{io::ErrorKind, time::Duration, time::Instant};

const ESCUTA: Token = Token(0); // a etiqueta da escuta no poll; a de uma conexão é o seu número
const PAUSA: Duration = Duration::from_millis(100); // após um erro geral, até o próximo accept()
/// As horas marcadas (`--atraso`, o fim depois do `Erro:`, o `accept()` de novo) e de quem são.
pub type Prazos = BTreeSet<(Instant, Token)>;

struct Laco {
    escuta: TcpListener,
    poll: Poll, // o seletor: vigia os sockets registrados
    conexoes: HashMap<Token, Conexao>,
    prontas: VecDeque<Token>, // quem tem a vez nesta volta: avisou, ou pode ter mais para ler
    log: LogSemEspera, // o laço não espera o terminal: com a fila cheia, a linha é descartada
    prazos: Prazos,
    atraso: Duration,
    aceitas: u64, // quantas já foram aceitas: dá o número do próximo cliente
}

/// Abre o socket de escuta (como na Parte 3) e atende clientes para sempre, numa thread só.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let escuta = abrir_escuta(args, backlog)?;
    // NOVO: nem o accept() bloqueia (sem ninguém na fila, devolve WouldBlock).
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let mut escuta = TcpListener::from_std(escuta);
    let poll = Poll::new().map_err(falhou("criar o poll"))?;
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?; // o `seletor.register`
    let (log, _escritor) = log::iniciar().map_err(falhou("criar a thread do log"))?;
    let mut laco = Laco {
        escuta,
        poll,
        conexoes: HashMap::new(),
        prontas: VecDeque::new(),
        log: LogSemEspera::novo(log),
        prazos: Prazos::new(),
        atraso,
        aceitas: 0,
    };
    laco.log.registrar("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // O `seletor.select()`: espera um aviso ou a hora marcada mais cedo; com prontas, só olha.
        let ate = laco.prazos.first().map(|(h, _)| h.saturating_duration_since(Instant::now()));
        let limite = if laco.prontas.is_empty() { ate } else { Some(Duration::ZERO) };
        match laco.poll.poll(&mut eventos, limite) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue, // um sinal: não é erro
            resultado => resultado.map_err(falhou("poll()"))?,
        }
        for evento in eventos.iter() {
            laco.acordar(evento.token());
        }
        laco.horas_que_chegaram();
        laco.uma_volta();
    }
}

impl Laco {
    /// Um aviso: o socket de escuta aceita; uma conexão entra na fila das prontas (uma vez só).
    fn acordar(&mut self, token: Token) {
        if token == ESCUTA {
            self.aceitar();
        } else if let Some(c) = self.conexoes.get_mut(&token) {
            if !c.na_fila {
                c.na_fila = true;
                self.prontas.push_back(token);
            }
        }
    }
    /// Aceita até o `WouldBlock`: por borda, o aviso não se repete pelas que ficarem no `listen()`.
    fn aceitar(&mut self) {
        loop {
            let (mut socket, endereco) = match self.escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return, // ninguém mais na fila
                Err(e) => {
                    self.log.registrar(format!("Erro no accept(): {}", descrever(&e)));
                    if perdeu_so_esta_conexao(&e) {
                        continue; // só aquele cliente se perdeu
                    }
                    self.prazos.insert((Instant::now() + PAUSA, ESCUTA)); // e não um `sleep`
                    return;
                }
            };
            self.aceitas += 1;
            let cliente = common::texto::Cliente { numero: self.aceitas, endereco };
            let token = Token(self.aceitas as usize);
            if let Err(e) = self.poll.registry().register(&mut socket, token, Interest::READABLE) {
                let texto = format!("{cliente} Sem registro no poll(): {}", descrever(&e));
                self.log.registrar(texto);
                continue;
            }
            let _ = socket.set_nodelay(true); // sem Nagle, como nas threads
            self.log.registrar(format!("{cliente} Conectado"));
            self.conexoes.insert(token, Conexao::nova(socket, cliente, self.atraso));
        }
    }
    /// Cada hora marcada que chegou dá a vez a quem a marcou, como um aviso.
    fn horas_que_chegaram(&mut self) {
        while let Some(&(hora, token)) = self.prazos.first() {
            if hora > Instant::now() {
                return;
            }
            self.prazos.pop_first();
            if let Some(c) = self.conexoes.get_mut(&token) {
                c.na_hora(); // a resposta presa pode sair, ou o fechamento desiste
            }
            self.acordar(token);
        }
    }
    /// A justiça: cada pronta tem uma vez por volta (até a cota de `conexao.rs`); quem pode ter
    /// mais volta ao fim da fila, depois das outras.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            let Some(token) = self.prontas.pop_front() else { return };
            let Some(c) = self.conexoes.get_mut(&token) else { continue }; // já fechou
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            c.na_fila = c.vez(&self.log, &mut self.prazos); // fica se pode ter mais
            let depois = c.interesse();
            if depois != antes {
                if let Err(e) = self.poll.registry().reregister(&mut c.socket, token, depois) {
                    c.falhou(&e);
                }
            }
            if let Some(ultima) = c.linha_final() {
                let _ = self.poll.registry().deregister(&mut c.socket); // o `seletor.unregister`
                self.conexoes.remove(&token); // destruir a `Conexao` fecha o socket: o close()
                self.log.registrar(ultima);
            } else if c.na_fila {
                self.prontas.push_back(token); // outra vez, depois das outras, sem aviso novo
            }
        }
    }
}
