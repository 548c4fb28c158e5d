//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! O mesmo protocolo e o mesmo log da Parte 3, com o segundo modelo de
//! concorrência da atividade (o `select`/`selectors` do Python): uma única
//! thread pergunta ao kernel quais sockets estão prontos e atende só esses.
//! Nenhuma chamada bloqueia: ler de um socket sem dados devolve `WouldBlock`
//! na hora, e a thread vai atender outro. A única espera do programa é o
//! `poll()` deste arquivo.
//!
//! Ordem de leitura: este arquivo (o socket de escuta, o laço, o `accept()`
//! e os relógios); `conexao.rs`, o que a thread de um cliente guardaria na
//! pilha, agora explícito (com `leitura.rs`, `escrita.rs` e `relogios.rs`
//! ao lado); e `log.rs`, por que o log não pode ser um `println!` aqui.
//! Por que `mio`: é a camada de `poll` padrão do ecossistema (o tokio é
//! construído sobre ela), com a mesma interface sobre epoll (Linux), kqueue
//! (macOS) e IOCP (Windows).
//!
//! O que fica difícil, e está comentado onde acontece: cada conexão vira
//! uma máquina de estados; uma escrita pode sair pela metade; quem não lê
//! (um cliente, ou o terminal do log) não pode fazer a memória crescer; e o
//! `--atraso` vira um relógio, porque um `sleep` pararia todos os clientes.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-poll -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas, cerca
//!    de 2 s depois, com uma thread só de atendimento (`ps -T` mostra mais
//!    uma, a do log).

use crate::conexao::{Cliente, Conexao, DoLaco, Relogios};
use crate::log::Log;
use anyhow::Result;
use common::erros::{descrever, falhou, perdeu_so_esta_conexao};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, ArgsServidor};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use socket2::{Domain, Socket, Type};
use std::cmp::Reverse;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// O token do socket de escuta (os das conexões são as chaves do `Slab`).
const ESCUTA: Token = Token(usize::MAX);

/// O buffer de leitura do laço, um só para todas as conexões: cada leitura
/// traz até isso de um socket, e o que não é processado na hora vai para a
/// conexão (ver `conexao.rs`, a regra dos buffers).
const TAMANHO_DA_LEITURA: usize = 64 * 1024;

/// Com a fila do log cheia, de quanto em quanto tempo conferir se ela andou.
const ESPERA_PELO_LOG: Duration = Duration::from_millis(1);

/// O estado do laço: as conexões, os relógios e o log.
struct Laco {
    poll: Poll,
    conexoes: Slab<Conexao>,
    relogios: Relogios,
    atraso: Duration,
    log: Log,
    /// Número do próximo cliente, a partir de 1.
    numero: u64,
    lidos: Box<[u8]>,
    /// Conexões (e o `accept()`) que pararam porque a fila do log encheu.
    esperando_o_log: Vec<usize>,
    aceitar_depois: bool,
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
        relogios: Relogios::new(),
        atraso,
        log: Log::iniciar().map_err(falhou("criar a thread do log"))?,
        numero: 1,
        lidos: vec![0; TAMANHO_DA_LEITURA].into_boxed_slice(),
        esperando_o_log: Vec::new(),
        aceitar_depois: false,
    };
    laco.poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    laco.log.linha("Aguardando conexões...".to_string());
    let mut eventos = Events::with_capacity(1024);
    loop {
        // A única espera: até o próximo evento, ou o próximo relógio.
        if let Err(e) = laco.poll.poll(&mut eventos, laco.espera()) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(falhou("poll()")(e));
        }
        for evento in eventos.iter() {
            match evento.token() {
                ESCUTA => laco.aceitar(&escuta),
                Token(chave) => {
                    if let Some(c) = laco.conexoes.get_mut(chave) {
                        c.avisada(evento);
                    }
                    laco.atender(chave);
                }
            }
        }
        laco.disparar_relogios();
        laco.retomar_se_o_log_andou(&escuta);
    }
}

impl Laco {
    /// Quanto o `poll()` pode dormir: até o próximo relógio; com o log
    /// cheio, só um instante; sem relógio nenhum, até o próximo evento.
    fn espera(&self) -> Option<Duration> {
        let relogio = self.relogios.peek().map(|Reverse((t, _))| *t);
        let espera = relogio.map(|t| t.saturating_duration_since(Instant::now()));
        if self.log.cheio() || !self.esperando_o_log.is_empty() || self.aceitar_depois {
            return Some(espera.unwrap_or(ESPERA_PELO_LOG).min(ESPERA_PELO_LOG));
        }
        espera
    }

    /// Aceita todas as conexões que esperam (o evento avisa uma vez só).
    fn aceitar(&mut self, escuta: &TcpListener) {
        loop {
            if self.log.cheio() {
                self.aceitar_depois = true; // cada conexão gera uma linha de log
                return;
            }
            let (mut socket, endereco) = match escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                    if perdeu_so_esta_conexao(&e) {
                        continue;
                    }
                    // Ex.: limite de arquivos abertos. Não dá para pausar a
                    // thread única; a próxima conexão traz um novo evento.
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
            // Sem o algoritmo de Nagle: com ele, a segunda de duas respostas
            // seguidas esperaria o ACK da primeira (`just nagle` mede).
            let _ = socket.set_nodelay(true);
            self.log.linha(format!("{cliente} Conectado"));
            vaga.insert(Conexao::nova(cliente, socket));
        }
    }

    /// Atende a conexão `chave` e, conforme o resultado, fecha-a ou ajusta
    /// os avisos pedidos ao poll.
    fn atender(&mut self, chave: usize) {
        let Some(c) = self.conexoes.get_mut(chave) else { return };
        let mut laco = DoLaco {
            log: &mut self.log,
            relogios: &mut self.relogios,
            atraso: self.atraso,
            esperando_o_log: &mut self.esperando_o_log,
        };
        c.atender(chave, &mut self.lidos, &mut laco);
        if c.terminou() {
            return self.fechar(chave);
        }
        let interesse = c.interesse_necessario();
        if interesse != c.interesse {
            match self.poll.registry().reregister(&mut c.socket, Token(chave), interesse) {
                Ok(()) => c.interesse = interesse,
                Err(e) => {
                    c.desfecho = Some(format!("Sem registro no poll(): {}", descrever(&e)));
                    self.fechar(chave);
                }
            }
        }
    }

    /// Registra o desfecho e fecha o socket (ao sair de escopo: close()).
    fn fechar(&mut self, chave: usize) {
        let mut c = self.conexoes.remove(chave);
        let _ = self.poll.registry().deregister(&mut c.socket);
        self.log.linha(c.linha_de_desfecho());
    }

    /// Os relógios vencidos: respostas adiadas, prazos de fechamento, dicas.
    fn disparar_relogios(&mut self) {
        let agora = Instant::now();
        while let Some(&Reverse((quando, chave))) = self.relogios.peek() {
            if quando > agora {
                break;
            }
            self.relogios.pop();
            let Some(c) = self.conexoes.get_mut(chave) else { continue };
            c.relogio(agora, &mut self.log);
            self.atender(chave);
        }
    }

    /// Se a fila do log tinha enchido e agora andou, volta a ler de quem
    /// parou e a aceitar conexões.
    fn retomar_se_o_log_andou(&mut self, escuta: &TcpListener) {
        if self.log.cheio() && !self.log.enviar() {
            return; // ainda cheia
        }
        for chave in std::mem::take(&mut self.esperando_o_log) {
            if let Some(c) = self.conexoes.get_mut(chave) {
                c.log_andou();
                self.atender(chave);
            }
        }
        if std::mem::take(&mut self.aceitar_depois) {
            self.aceitar(escuta);
        }
    }
}
