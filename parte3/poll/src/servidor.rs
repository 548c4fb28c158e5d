//! # Parte 3, outro caminho — uma thread, sockets não bloqueantes e `poll`
//!
//! O mesmo protocolo e o mesmo log da Parte 3, com o segundo modelo de
//! concorrência da atividade (o `select`/`selectors` do Python): uma única
//! thread pergunta ao kernel quais sockets estão prontos e atende só esses.
//! Nenhuma chamada bloqueia: ler de um socket sem dados devolve `WouldBlock`
//! na hora, e a thread vai atender outro.
//!
//! Por que `mio`: é a camada de `poll` padrão do ecossistema (o tokio é
//! construído sobre ela) e dá a mesma interface sobre epoll (Linux), kqueue
//! (macOS) e IOCP (Windows). O crate `polling` seria uma alternativa menor;
//! `mio` foi escolhido por ser o que um leitor encontra por baixo de quase
//! todo servidor Rust, e porque o `carga` usa o mesmo modelo.
//!
//! O que fica difícil (e está aqui, comentado onde acontece):
//! - cada conexão vira uma máquina de estados, com buffer de entrada e de
//!   saída próprios: a pilha de uma thread não guarda mais "onde paramos";
//! - escrita parcial: `write` pode aceitar só parte das respostas; o resto
//!   espera o socket ficar gravável de novo;
//! - contrapressão: um cliente que envia sem ler faria a saída crescer sem
//!   limite; acima de [`LIMITE_DE_SAIDA`] o servidor para de ler dele;
//! - `--atraso`: um `sleep` aqui pararia todos os clientes. O atraso vira um
//!   relógio: a resposta é agendada e o laço segue atendendo os outros;
//! - o log: escrever no terminal pode bloquear a thread única, e cada
//!   escrita num pipe acorda quem o lê; as linhas vão para um buffer escrito
//!   de uma vez, no máximo [`PAUSA_PARA_JUNTAR`] depois da primeira;
//! - pedir ao kernel só o necessário: interesse em "gravável" só enquanto há
//!   respostas presas, e nenhuma leitura a mais depois de uma leitura curta
//!   (cada chamada de sistema poupada é vazão; ver [`Fonte`]).
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-poll -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas, cerca
//!    de 2 s depois, com uma thread só (`ps -T` mostra uma).

use common::erros::descrever;
use common::protocolo::{
    codificar_eco, erro_mensagem_grande, LeitorDeMensagens, Recebido, DESCARTE_MAXIMO,
    ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM,
};
use common::rede::silencioso;
use common::tempo::{agora, duracao_legivel};
use common::texto::{quantidade, texto_seguro};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

/// O token do socket de escuta (os das conexões são as chaves do `Slab`).
const ESCUTA: Token = Token(usize::MAX);

/// Respostas pendentes acima das quais o servidor para de ler do cliente
/// (contrapressão): quem não lê as respostas não faz a memória crescer.
const LIMITE_DE_SAIDA: usize = 256 * 1024;

/// Quanto uma linha de log espera no buffer, no máximo, antes de ser escrita
/// com as que vierem depois: umas mil escritas por segundo, no máximo, em vez
/// de uma por volta do laço (com poucos clientes, quase uma por mensagem).
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// Uma leitura curta (menos bytes do que cabiam no buffer) esvaziou o buffer
/// de recepção do kernel, e o próximo dado que chegar gera um evento novo?
/// Com epoll (Linux) e kqueue (macOS, BSDs), sim: o mio os usa "por borda"
/// (edge-triggered), e cada chegada de dados rearma o aviso. No Windows o mio
/// só volta a avisar depois de uma leitura que deu `WouldBlock`: lá é
/// preciso ler até ouvi-lo. (O tokio e o nginx fazem a mesma distinção.)
const LEITURA_CURTA_ESVAZIA: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
));

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
struct Cliente {
    /// Ordem de chegada, a partir de 1.
    numero: u64,
    endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// O socket de uma conexão como o leitor de mensagens o vê: lembra se a
/// última leitura esvaziou o buffer de recepção do kernel.
///
/// A decisão de não ler mais fica aqui, e não no laço, porque quem chama
/// `read` é o `LeitorDeMensagens`: o `BufReader` dele só lê com o buffer
/// vazio (pedindo o buffer inteiro) e, depois de guardar meia linha, leria
/// de novo. O `WouldBlock` respondido aqui o faz parar guardando o que já
/// chegou, como faria o do kernel.
struct Fonte {
    socket: TcpStream,
    /// A última leitura foi curta e nenhum evento chegou desde então: ler de
    /// novo agora só ouviria `WouldBlock`. Zerada a cada evento do socket.
    esvaziado: bool,
    /// O poll já avisou fim do fluxo (FIN) ou erro (RST). Esse aviso não se
    /// repete, e ele pode vir junto com os últimos dados: depois dele uma
    /// leitura curta não prova nada, e só a leitura que devolve 0 (ou o
    /// erro) encerra a conversa. Como o `pending_eof` do nginx.
    fim_avisado: bool,
}

impl Read for Fonte {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.esvaziado {
            // Responde sem chamada de sistema o que o kernel responderia.
            return Err(ErrorKind::WouldBlock.into());
        }
        let n = self.socket.read(buf)?;
        // Leitura curta: o kernel entregou tudo o que tinha. Uma nova leitura
        // custaria uma chamada de sistema por mensagem só para ouvir
        // `WouldBlock`; se chegar mais, o poll avisa (ver LEITURA_CURTA_ESVAZIA).
        // É o que o nginx faz com epoll.
        self.esvaziado = LEITURA_CURTA_ESVAZIA && !self.fim_avisado && 0 < n && n < buf.len();
        Ok(n)
    }
}

/// Tudo o que a thread de um cliente guardaria na pilha, agora explícito.
struct Conexao {
    cliente: Cliente,
    /// O socket, dentro do leitor de mensagens (que o usa sem bloquear).
    leitor: LeitorDeMensagens<Fonte>,
    /// Os avisos pedidos ao poll para este socket agora (ver `atender`).
    interesse: Interest,
    inicio: Instant,
    mensagens: u64,
    /// Respostas ainda não escritas; `enviados` é quanto delas já foi.
    saida: Vec<u8>,
    enviados: usize,
    /// `--atraso`: a mensagem cuja resposta espera a hora marcada.
    adiada: Option<(Instant, Vec<u8>)>,
    /// O cliente terminou (ou errou): fecha depois de enviar o que falta.
    desfecho: Option<String>,
    /// Depois de um `Erro:`: até quando descartar o que ainda chegar, e quanto
    /// já foi descartado (ver `common::protocolo::Conexao::encerrar`).
    descartando: Option<(Instant, usize)>,
}

impl Conexao {
    fn pendente(&self) -> usize {
        self.saida.len() - self.enviados
    }

    fn socket(&mut self) -> &mut TcpStream {
        &mut self.leitor.fonte_mut().socket
    }
}

/// O estado do laço: as conexões e os relógios.
struct Estado {
    poll: Poll,
    conexoes: Slab<Conexao>,
    /// (quando, conexão): respostas adiadas e prazos de fechamento, o mais
    /// próximo primeiro. Entradas de conexões já fechadas são ignoradas.
    relogios: BinaryHeap<Reverse<(Instant, usize)>>,
    atraso: Duration,
    /// O log, escrito no terminal em lotes (ver [`PAUSA_PARA_JUNTAR`]).
    log: BufWriter<io::Stdout>,
    numero: u64,
}

/// Aceita e atende clientes para sempre, numa thread só.
pub fn servir(escuta: std::net::TcpListener, atraso: Duration) {
    if let Err(e) = laco(escuta, atraso) {
        println!("{} Erro no laço do poll(): {}", agora(), descrever(&e));
    }
}

fn laco(escuta: std::net::TcpListener, atraso: Duration) -> io::Result<()> {
    escuta.set_nonblocking(true)?;
    let mut escuta = TcpListener::from_std(escuta);
    let mut estado = Estado {
        poll: Poll::new()?,
        conexoes: Slab::new(),
        relogios: BinaryHeap::new(),
        atraso,
        log: BufWriter::with_capacity(64 * 1024, io::stdout()),
        numero: 0,
    };
    estado.poll.registry().register(&mut escuta, ESCUTA, Interest::READABLE)?;
    let _ = writeln!(estado.log, "{} Aguardando conexões...", agora());
    let mut eventos = Events::with_capacity(1024);
    // Quando escrever o que está no buffer do log (`None`: nada esperando).
    let mut escrever_log_em: Option<Instant> = None;
    loop {
        let instante = Instant::now();
        if estado.log.buffer().is_empty() {
            escrever_log_em = None;
        } else if *escrever_log_em.get_or_insert(instante + PAUSA_PARA_JUNTAR) <= instante {
            let _ = estado.log.flush();
            escrever_log_em = None;
        }
        // Dorme até o próximo evento, o próximo relógio ou a hora de escrever
        // o log, o que vier antes.
        let relogio = estado.relogios.peek().map(|Reverse((t, _))| *t);
        let espera = relogio
            .into_iter()
            .chain(escrever_log_em)
            .min()
            .map(|t| t.saturating_duration_since(instante));
        if let Err(e) = estado.poll.poll(&mut eventos, espera) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for evento in eventos.iter() {
            match evento.token() {
                ESCUTA => estado.aceitar(&escuta),
                Token(chave) => {
                    // Um evento novo: pode ter chegado dado depois da última
                    // leitura curta, então a próxima leitura vai ao kernel.
                    if let Some(c) = estado.conexoes.get_mut(chave) {
                        let fonte = c.leitor.fonte_mut();
                        fonte.esvaziado = false;
                        fonte.fim_avisado |= evento.is_read_closed() || evento.is_error();
                    }
                    estado.atender(chave);
                }
            }
        }
        estado.disparar_relogios();
    }
}

impl Estado {
    /// Aceita todas as conexões que esperam (o evento avisa uma vez só).
    fn aceitar(&mut self, escuta: &TcpListener) {
        loop {
            let (mut socket, endereco) = match escuta.accept() {
                Ok(par) => par,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if perdeu_so_esta_conexao(&e) => {
                    // O cliente desistiu (RST) antes do accept(): só essa
                    // conexão se perdeu, e as outras da fila continuam lá.
                    // Parar aqui seria um erro no Windows: lá o mio só volta a
                    // avisar sobre o socket de escuta depois de um accept()
                    // devolver WouldBlock, e o servidor nunca mais aceitaria
                    // ninguém.
                    let _ = writeln!(self.log, "{} Erro no accept(): {}", agora(), descrever(&e));
                    continue;
                }
                Err(e) => {
                    // Ex.: limite de arquivos abertos. Não dá para pausar uma
                    // thread única; no Linux a próxima conexão traz um novo
                    // evento (no Windows, só um accept() com WouldBlock).
                    let _ = writeln!(self.log, "{} Erro no accept(): {}", agora(), descrever(&e));
                    return;
                }
            };
            self.numero += 1;
            let cliente = Cliente { numero: self.numero, endereco };
            let vaga = self.conexoes.vacant_entry();
            // Só "legível": quase toda resposta cabe no buffer de envio do
            // kernel e sai na hora; "gravável" só é pedido quando uma escrita
            // fica pela metade (ver `atender`). Com os dois, cada resposta
            // enviada poderia acordar o laço por nada.
            let registro =
                self.poll.registry().register(&mut socket, Token(vaga.key()), Interest::READABLE);
            if let Err(e) = registro {
                let _ = writeln!(
                    self.log,
                    "{} {cliente} Sem registro no poll(): {}",
                    agora(),
                    descrever(&e)
                );
                continue;
            }
            let _ = socket.set_nodelay(true);
            let _ = writeln!(self.log, "{} {cliente} Conectado", agora());
            vaga.insert(Conexao {
                cliente,
                leitor: LeitorDeMensagens::novo(Fonte {
                    socket,
                    esvaziado: false,
                    fim_avisado: false,
                }),
                interesse: Interest::READABLE,
                inicio: Instant::now(),
                mensagens: 0,
                saida: Vec::new(),
                enviados: 0,
                adiada: None,
                desfecho: None,
                descartando: None,
            });
        }
    }

    /// O socket de `chave` ficou pronto (ou um relógio dele venceu): lê e
    /// escreve o quanto der sem bloquear, e fecha se a conversa acabou.
    fn atender(&mut self, chave: usize) {
        let Some(c) = self.conexoes.get_mut(chave) else { return };
        loop {
            let antes = (c.pendente(), c.mensagens, c.desfecho.is_some());
            ler(c, self.atraso, &mut self.log, &mut self.relogios, chave);
            if let Err(e) = escrever(c) {
                c.desfecho
                    .get_or_insert(format!("Conexão com o cliente falhou: {}", descrever(&e)));
                c.saida.clear();
                c.enviados = 0;
                c.descartando = None;
                break;
            }
            // Repete enquanto houver progresso: escrever pode ter liberado a
            // contrapressão, e o evento (de borda) não se repetirá sozinho.
            if (c.pendente(), c.mensagens, c.desfecho.is_some()) == antes {
                break;
            }
        }
        let terminou = c.desfecho.is_some() && c.pendente() == 0 && c.descartando.is_none();
        if terminou {
            self.fechar(chave);
            return;
        }
        // Escrita pela metade (buffer de envio do kernel cheio): pede o aviso
        // de "gravável" enquanto sobrar resposta, e o tira quando ela sair.
        // Na contrapressão, nem "legível": a conexão não vai ler mesmo, e o
        // aviso só acordaria o laço à toa (no Windows, sem parar).
        let interesse = if c.pendente() >= LIMITE_DE_SAIDA {
            Interest::WRITABLE
        } else if c.pendente() > 0 {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if interesse != c.interesse {
            let registro = self.poll.registry().reregister(c.socket(), Token(chave), interesse);
            match registro {
                Ok(()) => c.interesse = interesse,
                Err(e) => {
                    let falha = format!("Sem registro no poll(): {}", descrever(&e));
                    c.desfecho = Some(falha);
                    self.fechar(chave);
                }
            }
        }
    }

    fn fechar(&mut self, chave: usize) {
        let mut c = self.conexoes.remove(chave);
        let _ = self.poll.registry().deregister(c.socket());
        let duracao = duracao_legivel(c.inicio.elapsed());
        let desfecho = c.desfecho.take().unwrap_or_default();
        let mensagens = quantidade(c.mensagens, "mensagem", "mensagens");
        let _ = writeln!(
            self.log,
            "{} {} {desfecho} (ficou {duracao}, {mensagens})",
            agora(),
            c.cliente
        );
        // `c` sai de escopo: o socket é fechado.
    }

    /// Respostas adiadas que chegaram à hora, e prazos de fechamento vencidos.
    fn disparar_relogios(&mut self) {
        let agora = Instant::now();
        while let Some(&Reverse((quando, chave))) = self.relogios.peek() {
            if quando > agora {
                break;
            }
            self.relogios.pop();
            let Some(c) = self.conexoes.get_mut(chave) else { continue };
            if let Some((_, mensagem)) = c.adiada.take_if(|(hora, _)| *hora <= agora) {
                codificar_eco(&mut c.saida, &mensagem);
            }
            if c.descartando.is_some_and(|(prazo, _)| prazo <= agora) {
                c.descartando = None; // o cliente não fechou a tempo: fecha assim mesmo
            }
            self.atender(chave);
        }
    }
}

/// Um `accept()` que falhou por causa da própria conexão (desfeita antes de
/// ser aceita), não do servidor: vale tentar o próximo da fila. O Windows
/// devolve `WSAECONNRESET` nesse caso; o Wine, `WSAENOTCONN`.
fn perdeu_so_esta_conexao(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::NotConnected
            | ErrorKind::Interrupted
    )
}

/// Lê e processa mensagens até o socket não ter mais dados, a conversa
/// acabar ou algo pedir uma pausa (resposta adiada, contrapressão).
fn ler(
    c: &mut Conexao,
    atraso: Duration,
    log: &mut impl Write,
    relogios: &mut BinaryHeap<Reverse<(Instant, usize)>>,
    chave: usize,
) {
    if let Some((prazo, descartados)) = &mut c.descartando {
        if descartar(&mut c.leitor.fonte_mut().socket, descartados, *prazo) {
            c.descartando = None;
        }
        return;
    }
    while c.desfecho.is_none() && c.adiada.is_none() && c.pendente() < LIMITE_DE_SAIDA {
        let recebido = match c.leitor.proxima() {
            Ok(recebido) => recebido,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) => {
                c.desfecho = Some(format!("Conexão com o cliente falhou: {}", descrever(&e)));
                return;
            }
        };
        match recebido {
            Recebido::Mensagem(mensagem) => {
                if !silencioso() {
                    let _ = writeln!(
                        log,
                        "{} {} Recebido: {}",
                        agora(),
                        c.cliente,
                        texto_seguro(&mensagem)
                    );
                }
                c.mensagens += 1;
                if atraso.is_zero() {
                    codificar_eco(&mut c.saida, &mensagem);
                } else {
                    // NOVO: em vez de dormir (e parar todos), agenda a resposta.
                    let hora = Instant::now() + atraso;
                    relogios.push(Reverse((hora, chave)));
                    c.adiada = Some((hora, mensagem));
                }
            }
            Recebido::Fim => c.desfecho = Some("Cliente desconectou".to_string()),
            Recebido::Incompleta(bytes) => {
                c.desfecho = Some(format!(
                    "Cliente saiu no meio de uma mensagem ({bytes} bytes descartados)"
                ));
            }
            Recebido::GrandeDemais => {
                c.saida.extend_from_slice(erro_mensagem_grande().as_bytes());
                c.saida.push(b'\n');
                c.desfecho = Some(format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                ));
                let prazo = Instant::now() + ESPERA_AO_ENCERRAR;
                relogios.push(Reverse((prazo, chave)));
                c.descartando = Some((prazo, 0));
            }
        }
    }
}

/// Escreve o que o socket aceitar agora; o resto espera o próximo evento de
/// "gravável". Depois de um `Erro:` enviado por inteiro, fecha a escrita.
fn escrever(c: &mut Conexao) -> io::Result<()> {
    while c.pendente() > 0 {
        match c.leitor.fonte_mut().socket.write(&c.saida[c.enviados..]) {
            Ok(n) => c.enviados += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    c.saida.clear();
    c.enviados = 0;
    if c.descartando.is_some() {
        // O cliente recebe a linha de erro e depois o fim do fluxo.
        let _ = c.socket().shutdown(Shutdown::Write);
    }
    Ok(())
}

/// Descarta o que chegar depois de um `Erro:`, para o fechamento não virar
/// um RST que apague a linha de erro. Devolve `true` quando pode fechar.
fn descartar(socket: &mut TcpStream, descartados: &mut usize, prazo: Instant) -> bool {
    let mut lixo = [0u8; 8192];
    loop {
        match socket.read(&mut lixo) {
            Ok(0) => return true,
            Ok(n) => {
                *descartados += n;
                if *descartados >= DESCARTE_MAXIMO {
                    return true;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Instant::now() >= prazo,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}
