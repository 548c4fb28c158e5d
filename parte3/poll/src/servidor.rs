//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! O servidor da Parte 3 como o `selectors` do Python: uma thread só
//! registra os sockets no poll (o `mio`: epoll, kqueue ou IOCP), espera
//! algum ficar pronto e atende os prontos: lê o que chegou e responde;
//! escreve quando o socket aceita. Nada bloqueia; a única espera é o `poll()`.
//!
//! O que muda em relação às threads: o que a thread guardava em variáveis
//! vira um `struct` (`conexao.rs`), e cada espera vira um estado: a escrita
//! pela metade espera o aviso de "gravável", o `--atraso` vira uma hora
//! marcada, o `Erro:` fecha devagar sem parar o laço, e o log passa por uma
//! fila (`log.rs`). Em troca, um cliente parado custa menos de 1 KiB, e não
//! uma thread. E a justiça, que o escalonador dá às threads, aqui é de
//! propósito: a regra da vez ([`Laco::uma_volta`]).
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-poll -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as respostas chegam juntas, 2 s depois,
//!    de uma thread só (`ps -T` mostra mais uma, a do log).
//! 3. `cargo run --release --bin inundacao -- --rapido --so parte3-poll`:
//!    quatro conexões inundam, e um cliente leve ainda é atendido na hora.

use crate::{conexao::Conexao, conexao::Relogios, log::Log};
use anyhow::Result;
use common::erros::{descrever, falhou, perdeu_so_esta_conexao};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use common::texto::Cliente;
use mio::{net::TcpListener, Events, Interest, Poll, Token};
use slab::Slab;
use socket2::{Domain, Socket, Type};
use std::{cmp::Reverse, collections::VecDeque, io::ErrorKind, time::Duration, time::Instant};

/// O token do socket de escuta (os das conexões são as chaves do `Slab`).
const ESCUTA: Token = Token(usize::MAX);
/// A parte de cada conexão numa volta (a regra da vez): bytes de mensagens.
const PARTE: usize = 32 * 1024;
/// Com o log atrasado, de quanto em quanto tempo ver se a fila dele andou.
const ESPERA_PELO_LOG: Duration = Duration::from_millis(1);

struct Laco {
    poll: Poll,
    /// As conexões abertas; a chave de cada uma é o seu `Token` no poll.
    conexoes: Slab<Conexao>,
    /// As prontas: quem pode ler sem esperar aviso, na ordem da vez.
    prontas: VecDeque<usize>,
    relogios: Relogios,
    log: Log,
    atraso: Duration,
    aceitas: u64,
}

/// Abre o socket de escuta e atende clientes para sempre, numa thread só.
/// Só volta (com o erro) se não abrir o socket ou se o `poll()` falhar.
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
    // NOVO: o socket de escuta também não bloqueia (sem ninguém na fila, o
    // accept() devolve WouldBlock), e é o primeiro registrado no poll.
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let mut escuta = TcpListener::from_std(escuta);
    let poll = Poll::new().map_err(falhou("criar o poll"))?;
    poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    let log = Log::iniciar().map_err(falhou("criar a thread do log"))?;
    let (conexoes, prontas, relogios) = (Slab::new(), VecDeque::new(), Relogios::new());
    let mut laco = Laco { poll, conexoes, prontas, relogios, log, atraso, aceitas: 0 };
    laco.log.linha("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // A única espera: até um aviso ou o próximo relógio; nenhuma, com
        // conexões prontas; um instante, com o log atrasado.
        let proximo = laco.relogios.peek().map(|Reverse((hora, _))| *hora);
        let espera = match (laco.log.atrasado(), laco.prontas.is_empty()) {
            (true, _) => Some(ESPERA_PELO_LOG),
            (false, false) => Some(Duration::ZERO),
            (false, true) => proximo.map(|hora| hora.saturating_duration_since(Instant::now())),
        };
        if let Err(e) = laco.poll.poll(&mut eventos, espera) {
            if e.kind() != ErrorKind::Interrupted {
                return Err(falhou("poll()")(e));
            }
        }
        for evento in eventos.iter() {
            match evento.token() {
                ESCUTA => laco.aceitar(&escuta),
                Token(chave) => laco.pronta(chave),
            }
        }
        while laco.relogios.peek().is_some_and(|Reverse((hora, _))| *hora <= Instant::now()) {
            let Some(Reverse((_, chave))) = laco.relogios.pop() else { break };
            laco.pronta(chave); // a hora de uma resposta presa, ou um prazo
        }
        laco.uma_volta();
    }
}

impl Laco {
    /// Aceita todas as conexões que esperam: o poll avisa uma vez por
    /// chegada (e no Windows só volta a avisar depois de um `WouldBlock`).
    fn aceitar(&mut self, escuta: &TcpListener) {
        loop {
            let (mut socket, endereco) = match escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                    match perdeu_so_esta_conexao(&e) {
                        true => continue,
                        false => return, // ex.: sem descritores; a próxima conexão traz outro aviso
                    }
                }
            };
            self.aceitas += 1;
            let cliente = Cliente { numero: self.aceitas, endereco };
            let chave = self.conexoes.vacant_key();
            let registro =
                self.poll.registry().register(&mut socket, Token(chave), Interest::READABLE);
            if let Err(e) = registro {
                self.log.linha(format!("{cliente} Sem registro no poll(): {}", descrever(&e)));
                continue;
            }
            // Sem o algoritmo de Nagle: uma resposta logo depois da outra não
            // espera o ACK da anterior (`just nagle`; `parte3/src/servidor.rs`).
            let _ = socket.set_nodelay(true);
            self.log.linha(format!("{cliente} Conectado"));
            self.conexoes.insert(Conexao::nova(cliente, chave, socket, self.atraso));
        }
    }

    /// Põe a conexão no fim da fila das prontas (se já não está nela).
    fn pronta(&mut self, chave: usize) {
        let Some(c) = self.conexoes.get_mut(chave) else { return };
        if !c.na_fila {
            c.na_fila = true;
            self.prontas.push_back(chave);
        }
    }

    /// A regra da vez: cada volta atende, na ordem, as conexões prontas
    /// quando ela começou, e cada uma lê no máximo a sua parte,
    /// [`PARTE`]. Quem encheu a parte pode ter mais: volta para o
    /// fim da fila, depois das outras (o mio só avisa de novo quando chega
    /// mais dado). Sem ela, quem nunca para de enviar segura o laço: com 4
    /// conexões inundando (`inundacao`), um cliente leve recebia 1 resposta
    /// em 25 s; com ela, MEDIR. O custo: MEDIR.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            if self.log.atrasado() {
                break; // quem ficou guarda o lugar e lê primeiro quando o log andar
            }
            let Some(chave) = self.prontas.pop_front() else { break };
            let Some(c) = self.conexoes.get_mut(chave) else { continue };
            let antes = c.interesse(); // o que o poll vigia desde a vez anterior
            let mais = c.vez(PARTE, &mut self.log, &mut self.relogios);
            let depois = c.interesse();
            if depois != antes && !c.terminou() {
                let registro = self.poll.registry().reregister(&mut c.socket, Token(chave), depois);
                registro.unwrap_or_else(|e| c.falhou(&e));
            }
            c.na_fila = mais && !c.terminou();
            if c.na_fila {
                self.prontas.push_back(chave);
            } else if c.terminou() {
                // Destruir a `Conexao` fecha o socket: o close().
                let mut c = self.conexoes.remove(chave);
                let _ = self.poll.registry().deregister(&mut c.socket);
                self.log.linha(c.linha_de_desfecho());
            }
        }
    }
}
