//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! O mesmo servidor da Parte 3 com o segundo modelo de concorrência da
//! atividade, o `select`/`selectors` do Python: uma thread só registra os
//! sockets no poll, espera algum ficar pronto e atende os prontos: lê uma
//! vez e responde; escreve quando o socket aceita. Nenhuma chamada
//! bloqueia (um socket sem dados devolve `WouldBlock` na hora); a única
//! espera do programa é o `poll()` deste arquivo.
//!
//! O que mudou em relação às threads, e por quê: sem uma pilha por
//! cliente, o que a thread guardava em variáveis locais vira um `struct`
//! (`conexao.rs`), e o que ela fazia bloqueando vira código que devolve a
//! vez: uma escrita pode sair pela metade (o resto espera o aviso de
//! "gravável"); o `--atraso` vira um relógio, porque um `sleep` pararia
//! todos os clientes; o `Erro:` da linha grande fecha devagar sem parar o
//! laço; e o log não pode ser um `println!` (`log.rs`). Em troca, um
//! cliente parado custa menos de 1 KiB, não uma thread.
//!
//! E a justiça, que com threads o escalonador do kernel dá de graça, aqui
//! é de propósito: a regra da vez ([`Laco::uma_volta`]). Cada conexão
//! pronta lê no máximo 16 KiB por volta, e quem pode ter mais espera a
//! volta seguinte, depois das outras. Sem ela, um cliente que nunca para
//! de enviar seguraria os outros para sempre; o custo, medido, está lá.
//!
//! Ordem de leitura: este arquivo (o socket de escuta, o laço, o
//! `accept()` e a regra da vez); `conexao.rs` (a vez de uma conexão);
//! `log.rs`. Por que `mio`: é a camada de poll padrão do Rust (o tokio é
//! construído sobre ela), a mesma interface sobre epoll (Linux), kqueue
//! (macOS) e IOCP (Windows).
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-poll -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas, cerca
//!    de 2 s depois, com uma thread só de atendimento (`ps -T` mostra mais
//!    uma, a do log).
//! 3. A regra da vez: `cargo run --release --bin inundacao -- --rapido --so
//!    parte3-poll` mede quanto um cliente leve espera enquanto quatro
//!    conexões inundam o servidor.

use crate::conexao::{Cliente, Conexao, Relogios};
use crate::log::Log;
use anyhow::Result;
use common::erros::{descrever, falhou, perdeu_so_esta_conexao};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use socket2::{Domain, Socket, Type};
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// O token do socket de escuta (os das conexões são as chaves do `Slab`).
const ESCUTA: Token = Token(usize::MAX);

/// A regra da vez: o máximo que uma conexão lê numa volta do laço.
const LEITURA_POR_VEZ: usize = 16 * 1024;

/// Com o log atrasado, de quanto em quanto tempo conferir se a fila andou
/// (ela não avisa o poll quando anda).
const ESPERA_PELO_LOG: Duration = Duration::from_millis(1);

/// O estado do laço. Com threads, cada uma guardava o seu cliente na pilha.
struct Laco {
    poll: Poll,
    /// As conexões abertas; a chave de cada uma é o seu `Token` no poll.
    conexoes: Slab<Conexao>,
    /// A fila das prontas: quem tem o que fazer sem esperar aviso do poll,
    /// na ordem em que será atendido (a regra da vez).
    prontas: VecDeque<usize>,
    relogios: Relogios,
    atraso: Duration,
    log: Log,
    /// Número do próximo cliente.
    numero: u64,
    /// O buffer de leitura, um só para todas as conexões (`conexao.rs`, a
    /// regra dos buffers).
    lidos: Box<[u8]>,
}

/// Abre o socket de escuta e atende clientes para sempre, numa thread só.
/// Só volta (com o erro) se não conseguir abrir o socket ou se o `poll()`
/// falhar.
pub fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    // A biblioteca padrão (`TcpListener::bind`) faz socket, bind e listen
    // numa chamada só, e sempre com listen(128); o crate socket2 expõe as
    // três, como o módulo `socket` do Python.
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    // Sem SO_REUSEADDR, reiniciar o servidor logo depois de encerrá-lo com
    // clientes conectados daria "porta em uso" por até 1 min: as conexões
    // que ele fechou primeiro ficam em TIME_WAIT (ou em FIN_WAIT_2, se o
    // cliente ainda não fechou a dele). No Windows a opção quer dizer outra
    // coisa: deixaria este servidor ocupar, sem erro, uma porta que outro
    // programa (o seu `servidor.py`) já usa. Lá, não a ligamos.
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()`.
    let escuta = std::net::TcpListener::from(escuta);
    anunciar(&escuta, args)?;


    // NOVO: o socket de escuta também não bloqueia (um accept() sem ninguém
    // na fila devolve WouldBlock), e o poll avisa quando alguém chega.
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let mut escuta = TcpListener::from_std(escuta);
    let mut laco = Laco {
        poll: Poll::new().map_err(falhou("criar o poll"))?,
        conexoes: Slab::new(),
        prontas: VecDeque::new(),
        relogios: Relogios::new(),
        atraso,
        log: Log::iniciar().map_err(falhou("criar a thread do log"))?,
        numero: 1,
        lidos: vec![0; LEITURA_POR_VEZ].into_boxed_slice(),
    };
    laco.poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    laco.log.linha("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // A única espera: até um socket ficar pronto ou o próximo relógio.
        if let Err(e) = laco.poll.poll(&mut eventos, laco.espera()) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(falhou("poll()")(e));
        }
        for evento in eventos.iter() {
            match evento.token() {
                ESCUTA => laco.aceitar(&escuta),
                Token(chave) => laco.pronta(chave, true),
            }
        }
        laco.disparar_relogios();
        laco.log.enviar();
        laco.uma_volta();
    }
}

impl Laco {
    /// Quanto o `poll()` pode dormir: nada, se há conexões prontas; com o
    /// log atrasado, um instante; senão, até o próximo relógio (ou aviso).
    fn espera(&self) -> Option<Duration> {
        let agora = Instant::now();
        let relogio = self.relogios.peek().map(|Reverse((t, _))| t.saturating_duration_since(agora));
        if self.log.atrasado() {
            Some(relogio.map_or(ESPERA_PELO_LOG, |r| r.min(ESPERA_PELO_LOG)))
        } else if !self.prontas.is_empty() {
            Some(Duration::ZERO)
        } else {
            relogio
        }
    }

    /// Aceita todas as conexões que esperam: o poll avisa uma vez por
    /// chegada (e no Windows só volta a avisar depois de um `WouldBlock`).
    fn aceitar(&mut self, escuta: &TcpListener) {
        loop {
            let (mut socket, endereco) = match escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                    if perdeu_so_esta_conexao(&e) {
                        continue;
                    }
                    // Ex.: limite de arquivos abertos. A thread única não
                    // pode pausar; a próxima conexão traz um aviso novo.
                    return;
                }
            };
            let cliente = Cliente { numero: self.numero, endereco };
            self.numero += 1;
            let vaga = self.conexoes.vacant_entry();
            let registro =
                self.poll.registry().register(&mut socket, Token(vaga.key()), Interest::READABLE);
            if let Err(e) = registro {
                self.log.linha(format!("{cliente} Sem registro no poll(): {}", descrever(&e)));
                continue;
            }
            // Sem o algoritmo de Nagle: com ele, uma resposta escrita
            // enquanto a anterior ainda espera o ACK do cliente (duas
            // mensagens que chegaram juntas) ficaria retida até esse ACK,
            // que o cliente atrasa (uns 40 ms no Linux, até 200 ms no
            // Windows; `just nagle` mede). Se falhar, só se perde a otimização.
            let _ = socket.set_nodelay(true);
            self.log.linha(format!("{cliente} Conectado"));
            vaga.insert(Conexao::nova(cliente, socket));
        }
    }

    /// Põe a conexão no fim da fila das prontas (se já não está nela).
    /// `avisada`: o poll avisou algo do socket, então pode ter chegado dado.
    fn pronta(&mut self, chave: usize, avisada: bool) {
        let Some(c) = self.conexoes.get_mut(chave) else { return };
        c.vazio &= !avisada;
        if !c.na_fila {
            c.na_fila = true;
            self.prontas.push_back(chave);
        }
    }

    /// A regra da vez. Cada volta atende, na ordem da fila, as conexões que
    /// estavam prontas quando ela começou: cada uma lê uma vez, no máximo
    /// [`LEITURA_POR_VEZ`] bytes, e escreve as respostas. Quem ainda pode
    /// ter dados volta para o fim da fila e lê de novo na volta seguinte,
    /// depois das outras; só sai da fila quando a leitura dá `WouldBlock`.
    /// Esperar outro aviso do poll não serviria: o mio avisa por borda, uma
    /// vez a cada chegada de dados (e no Windows, só depois de um
    /// `WouldBlock`), e um cliente que enviou tudo e espera a resposta não
    /// traria aviso nenhum.
    ///
    /// O que ela impede: ler cada socket até esvaziá-lo, o mais natural,
    /// deixa quem nunca para de enviar segurar o laço, e os outros esperam
    /// para sempre. Medido antes dela (`inundacao`, 4 conexões inundando):
    /// o cliente leve recebeu 1 resposta em 25 s. Com ela: TODO.
    /// O que custa: TODO.
    fn uma_volta(&mut self) {
        for _ in 0..self.prontas.len() {
            let Some(chave) = self.prontas.pop_front() else { break };
            let Some(c) = self.conexoes.get_mut(chave) else { continue };
            c.na_fila = false;
            if c.vez(chave, &mut self.lidos, &mut self.log, &mut self.relogios, self.atraso) {
                c.na_fila = true;
                self.prontas.push_back(chave);
            }
            self.depois_da_vez(chave);
        }
    }

    /// Ajusta os avisos pedidos ao poll, ou fecha a conexão que terminou.
    fn depois_da_vez(&mut self, chave: usize) {
        let Some(c) = self.conexoes.get_mut(chave) else { return };
        let interesse = c.interesse_necessario();
        if !c.terminou() && interesse != c.interesse {
            match self.poll.registry().reregister(&mut c.socket, Token(chave), interesse) {
                Ok(()) => c.interesse = interesse,
                Err(e) => c.falhou(&e),
            }
        }
        if c.terminou() {
            self.fechar(chave);
        }
    }

    /// Registra o desfecho e fecha o socket (destruir a `Conexao` é o close()).
    fn fechar(&mut self, chave: usize) {
        let mut c = self.conexoes.remove(chave);
        if c.na_fila {
            self.prontas.retain(|&k| k != chave);
        }
        let _ = self.poll.registry().deregister(&mut c.socket);
        self.log.linha(c.linha_de_desfecho());
    }

    /// Os relógios vencidos: respostas adiadas e prazos de fechamento. Cada
    /// conexão acordada entra na fila das prontas.
    fn disparar_relogios(&mut self) {
        let agora = Instant::now();
        while let Some(&Reverse((quando, chave))) = self.relogios.peek() {
            if quando > agora {
                break;
            }
            self.relogios.pop();
            if let Some(c) = self.conexoes.get_mut(chave) {
                c.relogio(agora);
            }
            self.pronta(chave, false);
        }
    }
}
