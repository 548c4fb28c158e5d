//! Uma conexão: o que a thread de um cliente guardava em variáveis locais
//! vira um `struct`, e o que ela fazia bloqueando, a sua vez ([`Conexao::vez`]).

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
    /// `--atraso`: a hora da resposta em `saida`, e o que veio depois dela.
    presa_ate: Option<Instant>,
    pendente: Vec<u8>,
    /// Como a conversa acabou; a conexão fecha quando tudo tiver saído.
    desfecho: Option<String>,
    /// Depois de um `Erro:`: o prazo e o limite do que ainda descarta.
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

    /// A vez da conexão: escreve o que espera e, se nada sobrou, lê a sua
    /// parte e responde. Devolve se pode ter mais para ler.
    pub fn vez(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        let agora = Instant::now();
        self.presa_ate = self.presa_ate.filter(|&hora| hora > agora);
        self.descartando = self.descartando.filter(|&(prazo, _)| prazo > agora);
        self.escrever();
        let conversa = self.desfecho.is_none() || self.descartando.is_some();
        let mais = conversa && self.saida.is_empty() && self.ler(lidos, log, relogios);
        self.escrever();
        mais
    }

    /// Lê até o socket esvaziar (o `WouldBlock`, que no Windows também
    /// rearma o aviso do poll) ou até encher `lidos`, e responde. Devolve se
    /// encheu: então o socket pode ter mais.
    fn ler(&mut self, lidos: &mut [u8], log: &mut Log, relogios: &mut Relogios) -> bool {
        if !self.pendente.is_empty() {
            let pendente = std::mem::take(&mut self.pendente);
            self.responder(&pendente, false, log, relogios);
            return true; // o socket fica para a próxima vez
        }
        let (mut n, mut fim) = (0, false);
        while n < lidos.len() && !fim {
            match self.socket.read(&mut lidos[n..]) {
                Ok(lido) => (n, fim) = (n + lido, lido == 0),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.falhou(&e);
                    return false;
                }
            }
        }
        // Depois do `Erro:`, o fechamento demorado de `fechar_com_aviso`
        // (fechar com dados por ler faria o kernel mandar um RST, que pode
        // apagar o `Erro:`): descarta até o cliente fechar, o prazo ou o limite.
        if let Some((_, resta)) = &mut self.descartando {
            *resta = resta.saturating_sub(n);
            if fim || *resta == 0 {
                self.descartando = None;
            }
        }
        self.responder(&lidos[..n], fim, log, relogios);
        n == lidos.len()
    }

    /// O `match` da versão com threads: responde às mensagens que `bytes`
    /// completa e, no `fim` do fluxo, anota como a conversa acabou.
    fn responder(&mut self, mut bytes: &[u8], fim: bool, log: &mut Log, relogios: &mut Relogios) {
        while self.desfecho.is_none() && self.presa_ate.is_none() && (fim || !bytes.is_empty()) {
            let recebido = if bytes.is_empty() {
                self.enquadrador.fim()
            } else {
                let (usados, recebido) = self.enquadrador.avancar(bytes);
                bytes = &bytes[usados..];
                let Some(recebido) = recebido else { continue };
                recebido
            };
            self.desfecho = match recebido {
                Recebido::Fim => Some("Cliente desconectou".to_string()),
                Recebido::Mensagem(mensagem) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        log.linha(format!("{} Recebido: {texto}", self.cliente));
                    }
                    self.mensagens += 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    if !self.atraso.is_zero() {
                        // NOVO: um `sleep` pararia todos. A resposta fica
                        // presa até a hora marcada, e a conexão não lê nem
                        // responde mais nada até lá, como a thread que dorme
                        // (um fim do fluxo volta na leitura seguinte).
                        let hora = Instant::now() + self.atraso;
                        relogios.push(Reverse((hora, self.chave)));
                        (self.presa_ate, self.pendente) = (Some(hora), bytes.to_vec());
                    }
                    None
                }
                Recebido::Incompleta(bytes) => Some(format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados")),
                Recebido::GrandeDemais => {
                    self.saida.extend_from_slice(p::erro_mensagem_grande().as_bytes());
                    self.saida.push(b'\n');
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, self.chave)));
                    self.descartando = Some((prazo, p::DESCARTE_MAXIMO));
                    let limite = p::LIMITE_MENSAGEM;
                    Some(format!("Mensagem maior que {limite} bytes: conexão encerrada com erro"))
                }
            };
        }
    }

    /// Escreve o que o kernel aceitar (a resposta presa, só na hora dela); o
    /// resto de uma escrita pela metade espera o aviso de "gravável".
    fn escrever(&mut self) {
        let mut enviados = 0;
        while enviados < self.saida.len() && self.presa_ate.is_none() {
            match self.socket.write(&self.saida[enviados..]) {
                Ok(n) if n > 0 => enviados += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Ok(_) => return self.falhou(&ErrorKind::WriteZero.into()),
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
    /// os dois: no Windows, o mio rearma os avisos pedidos a cada `WouldBlock`,
    /// e um "gravável" sem nada a escrever voltaria na hora, sem parar.
    pub fn interesse(&self) -> Interest {
        match self.saida.is_empty() || self.presa_ate.is_some() {
            true => Interest::READABLE,
            false => Interest::WRITABLE,
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

/// A regra dos buffers, a lição da curva de memória: o laço lê todos os
/// sockets num buffer só, e cada buffer de uma conexão (a linha sem `\n`, a
/// saída) só existe enquanto tem dados: ao esvaziar, volta a ser um `Vec`
/// sem memória. Com 10.000 conexões paradas (`escala`): MEDIR KiB cada.
fn sem_dados_sem_buffer(buffer: &mut Vec<u8>) {
    if buffer.is_empty() {
        *buffer = Vec::new();
    }
}
