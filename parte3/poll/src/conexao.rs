//! Uma conexão do laço de eventos: o que a thread de um cliente guardava
//! nas variáveis locais (Parte 3), agora num `struct`, e a vez dela
//! ([`Conexao::vez`]): escrever o que estava preso, ler uma vez, responder,
//! escrever de novo. Nada espera: um socket sem dados, ou sem espaço para a
//! resposta, devolve `WouldBlock` na hora, e o laço vai atender outro.

use crate::log::Log;
use common::erros::descrever;
use common::protocolo::{acrescentar_eco, eco, erro_mensagem_grande, Enquadrador, Recebido};
use common::protocolo::{DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM};
use common::rede::silencioso;
use common::tempo::duracao_legivel;
use common::texto::{quantidade, texto_seguro};
use mio::net::TcpStream;
use mio::Interest;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

/// Respostas presas acima das quais a conexão para de ler (contrapressão):
/// quem não lê as respostas não faz a memória do servidor crescer.
const LIMITE_DE_SAIDA: usize = 256 * 1024;

/// Os relógios do laço, o mais próximo primeiro: (quando, chave da
/// conexão). Um relógio de uma conexão que já fechou não faz mal: acorda,
/// no máximo, quem herdou a chave, que lê e ouve `WouldBlock`.
pub type Relogios = BinaryHeap<Reverse<(Instant, usize)>>;

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
pub struct Cliente {
    /// Ordem do accept(), a partir de 1.
    pub numero: u64,
    pub endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

pub struct Conexao {
    pub cliente: Cliente,
    /// Só a `Conexao` tem o socket: destruí-la (`Laco::fechar`) é o close().
    pub socket: TcpStream,
    /// Os avisos pedidos ao poll para este socket agora.
    pub interesse: Interest,
    /// Está na fila das prontas do laço (a regra da vez, `servidor.rs`).
    pub na_fila: bool,
    /// A última leitura deu `WouldBlock` e o poll não avisou nada depois:
    /// ler de novo seria em vão.
    pub vazio: bool,
    inicio: Instant,
    mensagens: u64,
    /// A linha sem `\n` que está chegando (vazio, sem memória, se não há).
    enquadrador: Enquadrador,
    /// Respostas que o kernel ainda não aceitou; `enviados` já foram.
    saida: Vec<u8>,
    enviados: usize,
    /// `--atraso`: respostas com hora marcada, na ordem. Enquanto houver
    /// alguma, a conexão não lê (as respostas saem na ordem das mensagens).
    adiadas: VecDeque<(Instant, Vec<u8>)>,
    /// Como a conversa acabou; a conexão fecha quando tudo tiver saído.
    desfecho: Option<String>,
    /// Depois de um `Erro:`: até quando descartar o que ainda chegar, e
    /// quanto já veio (o fechamento demorado).
    descartando: Option<(Instant, usize)>,
}

impl Conexao {
    pub fn nova(cliente: Cliente, socket: TcpStream) -> Conexao {
        Conexao {
            cliente,
            socket,
            interesse: Interest::READABLE,
            na_fila: false,
            vazio: false,
            inicio: Instant::now(),
            mensagens: 0,
            enquadrador: Enquadrador::novo(LIMITE_MENSAGEM),
            saida: Vec::new(),
            enviados: 0,
            adiadas: VecDeque::new(),
            desfecho: None,
            descartando: None,
        }
    }

    /// A vez desta conexão: escreve o que estava preso; lê uma vez, no
    /// máximo `lidos.len()` bytes (o buffer do laço), se pode ler e o log
    /// não está atrasado (`log.rs`); responde às mensagens que a leitura
    /// completou e escreve. Devolve se ela ainda tem o que fazer sem um
    /// aviso novo do poll: então volta para o fim da fila das prontas.
    pub fn vez(
        &mut self,
        chave: usize,
        lidos: &mut [u8],
        log: &mut Log,
        relogios: &mut Relogios,
        atraso: Duration,
    ) -> bool {
        self.escrever();
        if self.pode_ler() && !log.atrasado() {
            self.ler(chave, lidos, log, relogios, atraso);
            self.escrever();
        } else if self.falta_descartar() {
            self.descartar(lidos);
        }
        self.devolver_buffers_vazios();
        self.pode_ler() || self.falta_descartar()
    }

    /// Pode ler? Não se a conversa acabou, se há respostas esperando o
    /// `--atraso`, se há respostas demais presas ou se o socket está vazio.
    fn pode_ler(&self) -> bool {
        self.desfecho.is_none()
            && self.adiadas.is_empty()
            && self.pendente() < LIMITE_DE_SAIDA
            && !self.vazio
    }

    /// Uma leitura e as respostas das mensagens que ela completou.
    fn ler(
        &mut self,
        chave: usize,
        lidos: &mut [u8],
        log: &mut Log,
        relogios: &mut Relogios,
        atraso: Duration,
    ) {
        let n = match self.socket.read(lidos) {
            Ok(0) => {
                self.desfecho = Some(match self.enquadrador.fim() {
                    Recebido::Incompleta(bytes) => format!(
                        "Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados"
                    ),
                    _ => "Cliente desconectou".to_string(),
                });
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                self.vazio = true;
                return;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => return,
            Err(e) => return self.falhou(&e),
        };
        let mut resto = &lidos[..n];
        while !resto.is_empty() {
            let (usados, recebido) = self.enquadrador.avancar(resto);
            resto = &resto[usados..];
            match recebido {
                None => {}
                Some(Recebido::Mensagem(mensagem)) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        log.linha(format!("{} Recebido: {texto}", self.cliente));
                    }
                    self.mensagens += 1;
                    if atraso.is_zero() {
                        acrescentar_eco(&mut self.saida, &mensagem);
                    } else {
                        self.adiar(eco(&mensagem), atraso, chave, relogios);
                    }
                }
                Some(_) => {
                    // Linha grande demais: o `Erro:` (depois das respostas
                    // que ainda esperam) e o fechamento demorado.
                    let erro = format!("{}\n", erro_mensagem_grande()).into_bytes();
                    self.adiar(erro, Duration::ZERO, chave, relogios);
                    self.desfecho = Some(format!(
                        "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                    ));
                    let prazo = self.adiadas.back().map_or(Instant::now(), |a| a.0);
                    let prazo = prazo + ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, chave)));
                    self.descartando = Some((prazo, 0));
                    return;
                }
            }
        }
    }

    /// Marca `resposta` para sair daqui a `atraso`, depois das que já
    /// esperam. Um `sleep` pararia todos os clientes: a espera vira um
    /// relógio do laço, e o `poll()` dorme até o mais próximo.
    fn adiar(&mut self, resposta: Vec<u8>, atraso: Duration, chave: usize, relogios: &mut Relogios) {
        let agora = Instant::now();
        let hora = self.adiadas.back().map_or(agora, |a| a.0).max(agora) + atraso;
        relogios.push(Reverse((hora, chave)));
        self.adiadas.push_back((hora, resposta));
    }

    /// Um relógio desta conexão venceu: as respostas que chegaram à hora
    /// vão para a saída; o prazo do fechamento demorado acaba.
    pub fn relogio(&mut self, agora: Instant) {
        while let Some((_, resposta)) = self.adiadas.pop_front_if(|a| a.0 <= agora) {
            self.saida.extend_from_slice(&resposta);
        }
        if self.descartando.is_some_and(|(prazo, _)| prazo <= agora) {
            self.descartando = None; // o cliente não fechou a tempo: fecha assim mesmo
        }
    }

    fn pendente(&self) -> usize {
        self.saida.len() - self.enviados
    }

    /// Escreve o que o kernel aceitar agora (uma escrita pode sair pela
    /// metade); o resto espera o aviso de "gravável".
    fn escrever(&mut self) {
        if self.pendente() == 0 {
            return;
        }
        while self.pendente() > 0 {
            match self.socket.write(&self.saida[self.enviados..]) {
                Ok(0) => return self.falhou(&ErrorKind::WriteZero.into()),
                Ok(n) => self.enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.falhou(&e),
            }
        }
        if self.descartando.is_some() && self.adiadas.is_empty() {
            // O `Erro:` saiu: o cliente recebe o fim do fluxo logo depois.
            let _ = self.socket.shutdown(Shutdown::Write);
        }
    }

    /// Falta descartar o que chega depois do `Erro:`, que já saiu inteiro?
    fn falta_descartar(&self) -> bool {
        self.descartando.is_some() && self.adiadas.is_empty() && self.pendente() == 0 && !self.vazio
    }

    /// O fechamento demorado de `common::protocolo::fechar_com_aviso`, uma
    /// leitura por vez: fechar com dados do cliente ainda não lidos faria o
    /// kernel mandar um RST, que pode apagar o `Erro:` antes de o cliente
    /// lê-lo. Descarta até o cliente fechar, o prazo vencer (`relogio`) ou
    /// passar de [`DESCARTE_MAXIMO`] bytes.
    fn descartar(&mut self, lidos: &mut [u8]) {
        let Some((_, descartados)) = &mut self.descartando else { return };
        match self.socket.read(lidos) {
            Ok(n) if n > 0 && *descartados + n < DESCARTE_MAXIMO => *descartados += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => self.vazio = true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            _ => self.descartando = None, // fim do fluxo, erro ou descarte demais
        }
    }

    pub fn falhou(&mut self, e: &io::Error) {
        let falha = format!("Conexão com o cliente falhou: {}", descrever(e));
        self.desfecho.get_or_insert(falha);
        (self.saida, self.enviados, self.descartando) = (Vec::new(), 0, None);
        self.adiadas.clear();
    }

    /// A regra dos buffers, a lição da curva de memória: uma conexão sem
    /// nada pela metade não guarda buffer nenhum. O laço lê todos os
    /// sockets num buffer só (`lidos`); uma conexão só guarda bytes seus
    /// enquanto algo está pela metade: a linha sem `\n` (no `Enquadrador`),
    /// respostas presas ou com hora marcada. Esvaziou, o `Vec` é devolvido.
    /// Medido com `escala` (10.000 conexões paradas): TODO KiB por conexão.
    fn devolver_buffers_vazios(&mut self) {
        if self.pendente() == 0 {
            (self.saida, self.enviados) = (Vec::new(), 0);
        }
        if self.adiadas.is_empty() {
            self.adiadas = VecDeque::new();
        }
    }

    /// Os avisos a pedir ao poll agora: "legível" sempre que a conexão pode
    /// ler, "gravável" só enquanto há resposta presa (quase toda resposta
    /// sai na hora). Com respostas demais presas, só "gravável": a conexão
    /// não vai ler, e no Windows (e no Wine) o aviso de "legível" se
    /// repetiria sem parar, girando o laço em falso.
    pub fn interesse_necessario(&self) -> Interest {
        match self.pendente() {
            0 => Interest::READABLE,
            p if p < LIMITE_DE_SAIDA => Interest::READABLE | Interest::WRITABLE,
            _ => Interest::WRITABLE,
        }
    }

    /// A conversa acabou e tudo o que havia a enviar foi enviado.
    pub fn terminou(&self) -> bool {
        self.desfecho.is_some()
            && self.pendente() == 0
            && self.adiadas.is_empty()
            && self.descartando.is_none()
    }

    /// A última linha de log da conexão: como ela acabou, por quanto tempo
    /// foi atendida e quantas mensagens enviou.
    pub fn linha_de_desfecho(&mut self) -> String {
        let duracao = duracao_legivel(self.inicio.elapsed());
        let desfecho = self.desfecho.take().unwrap_or_default();
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente)
    }
}
