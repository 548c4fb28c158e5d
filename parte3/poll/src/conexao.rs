//! Uma conexão do laço de eventos: o que a thread de um cliente guardaria na
//! pilha (Parte 3), agora explícito, e o que fazer quando o socket fica
//! pronto: ler o que der, responder o que der, sem nunca esperar.
//!
//! A regra dos buffers, o custo de uma conexão parada: uma conexão sem nada
//! a meio caminho não guarda buffer nenhum. O laço lê todos os sockets num
//! buffer só (`lidos`, em `servidor.rs`); uma conexão só guarda bytes seus
//! quando alguma coisa fica pela metade: a linha sem `\n` (no
//! `Enquadrador`), o que foi lido e não pôde ser processado por causa de uma
//! pausa (`entrada`) e as respostas que o kernel ainda não aceitou
//! (`saida`). Cada um volta a ser um `Vec` vazio, sem memória, quando
//! esvazia. Com 10.000 clientes parados, isso é a diferença entre ~16 KiB e
//! menos de 1 KiB por conexão (ver o relato).

use crate::log::Log;
use common::erros::descrever;
use common::protocolo::{
    acrescentar_eco, dica_sem_fim_de_linha, erro_mensagem_grande, Enquadrador, Recebido,
    DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, ESPERA_PELA_DICA, LIMITE_MENSAGEM,
};
use common::rede::silencioso;
use common::texto::texto_seguro;
use mio::net::TcpStream;
use mio::Interest;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

/// Respostas pendentes acima das quais o servidor para de ler do cliente
/// (contrapressão): quem não lê as respostas não faz a memória crescer.
const LIMITE_DE_SAIDA: usize = 256 * 1024;

/// Os relógios do laço: (quando, conexão), o mais próximo primeiro. Servem
/// às respostas adiadas (`--atraso`), aos prazos de fechamento e à dica da
/// linha sem `\n`. Entradas de conexões já fechadas são ignoradas.
pub type Relogios = BinaryHeap<Reverse<(Instant, usize)>>;

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
pub struct Cliente {
    /// Ordem de chegada, a partir de 1.
    pub numero: u64,
    pub endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// O que o laço empresta a uma conexão enquanto a atende.
pub struct DoLaco<'a> {
    pub log: &'a mut Log,
    pub relogios: &'a mut Relogios,
    pub atraso: Duration,
    /// Conexões que pararam de ler porque a fila do log encheu.
    pub esperando_o_log: &'a mut Vec<usize>,
}

pub struct Conexao {
    pub cliente: Cliente,
    pub socket: TcpStream,
    /// Os avisos pedidos ao poll para este socket agora.
    pub interesse: Interest,
    pub inicio: Instant,
    pub mensagens: u64,
    /// A linha sem `\n` que está chegando (vazio, sem memória, se não há).
    enquadrador: Enquadrador,
    /// Bytes lidos que uma pausa deixou para depois (ver [`Conexao::pode_ler`]).
    entrada: Vec<u8>,
    /// Respostas que o kernel ainda não aceitou; `enviados` já foram.
    saida: Vec<u8>,
    enviados: usize,
    /// `--atraso`: a mensagem cuja resposta espera a hora marcada.
    adiada: Option<(Instant, Vec<u8>)>,
    /// O cliente terminou (ou errou): fecha depois de enviar o que falta.
    pub desfecho: Option<String>,
    /// Depois de um `Erro:`: até quando descartar o que ainda chegar, e quanto
    /// já foi descartado (ver `common::protocolo::fechar_com_aviso`).
    descartando: Option<(Instant, usize)>,
    /// A última leitura foi curta e nenhum evento chegou desde então (ver
    /// [`leitura_curta_esvaziou`]). Zerada a cada evento do socket.
    pub esvaziado: bool,
    /// O poll já avisou fim do fluxo (FIN) ou erro (RST). Esse aviso não se
    /// repete, e pode vir junto com os últimos dados: depois dele uma
    /// leitura curta não prova nada, e só a que devolve 0 encerra a conversa.
    pub fim_avisado: bool,
    /// Já está em `esperando_o_log`.
    esperando_o_log: bool,
    /// A dica da linha sem `\n`: (tamanho da meia linha, desde quando, já dada).
    dica: (usize, Instant, bool),
}

impl Conexao {
    pub fn nova(cliente: Cliente, socket: TcpStream) -> Conexao {
        let agora = Instant::now();
        Conexao {
            cliente,
            socket,
            interesse: Interest::READABLE,
            inicio: agora,
            mensagens: 0,
            enquadrador: Enquadrador::novo(LIMITE_MENSAGEM),
            entrada: Vec::new(),
            saida: Vec::new(),
            enviados: 0,
            adiada: None,
            desfecho: None,
            descartando: None,
            esvaziado: false,
            fim_avisado: false,
            esperando_o_log: false,
            dica: (0, agora, false),
        }
    }

    fn pendente(&self) -> usize {
        self.saida.len() - self.enviados
    }

    /// A conversa acabou e tudo o que havia a enviar foi enviado.
    pub fn terminou(&self) -> bool {
        self.desfecho.is_some() && self.pendente() == 0 && self.descartando.is_none()
    }

    /// O socket ficou pronto, ou um relógio dele venceu: lê e escreve o
    /// quanto der sem bloquear. `lidos` é o buffer de leitura do laço.
    pub fn atender(&mut self, chave: usize, lidos: &mut [u8], laco: &mut DoLaco) {
        loop {
            let antes = (self.pendente(), self.mensagens, self.desfecho.is_some());
            self.ler(chave, lidos, laco);
            if let Err(e) = self.escrever() {
                let falha = format!("Conexão com o cliente falhou: {}", descrever(&e));
                self.desfecho.get_or_insert(falha);
                (self.saida, self.enviados, self.descartando) = (Vec::new(), 0, None);
                return;
            }
            // Repete enquanto houver progresso: escrever pode ter liberado a
            // contrapressão, e o evento (de borda) não se repetirá sozinho.
            if (self.pendente(), self.mensagens, self.desfecho.is_some()) == antes {
                break;
            }
        }
        self.agendar_dica(chave, laco.relogios);
    }

    /// Pode processar mais mensagens agora? Não se a conversa acabou, se uma
    /// resposta espera o `--atraso` (as respostas saem na ordem), se há
    /// respostas demais presas (contrapressão) ou se a fila do log encheu.
    fn pode_ler(&mut self, chave: usize, laco: &mut DoLaco) -> bool {
        if laco.log.cheio() && !self.esperando_o_log {
            self.esperando_o_log = true;
            laco.esperando_o_log.push(chave);
        }
        self.desfecho.is_none()
            && self.adiada.is_none()
            && self.pendente() < LIMITE_DE_SAIDA
            && !laco.log.cheio()
    }

    /// A fila do log andou: esta conexão pode voltar a ler.
    pub fn log_andou(&mut self) {
        self.esperando_o_log = false;
    }

    /// Processa o que ficou de uma pausa e lê do socket até ele não ter mais
    /// dados, a conversa acabar ou algo pedir uma pausa.
    fn ler(&mut self, chave: usize, lidos: &mut [u8], laco: &mut DoLaco) {
        if let Some((prazo, descartados)) = &mut self.descartando {
            if descartar(&mut self.socket, lidos, descartados, *prazo) {
                self.descartando = None;
            }
            return;
        }
        if !self.entrada.is_empty() {
            let entrada = std::mem::take(&mut self.entrada);
            let usados = self.consumir(&entrada, chave, laco);
            if usados < entrada.len() {
                self.entrada = entrada[usados..].to_vec();
                return;
            }
        }
        while !self.esvaziado && self.pode_ler(chave, laco) {
            let n = match self.socket.read(lidos) {
                Ok(0) => {
                    self.desfecho = Some(desfecho_do_fim(self.enquadrador.fim()));
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.desfecho =
                        Some(format!("Conexão com o cliente falhou: {}", descrever(&e)));
                    return;
                }
            };
            self.esvaziado = leitura_curta_esvaziou(n, lidos.len()) && !self.fim_avisado;
            let usados = self.consumir(&lidos[..n], chave, laco);
            if usados < n {
                self.entrada = lidos[usados..n].to_vec(); // uma pausa: guarda o resto
                return;
            }
        }
    }

    /// Passa `bytes` pelo enquadrador e trata cada mensagem completa, até o
    /// fim ou uma pausa. Devolve quantos bytes usou.
    fn consumir(&mut self, bytes: &[u8], chave: usize, laco: &mut DoLaco) -> usize {
        let mut usados = 0;
        while usados < bytes.len() && self.pode_ler(chave, laco) {
            let (n, recebido) = self.enquadrador.avancar(&bytes[usados..]);
            usados += n;
            match recebido {
                None => {}
                Some(Recebido::Mensagem(mensagem)) => {
                    if !silencioso() {
                        laco.log.linha(format!(
                            "{} Recebido: {}",
                            self.cliente,
                            texto_seguro(&mensagem)
                        ));
                    }
                    self.mensagens += 1;
                    if laco.atraso.is_zero() {
                        acrescentar_eco(&mut self.saida, &mensagem);
                    } else {
                        // Em vez de dormir (e parar todos), agenda a resposta.
                        let hora = Instant::now() + laco.atraso;
                        laco.relogios.push(Reverse((hora, chave)));
                        self.adiada = Some((hora, mensagem));
                    }
                }
                Some(_) => {
                    // Linha grande demais: `Erro:` e o fechamento demorado.
                    self.saida.extend_from_slice(erro_mensagem_grande().as_bytes());
                    self.saida.push(b'\n');
                    self.desfecho = Some(format!(
                        "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                    ));
                    let prazo = Instant::now() + ESPERA_AO_ENCERRAR;
                    laco.relogios.push(Reverse((prazo, chave)));
                    self.descartando = Some((prazo, 0));
                    return bytes.len();
                }
            }
        }
        usados
    }

    /// Escreve o que o kernel aceitar agora; o resto espera o aviso de
    /// "gravável". Tudo enviado, a memória da saída é devolvida.
    fn escrever(&mut self) -> io::Result<()> {
        while self.pendente() > 0 {
            match self.socket.write(&self.saida[self.enviados..]) {
                Ok(n) => self.enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        (self.saida, self.enviados) = (Vec::new(), 0);
        if self.descartando.is_some() {
            // O cliente recebe a linha de erro e depois o fim do fluxo.
            let _ = self.socket.shutdown(Shutdown::Write);
        }
        Ok(())
    }

    /// Um relógio desta conexão venceu: a resposta adiada, o prazo do
    /// fechamento demorado ou a dica.
    pub fn relogio(&mut self, agora: Instant, log: &mut Log) {
        if let Some((_, mensagem)) = self.adiada.take_if(|(hora, _)| *hora <= agora) {
            acrescentar_eco(&mut self.saida, &mensagem);
        }
        if self.descartando.is_some_and(|(prazo, _)| prazo <= agora) {
            self.descartando = None; // o cliente não fechou a tempo: fecha assim mesmo
        }
        let (bytes, desde, dada) = self.dica;
        let parada = self.enquadrador.meia_linha() == bytes && bytes > 0;
        if parada && !dada && agora >= desde + ESPERA_PELA_DICA {
            log.linha(format!("{} {}", self.cliente, dica_sem_fim_de_linha(bytes)));
            self.dica.2 = true;
        }
    }

    /// Uma meia linha nova ou que cresceu: marca a hora e agenda o relógio
    /// da dica (que confere, ao vencer, se ela ficou parada).
    fn agendar_dica(&mut self, chave: usize, relogios: &mut Relogios) {
        let bytes = self.enquadrador.meia_linha();
        if bytes > 0 && bytes != self.dica.0 && !self.dica.2 {
            let agora = Instant::now();
            self.dica = (bytes, agora, false);
            relogios.push(Reverse((agora + ESPERA_PELA_DICA, chave)));
        }
    }

    /// Os avisos que o laço precisa pedir ao kernel para esta conexão agora.
    pub fn interesse_necessario(&self) -> Interest {
        interesse_para(self.pendente())
    }
}

/// Técnica de desempenho: pedir "gravável" ao poll só enquanto há resposta
/// presa. Quase toda resposta cabe no buffer de envio do kernel e sai na
/// hora; com os dois avisos sempre ligados, cada resposta enviada acordaria
/// o laço por nada. Na contrapressão, nem "legível": a conexão não vai ler, e
/// o aviso só acordaria o laço à toa (no Windows, sem parar).
fn interesse_para(pendente: usize) -> Interest {
    if pendente >= LIMITE_DE_SAIDA {
        Interest::WRITABLE
    } else if pendente > 0 {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    }
}

/// Técnica de desempenho: uma leitura curta (menos bytes do que cabiam)
/// esvaziou o buffer de recepção do kernel, e o próximo dado que chegar gera
/// um evento novo? Então não vale ler de novo só para ouvir `WouldBlock`: é
/// uma chamada de sistema a menos por mensagem no vai e volta. Com epoll
/// (Linux) e kqueue (macOS, BSDs), sim: o mio os usa "por borda"
/// (edge-triggered), e cada chegada de dados rearma o aviso. No Windows o
/// mio só volta a avisar depois de uma leitura que deu `WouldBlock`: lá é
/// preciso ler até ouvi-lo. (O tokio e o nginx fazem a mesma distinção.)
fn leitura_curta_esvaziou(lidos: usize, cabiam: usize) -> bool {
    let por_borda = cfg!(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
    ));
    por_borda && lidos < cabiam
}

/// O desfecho de uma conversa que terminou com o fim do fluxo.
fn desfecho_do_fim(fim: Recebido) -> String {
    match fim {
        Recebido::Incompleta(bytes) => {
            format!("Cliente saiu no meio de uma mensagem; {bytes} bytes descartados")
        }
        _ => "Cliente desconectou".to_string(),
    }
}

/// Descarta o que chegar depois de um `Erro:`, para o fechamento não virar
/// um RST que apague a linha de erro. Devolve `true` quando pode fechar.
fn descartar(
    socket: &mut TcpStream,
    lixo: &mut [u8],
    descartados: &mut usize,
    prazo: Instant,
) -> bool {
    loop {
        match socket.read(lixo) {
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
