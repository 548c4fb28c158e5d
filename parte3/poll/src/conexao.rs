//! Uma conexão: as variáveis da thread de um cliente viram um `struct`, e o
//! que ela fazia bloqueando, a sua vez ([`Conexao::vez`]), que nunca espera.

use crate::log::Log;
use common::protocolo::{self as p, acrescentar_eco, LeitorDeLinhas, Recebido};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest};
use std::io::{self, ErrorKind, Read, Write};
use std::{cmp::Reverse, collections::BinaryHeap, net::Shutdown, time::Duration, time::Instant};

pub type Relogios = BinaryHeap<Reverse<(Instant, u64)>>; // (hora, cliente), a mais cedo no topo

pub struct Conexao {
    pub cliente: Cliente,
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub na_fila: bool,     // já está na fila das prontas
    inicio: Instant,
    mensagens: u64,
    atraso: Duration,
    linhas: Option<LeitorDeLinhas>, // o das threads, só enquanto guarda bytes
    saida: Vec<u8>, // o que o kernel não aceitou; enquanto houver, não lê (contrapressão)
    presa_ate: Option<Instant>, // `--atraso`: a hora da resposta em `saida`
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
            linhas: None,
            saida: Vec::new(),
            presa_ate: None,
            desfecho: None,
            descartando: None,
        }
    }

    /// A vez da conexão: escreve o que espera e, se nada sobrou, responde a
    /// no máximo `parte` bytes de mensagens. Devolve se pode ter mais.
    pub fn vez(&mut self, parte: usize, log: &Log, relogios: &mut Relogios) -> bool {
        self.presa_ate = self.presa_ate.filter(|&hora| hora > Instant::now());
        self.descartando = self.descartando.filter(|&(prazo, _)| prazo > Instant::now());
        self.escrever();
        let mais = self.saida.is_empty() && self.responder(parte, log, relogios);
        self.escrever();
        if self.saida.is_empty() && self.descartando.is_some() {
            self.descartar();
        }
        self.sem_dados_sem_buffer();
        mais
    }

    /// O laço e o `match` da versão com threads; onde a thread esperaria,
    /// `proxima` devolve `WouldBlock` (guardando o que já chegou).
    fn responder(&mut self, parte: usize, log: &Log, relogios: &mut Relogios) -> bool {
        let mut respondidos = 0;
        while self.desfecho.is_none() && self.presa_ate.is_none() && respondidos < parte {
            let linhas = self.linhas.get_or_insert_with(LeitorDeLinhas::novo);
            self.desfecho = match linhas.proxima(&mut self.socket) {
                Ok(Recebido::Fim) => Some("Cliente desconectou".to_string()),
                Ok(Recebido::Mensagem(mensagem)) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        log.linha(format!("{} Recebido: {texto}", self.cliente));
                    }
                    self.mensagens += 1;
                    respondidos += mensagem.len() + 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    if !self.atraso.is_zero() {
                        // NOVO: um `sleep` pararia todos. A resposta fica presa até a
                        // hora marcada; até lá a conexão não lê, como a thread que dorme.
                        let hora = Instant::now() + self.atraso;
                        relogios.push(Reverse((hora, self.cliente.numero)));
                        self.presa_ate = Some(hora);
                    }
                    None
                }
                Ok(Recebido::Incompleta(bytes)) => Some(format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados")),
                Ok(Recebido::GrandeDemais) => {
                    self.saida.extend(format!("{}\n", p::erro_mensagem_grande()).bytes());
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    relogios.push(Reverse((prazo, self.cliente.numero)));
                    self.descartando = Some((prazo, p::DESCARTE_MAXIMO));
                    let limite = p::LIMITE_MENSAGEM;
                    Some(format!("Mensagem maior que {limite} bytes: conexão encerrada com erro"))
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) => Some(format!("Conexão com o cliente falhou: {}", descrever(&e))),
            };
        }
        respondidos >= parte // a parte acabou: o resto fica para a próxima vez
    }

    /// Escreve o que o kernel aceitar (a resposta presa, só na hora dela); o
    /// resto de uma escrita pela metade espera o aviso de "gravável".
    fn escrever(&mut self) {
        let mut enviados = 0;
        while enviados < self.saida.len() && self.presa_ate.is_none() {
            match self.socket.write(&self.saida[enviados..]) {
                Ok(n) if n > 0 => enviados += n,
                Err(e) if e.kind() != ErrorKind::WouldBlock => return self.falhou(&e),
                _ => break, // o kernel não aceita mais nada agora
            }
        }
        self.saida.drain(..enviados);
    }

    /// Saído o `Erro:`, o fechamento demorado de `fechar_com_aviso`: o fim do
    /// fluxo, e descartar o que chegar até o cliente fechar, o prazo ou o
    /// limite (fechar com dados por ler faria o kernel mandar um RST, que
    /// pode apagar o `Erro:` antes de o cliente lê-lo).
    fn descartar(&mut self) {
        let _ = self.socket.shutdown(Shutdown::Write);
        let mut lixo = [0; 8192];
        while let Some((_, resta)) = &mut self.descartando {
            match self.socket.read(&mut lixo) {
                Ok(n) if n > 0 && n < *resta => *resta -= n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                _ => self.descartando = None, // o fim do fluxo, o limite ou um erro
            }
        }
    }

    pub fn falhou(&mut self, e: &io::Error) {
        self.desfecho.get_or_insert(format!("Conexão com o cliente falhou: {}", descrever(e)));
        (self.saida, self.presa_ate, self.descartando) = (Vec::new(), None, None);
    }

    /// A regra dos buffers, a lição da curva de memória: um buffer só existe
    /// enquanto tem dados. Parada, a conexão não guarda nem o leitor (8 KiB)
    /// nem a saída: com 10.000 conexões paradas (`escala`), MEDIR KiB cada.
    fn sem_dados_sem_buffer(&mut self) {
        self.linhas = self.linhas.take().filter(|linhas| linhas.sem_resposta() > 0);
        if self.saida.is_empty() {
            self.saida = Vec::new();
        }
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

    /// Se ela terminou (a conversa acabou e tudo saiu), a última linha de
    /// log: como acabou, quanto durou, quantas mensagens.
    pub fn linha_final(&mut self) -> Option<String> {
        let tudo_saiu = self.saida.is_empty() && self.descartando.is_none();
        let desfecho = self.desfecho.take_if(|_| tudo_saiu)?;
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        Some(format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente))
    }
}
