//! Uma conexão: o que a thread de um cliente guardava em variáveis locais
//! vira um `struct`, e o que ela fazia bloqueando vira a sua vez
//! ([`Conexao::vez`]), que nunca espera.

use crate::log::Log;
use common::protocolo::{self as p, acrescentar_eco, Enquadrador, Recebido};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest};
use std::io::{self, ErrorKind, Read, Write};
use std::{cmp::Reverse, collections::BinaryHeap, net::Shutdown, time::Duration, time::Instant};

/// Os relógios do laço, o mais próximo primeiro: (quando, chave da conexão).
pub type Relogios = BinaryHeap<Reverse<(Instant, usize)>>;

pub struct Conexao {
    pub cliente: Cliente,
    /// Só a `Conexao` tem o socket: destruí-la é o close().
    pub socket: TcpStream,
    /// A chave no `Slab` do laço, que é também o `Token` no poll.
    chave: usize,
    /// Já está na fila das prontas (para não entrar duas vezes).
    pub na_fila: bool,
    inicio: Instant,
    mensagens: u64,
    atraso: Duration,
    /// A linha sem `\n` que está chegando.
    enquadrador: Enquadrador,
    /// Respostas que o kernel ainda não aceitou. Enquanto houver, a conexão
    /// não lê: quem não lê as respostas não faz a memória do servidor crescer.
    saida: Vec<u8>,
    /// `--atraso`: a hora em que a resposta em `saida` pode sair, e o que
    /// já foi lido depois da mensagem dela, que espera essa hora.
    presa_ate: Option<Instant>,
    pendente: Vec<u8>,
    /// Como a conversa acabou; a conexão fecha quando tudo tiver saído.
    desfecho: Option<String>,
    /// Depois de um `Erro:`: o prazo do fechamento demorado e o que ainda
    /// pode descartar.
    descartando: Option<(Instant, usize)>,
}

impl Conexao {
    pub fn nova(cliente: Cliente, chave: usize, socket: TcpStream, atraso: Duration) -> Conexao {
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
            presa_ate: None,
            pendente: Vec::new(),
            desfecho: None,
            descartando: None,
        }
    }

    /// A vez da conexão: escreve o que espera; se não sobrou nada, responde
    /// ao que ficou pendente ou lê a sua parte do socket (no máximo
    /// `lidos.len()` bytes), e escreve as respostas. Devolve se o socket
    /// pode ter mais para ler.
    pub fn vez(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        let agora = Instant::now();
        self.presa_ate = self.presa_ate.filter(|&hora| hora > agora);
        self.descartando = self.descartando.filter(|&(prazo, _)| prazo > agora);
        self.escrever();
        if self.saida.is_empty() && !self.pendente.is_empty() {
            let pendente = std::mem::take(&mut self.pendente);
            self.responder(&pendente, log, relogios);
            self.escrever();
        }
        let mais = self.pode_ler() && self.ler(lidos, log, relogios);
        self.escrever();
        mais && self.pode_ler()
    }

    /// A conversa não acabou (ou falta descartar), e nada espera a vez.
    fn pode_ler(&self) -> bool {
        let conversa = self.desfecho.is_none() || self.descartando.is_some();
        conversa && self.saida.is_empty() && self.pendente.is_empty()
    }

    /// Lê até o socket esvaziar (o `WouldBlock`, que no Windows também
    /// rearma o aviso do poll) ou até encher `lidos`, e responde. Devolve se
    /// `lidos` encheu: então o socket pode ter mais.
    fn ler(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        let (mut n, mut fim) = (0, false);
        while n < lidos.len() && !fim {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => fim = true,
                Ok(lido) => n += lido,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.falhou(&e);
                    return false;
                }
            }
        }
        if let Some((_, resta)) = &mut self.descartando {
            // O fechamento demorado de `common::protocolo::fechar_com_aviso`
            // (fechar com dados por ler faria o kernel mandar um RST, que
            // pode apagar o `Erro:`): descarta até o cliente fechar, o prazo
            // ou o limite do descarte.
            *resta = resta.saturating_sub(n);
            if fim || *resta == 0 {
                self.descartando = None;
            }
        } else {
            self.responder(&lidos[..n], log, relogios);
        }
        // Com algo pendente, o fim fica para depois: a leitura que o achou
        // o achará de novo quando a conexão voltar a ler.
        if fim && self.desfecho.is_none() && self.pendente.is_empty() {
            self.desfecho = Some(match self.enquadrador.fim() {
                Recebido::Incompleta(bytes) => format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados"),
                _ => "Cliente desconectou".to_string(),
            });
        }
        n == lidos.len()
    }

    /// Responde às mensagens que `bytes` completa; a linha pela metade fica
    /// no enquadrador.
    fn responder(&mut self, mut bytes: &[u8], log: &mut Log, relogios: &mut Relogios) {
        while !bytes.is_empty() && self.desfecho.is_none() {
            let (usados, recebido) = self.enquadrador.avancar(bytes);
            bytes = &bytes[usados..];
            match recebido {
                None => {}
                Some(Recebido::Mensagem(mensagem)) => {
                    if !silencioso() {
                        log.linha(format!(
                            "{} Recebido: {}",
                            self.cliente,
                            texto_seguro(&mensagem)
                        ));
                    }
                    self.mensagens += 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    if !self.atraso.is_zero() {
                        // NOVO: um `sleep` pararia todos os clientes. A
                        // resposta fica presa até a hora marcada num relógio
                        // do laço, e a conexão não lê nem responde mais nada
                        // até lá, como a thread que dorme.
                        let hora = Instant::now() + self.atraso;
                        relogios.push(Reverse((hora, self.chave)));
                        (self.presa_ate, self.pendente) = (Some(hora), bytes.to_vec());
                        return;
                    }
                }
                Some(_) => {
                    // Grande demais: o `Erro:`, e o fechamento demorado.
                    self.saida.extend_from_slice(p::erro_mensagem_grande().as_bytes());
                    self.saida.push(b'\n');
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, self.chave)));
                    self.descartando = Some((prazo, p::DESCARTE_MAXIMO));
                    let limite = p::LIMITE_MENSAGEM;
                    self.desfecho = Some(format!(
                        "Mensagem maior que {limite} bytes: conexão encerrada com erro"
                    ));
                }
            }
        }
    }

    /// Escreve o que o kernel aceitar agora (se não é uma resposta presa);
    /// uma escrita pode sair pela metade, e o resto espera o aviso de
    /// "gravável".
    fn escrever(&mut self) {
        let mut enviados = 0;
        while enviados < self.saida.len() && self.presa_ate.is_none() {
            match self.socket.write(&self.saida[enviados..]) {
                Ok(0) => return self.falhou(&ErrorKind::WriteZero.into()),
                Ok(n) => enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.falhou(&e),
            }
        }
        self.saida.drain(..enviados);
        sem_dados_sem_buffer(&mut self.saida);
        if enviados > 0 && self.saida.is_empty() && self.descartando.is_some() {
            let _ = self.socket.shutdown(Shutdown::Write); // depois do `Erro:`, o fim do fluxo
        }
    }

    /// A conexão falhou (RST, rede): o que ela ainda tinha a fazer se perde.
    pub fn falhou(&mut self, e: &io::Error) {
        self.desfecho.get_or_insert(format!("Conexão com o cliente falhou: {}", descrever(e)));
        (self.saida, self.pendente, self.presa_ate, self.descartando) =
            (vec![], vec![], None, None);
    }

    /// "Gravável" enquanto há resposta que pode sair, senão "legível". Nunca
    /// os dois: no Windows (e no Wine), um "legível" que a conexão não vai
    /// atender (ela não lê com resposta esperando) voltaria sem parar.
    pub fn interesse(&self) -> Interest {
        if self.saida.is_empty() || self.presa_ate.is_some() {
            Interest::READABLE
        } else {
            Interest::WRITABLE
        }
    }

    pub fn terminou(&self) -> bool {
        self.desfecho.is_some() && self.saida.is_empty() && self.descartando.is_none()
    }

    /// A última linha de log: como acabou, quanto durou, quantas mensagens.
    pub fn linha_de_desfecho(&mut self) -> String {
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        let desfecho = self.desfecho.take().unwrap_or_default();
        format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente)
    }
}

/// A regra dos buffers, a lição da curva de memória: uma conexão sem nada
/// pela metade não guarda buffer nenhum. O laço lê todos os sockets num
/// buffer só; cada conexão guarda só a linha sem `\n` (no `Enquadrador`) e
/// o que ainda não saiu, e cada buffer que esvazia volta a ser um `Vec` sem
/// memória. Com 10.000 conexões paradas (`escala`): MEDIR KiB por conexão.
fn sem_dados_sem_buffer(buffer: &mut Vec<u8>) {
    if buffer.is_empty() {
        *buffer = Vec::new();
    }
}
