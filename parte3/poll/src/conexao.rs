//! Uma conexão: as variáveis da thread de um cliente, e a sua vez, que nunca espera.

use crate::log::Log;
use common::protocolo::{self as p, acrescentar_eco, Enquadrador, Recebido};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest};
use std::io::{self, ErrorKind, Read, Write};
use std::{cmp::Reverse, collections::BinaryHeap, net::Shutdown, time::Duration, time::Instant};

pub type Relogios = BinaryHeap<Reverse<(Instant, u64)>>; // (hora, cliente; 0: o accept())

pub struct Conexao {
    pub cliente: Cliente,
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub na_fila: bool,     // já está na fila das prontas
    inicio: Instant,
    mensagens: u64,
    atraso: Duration,
    enquadrador: Enquadrador,   // a linha sem `\n` que está chegando
    saida: Vec<u8>, // o que o kernel não aceitou; enquanto houver, não lê (contrapressão)
    presa_ate: Option<Instant>, // `--atraso`: a hora da resposta em `saida`
    pendente: Vec<u8>, // `--atraso`: o que já veio depois dela
    desfecho: Option<String>, // como a conversa acabou; fecha quando tudo sair
    descartando: Option<(Instant, usize)>, // depois do `Erro:`: prazo e limite
}

impl Conexao {
    pub fn nova(cliente: Cliente, socket: TcpStream, atraso: Duration) -> Conexao {
        Conexao {
            cliente,
            socket,
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
    /// parte (no máximo `lidos.len()` bytes) e responde. Devolve se pode ter mais.
    pub fn vez(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        self.presa_ate = self.presa_ate.filter(|&hora| hora > Instant::now());
        self.descartando = self.descartando.filter(|&(prazo, _)| prazo > Instant::now());
        let conversa = self.desfecho.is_none() || self.descartando.is_some();
        let mais = self.escrever() && conversa && self.ler(lidos, log, relogios);
        self.escrever();
        // A regra dos buffers, a lição da curva de memória: o laço lê todos os
        // sockets num buffer só, e os de uma conexão (a linha sem `\n`, a saída)
        // só existem enquanto têm dados: 0,4 KiB por conexão parada (`escala`).
        if !mais && self.saida.is_empty() {
            self.saida = Vec::new();
        }
        mais
    }

    /// Lê até o socket esvaziar (o `WouldBlock`, que no Windows também rearma o aviso do poll) ou
    /// encher `lidos`, e responde com o `match` das threads. Devolve se encheu: pode ter mais.
    fn ler(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        let (mut n, mut fim) = (self.pendente.len(), false);
        lidos[..n].copy_from_slice(&std::mem::take(&mut self.pendente)); // primeiro, o que esperava
        while n < lidos.len() && !fim {
            match self.socket.read(&mut lidos[n..]) {
                Ok(lido) => (n, fim) = (n + lido, lido == 0),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return self.falhou(&e),
            }
        }
        // Depois do `Erro:`, o fechamento demorado (`fechar_com_aviso`) descarta.
        if let Some((_, resta)) = &mut self.descartando {
            *resta = resta.saturating_sub(n);
            self.descartando = self.descartando.filter(|&(_, resta)| resta > 0 && !fim);
        }
        let mut bytes = &lidos[..n];
        while self.desfecho.is_none() && self.presa_ate.is_none() {
            let (usados, recebido) = self.enquadrador.avancar(bytes);
            bytes = &bytes[usados..];
            let recebido = match recebido {
                Some(recebido) => recebido,
                None if fim => self.enquadrador.fim(),
                None => break, // tudo lido; a linha sem `\n` ficou no enquadrador
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
                        // NOVO: um `sleep` pararia todos. A resposta fica presa até a
                        // hora marcada; até lá a conexão não lê, como a thread que dorme.
                        let hora = Instant::now() + self.atraso;
                        relogios.push(Reverse((hora, self.cliente.numero)));
                        (self.presa_ate, self.pendente) = (Some(hora), bytes.to_vec());
                    }
                    None
                }
                Recebido::Incompleta(bytes) => Some(format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados")),
                Recebido::GrandeDemais => {
                    self.saida.extend(format!("{}\n", p::erro_mensagem_grande()).bytes());
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, self.cliente.numero)));
                    self.descartando = Some((prazo, p::DESCARTE_MAXIMO));
                    let limite = p::LIMITE_MENSAGEM;
                    Some(format!("Mensagem maior que {limite} bytes: conexão encerrada com erro"))
                }
            };
        }
        n == lidos.len()
    }

    /// Escreve o que o kernel aceitar e diz se tudo saiu. A resposta presa só
    /// sai na hora dela; o resto de uma escrita pela metade, com "gravável".
    fn escrever(&mut self) -> bool {
        let mut enviados = 0;
        while enviados < self.saida.len() && self.presa_ate.is_none() {
            match self.socket.write(&self.saida[enviados..]) {
                Ok(n) if n > 0 => enviados += n,
                Err(e) if e.kind() != ErrorKind::WouldBlock => return self.falhou(&e),
                _ => break, // o kernel não aceita mais nada agora
            }
        }
        self.saida.drain(..enviados);
        if enviados > 0 && self.saida.is_empty() && self.descartando.is_some() {
            let _ = self.socket.shutdown(Shutdown::Write); // depois do `Erro:`, o fim do fluxo
        }
        self.saida.is_empty()
    }

    pub fn falhou(&mut self, e: &io::Error) -> bool {
        self.desfecho.get_or_insert(format!("Conexão com o cliente falhou: {}", descrever(e)));
        (self.saida, self.descartando) = (Vec::new(), None); // e ela fecha
        false
    }

    /// "Gravável" se há resposta que pode sair, senão "legível". Nunca os dois:
    /// o mio rearma no Windows os avisos pedidos a cada `WouldBlock`, e um
    /// "gravável" sem nada a escrever voltaria na hora, sem parar.
    pub fn interesse(&self) -> Interest {
        match self.saida.is_empty() || self.presa_ate.is_some() {
            true => Interest::READABLE,
            false => Interest::WRITABLE,
        }
    }

    /// Se tudo saiu, a última linha de log: como acabou, quanto durou, quantas mensagens.
    pub fn linha_final(&mut self) -> Option<String> {
        let tudo_saiu = self.saida.is_empty() && self.descartando.is_none();
        let desfecho = self.desfecho.take_if(|_| tudo_saiu)?;
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        Some(format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente))
    }
}
