//! Uma conexão: o que a thread de um cliente guardava em variáveis locais
//! vira um `struct`, e o que ela fazia bloqueando vira a sua vez
//! ([`Conexao::vez`]), que nunca espera.

use crate::log::Log;
use common::protocolo::{self as p, acrescentar_eco, eco, Enquadrador, Recebido};
use common::{erros::descrever, rede::silencioso, tempo::duracao_legivel, texto};
use mio::{net::TcpStream, Interest};
use std::collections::BinaryHeap;
use std::io::{self, ErrorKind, Read, Write};
use std::{cmp::Reverse, net::Shutdown, time::Duration, time::Instant};

/// Os relógios do laço, o mais próximo primeiro: (quando, chave da conexão).
pub type Relogios = BinaryHeap<Reverse<(Instant, usize)>>;

pub struct Conexao {
    /// `[cliente N endereço]`, o começo das linhas de log dela.
    pub cliente: String,
    /// Só a `Conexao` tem o socket: destruí-la é o close().
    pub socket: TcpStream,
    /// A chave no `Slab`, que é também o `Token` no poll.
    chave: usize,
    pub na_fila: bool,
    inicio: Instant,
    mensagens: u64,
    atraso: Duration,
    /// A linha sem `\n` que está chegando.
    enquadrador: Enquadrador,
    /// Respostas que o kernel ainda não aceitou. Enquanto houver, a conexão
    /// não lê: quem não lê as respostas não faz a memória crescer.
    saida: Vec<u8>,
    /// `--atraso`: a resposta com hora marcada (idem).
    adiada: Option<(Instant, Vec<u8>)>,
    /// Como a conversa acabou; a conexão fecha quando tudo tiver saído.
    desfecho: Option<String>,
    /// Depois de um `Erro:`: o prazo do fechamento demorado e o descartado.
    descartando: Option<(Instant, usize)>,
}

impl Conexao {
    pub fn nova(cliente: String, chave: usize, socket: TcpStream, atraso: Duration) -> Conexao {
        Conexao {
            cliente,
            socket,
            chave,
            na_fila: false,
            inicio: Instant::now(),
            mensagens: 0,
            atraso,
            enquadrador: Enquadrador::novo(p::LIMITE_MENSAGEM),
            saida: Vec::new(),
            adiada: None,
            desfecho: None,
            descartando: None,
        }
    }

    /// A vez da conexão: solta as respostas que chegaram à hora e escreve o
    /// que espera; se pode, lê a sua parte (no máximo `lidos.len()` bytes),
    /// responde e escreve. Devolve se o socket pode ter mais para ler.
    pub fn vez(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        if let Some((_, resposta)) = self.adiada.take_if(|a| a.0 <= Instant::now()) {
            self.saida.extend_from_slice(&resposta);
        }
        if self.descartando.is_some_and(|(prazo, _)| prazo <= Instant::now()) {
            self.descartando = None; // o cliente não fechou a tempo: fecha assim mesmo
        }
        self.escrever();
        let mais = self.pode_ler() && self.ler(lidos, log, relogios);
        self.escrever();
        mais && self.pode_ler()
    }

    /// Nada espera para sair, e a conversa não acabou (ou falta descartar).
    fn pode_ler(&self) -> bool {
        let conversa = self.desfecho.is_none() || self.descartando.is_some();
        conversa && self.saida.is_empty() && self.adiada.is_none()
    }

    /// A parte da conexão numa volta: lê até o socket esvaziar (o
    /// `WouldBlock`, que no Windows também rearma o aviso do poll) ou até
    /// encher `lidos`, e responde às mensagens que chegaram. Devolve se
    /// `lidos` encheu: então o socket pode ter mais.
    fn ler(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        // Com `--atraso`, um byte por vez: cada vez completa no máximo uma
        // mensagem, e as seguintes esperam no buffer do kernel, como na
        // thread que dorme, até a resposta desta sair.
        let lidos = if self.atraso.is_zero() { lidos } else { &mut lidos[..1] };
        let (mut n, mut fim) = (0, false);
        while n < lidos.len() && !fim {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => fim = true,
                Ok(lido) => n += lido,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.falhou(&e),
            }
        }
        if let Some((_, descartados)) = &mut self.descartando {
            // O fechamento demorado de `common::protocolo::fechar_com_aviso`:
            // fechar com dados do cliente por ler faria o kernel mandar um
            // RST, que pode apagar o `Erro:` antes de o cliente lê-lo.
            *descartados += n;
            if fim || *descartados >= p::DESCARTE_MAXIMO {
                self.descartando = None;
            }
            return n == lidos.len();
        }
        let mut resto = &lidos[..n];
        while !resto.is_empty() && self.desfecho.is_none() {
            let (usados, recebido) = self.enquadrador.avancar(resto);
            resto = &resto[usados..];
            match recebido {
                Some(Recebido::Mensagem(mensagem)) => {
                    if !silencioso() {
                        let texto = texto::texto_seguro(&mensagem);
                        log.linha(format!("{} Recebido: {texto}", self.cliente));
                    }
                    self.mensagens += 1;
                    if self.atraso.is_zero() {
                        acrescentar_eco(&mut self.saida, &mensagem);
                    } else {
                        // Um `sleep` pararia todos os clientes: a resposta
                        // ganha uma hora marcada num relógio do laço.
                        let hora = Instant::now() + self.atraso;
                        relogios.push(Reverse((hora, self.chave)));
                        self.adiada = Some((hora, eco(&mensagem)));
                    }
                }
                Some(_) => {
                    // Grande demais: o `Erro:` e o fechamento demorado.
                    self.saida.extend_from_slice(p::erro_mensagem_grande().as_bytes());
                    self.saida.push(b'\n');
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, self.chave)));
                    self.descartando = Some((prazo, 0));
                    let limite = p::LIMITE_MENSAGEM;
                    self.desfecho = Some(format!(
                        "Mensagem maior que {limite} bytes: conexão encerrada com erro"
                    ));
                }
                None => {}
            }
        }
        if fim && self.desfecho.is_none() {
            self.desfecho = Some(match self.enquadrador.fim() {
                Recebido::Incompleta(bytes) => format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados"),
                _ => "Cliente desconectou".to_string(),
            });
        }
        n == lidos.len()
    }

    /// Escreve o que o kernel aceitar agora; uma escrita pode sair pela
    /// metade, e o resto espera o aviso de "gravável".
    fn escrever(&mut self) {
        let mut enviados = 0;
        while enviados < self.saida.len() {
            match self.socket.write(&self.saida[enviados..]) {
                Ok(n) => enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.falhou(&e);
                    return;
                }
            }
        }
        self.saida.drain(..enviados);
        self.devolver_buffers_vazios();
        if enviados > 0 && self.saida.is_empty() && self.descartando.is_some() {
            let _ = self.socket.shutdown(Shutdown::Write); // depois do `Erro:`, o fim do fluxo
        }
    }

    pub fn falhou(&mut self, e: &io::Error) -> bool {
        self.desfecho.get_or_insert(format!("Conexão com o cliente falhou: {}", descrever(e)));
        (self.saida, self.adiada, self.descartando) = (Vec::new(), None, None);
        false
    }

    /// A regra dos buffers, a lição da curva de memória: uma conexão sem
    /// nada pela metade não guarda buffer nenhum. O laço lê todos os sockets
    /// num buffer só; uma conexão só guarda a linha sem `\n` (no
    /// `Enquadrador`) e as respostas que ainda não saíram, e cada uma volta
    /// a ser um `Vec` vazio, sem memória, ao esvaziar. Com 10.000 conexões
    /// paradas (`escala`): MEDIR KiB por conexão.
    fn devolver_buffers_vazios(&mut self) {
        if self.saida.is_empty() {
            self.saida = Vec::new();
        }
    }

    /// "Gravável" enquanto há resposta presa, senão "legível". Nunca os
    /// dois: no Windows (e no Wine), um "legível" que a conexão não vai
    /// atender (ela não lê com resposta presa) voltaria sem parar.
    pub fn interesse(&self) -> Interest {
        if self.saida.is_empty() {
            Interest::READABLE
        } else {
            Interest::WRITABLE
        }
    }

    pub fn terminou(&self) -> bool {
        let tudo_enviado = self.saida.is_empty() && self.adiada.is_none();
        self.desfecho.is_some() && tudo_enviado && self.descartando.is_none()
    }

    /// A última linha de log: como acabou, quanto durou, quantas mensagens.
    pub fn linha_de_desfecho(&mut self) -> String {
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = texto::quantidade(self.mensagens, "mensagem", "mensagens");
        let desfecho = self.desfecho.take().unwrap_or_default();
        format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente)
    }
}
