//! Uma conexão: o que a thread de um cliente guardava na pilha, e a sua vez, que nunca espera.

use crate::cuidados::{grande_demais, Log, Relogios, LINHAS_POR_VEZ};
use common::protocolo::{acrescentar_eco, Enquadrador, Recebido, LIMITE_MENSAGEM};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, log::linha, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest};
use std::{io, io::ErrorKind, io::Read, io::Write, time::Duration, time::Instant};

pub enum Fase {
    Conversando,    // lê e responde (a thread no `read()`)
    Acabou(String), // com este desfecho; fecha quando a saída esvaziar
    RespostaPresa { ate: Instant, resposta: Box<[u8]> }, // `--atraso` (a thread no `sleep`)
    EncerrandoComErro { ate: Instant, a_descartar: usize }, // o `fechar_com_aviso` das threads
}

pub struct Conexao {
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub cliente: Cliente,
    pub atraso: Duration,
    pub na_fila: bool, // está na fila das prontas (uma vez só)
    pub fase: Fase,
    pub saida: Vec<u8>, // respostas que o kernel ainda não aceitou
    pendente: Vec<u8>,  // lido e sem resposta quando a vez acabou: a próxima começa por ele
    linha: Enquadrador, // a linha sem `\n` que está chegando
    inicio: Instant,
    mensagens: u64,
}

impl Conexao {
    pub fn nova(socket: TcpStream, cliente: Cliente, atraso: Duration) -> Conexao {
        let (na_fila, fase, saida, pendente) = (false, Fase::Conversando, Vec::new(), Vec::new());
        let (linha, inicio, mensagens) = (Enquadrador::novo(LIMITE_MENSAGEM), Instant::now(), 0);
        Self { socket, cliente, atraso, na_fila, fase, saida, pendente, linha, inicio, mensagens }
    }
    /// A vez: escreve o que ficou e, se tudo saiu, lê uma vez e responde. Diz se pode haver mais.
    pub fn vez(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        self.ver_a_hora(); // as horas marcadas (`cuidados.rs`)
        if !self.escrever() {
            return false; // contrapressão: não lê enquanto a saída não sai ("gravável" a traz)
        }
        let mais = match self.fase {
            Fase::Conversando => self.ler_e_responder(lidos, log, relogios),
            Fase::EncerrandoComErro { .. } => self.descartar(lidos),
            Fase::RespostaPresa { .. } | Fase::Acabou(_) => false,
        };
        self.escrever();
        self.liberar_buffers();
        mais
    }
    /// A regra dos buffers, a lição da curva de memória (`just escala`): o laço lê num só, `lidos`,
    /// e os da conexão só existem enquanto têm dados; parada, ela guarda só o `struct`.
    fn liberar_buffers(&mut self) {
        if self.saida.is_empty() {
            self.saida = Vec::new(); // `clear()` guardaria a capacidade
        }
    }
    /// A parte da vez, `(quantos, fim)`: até o `WouldBlock` (que rearma o aviso), o fim ou `PARTE`.
    pub fn ler(&mut self, lidos: &mut [u8]) -> (usize, bool) {
        let mut n = 0;
        while n < lidos.len() {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => return (n, true),
                Ok(lido) => n += lido, // o `recv` do `selectors`
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return (n, self.falhou(&e)), // e nada mais se responde
            }
        }
        (n, false)
    }
    /// Lê a parte (ou retoma a sobra) e responde com o `match` das threads; há mais sem aviso?
    fn ler_e_responder(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        let guardados = std::mem::take(&mut self.pendente);
        let (n, fim) = if guardados.is_empty() { self.ler(lidos) } else { (0, false) };
        let mut bytes = if guardados.is_empty() { &lidos[..n] } else { &guardados[..] };
        let mut cota = if silencioso() { usize::MAX } else { LINHAS_POR_VEZ };
        while cota > 0 && matches!(self.fase, Fase::Conversando) {
            cota -= 1;
            let (usados, recebido) = self.linha.avancar(bytes);
            bytes = &bytes[usados..];
            let recebido = match recebido {
                Some(recebido) => recebido,
                None if fim => self.linha.fim(),
                None => break, // os bytes acabaram; a linha sem `\n` ficou no enquadrador
            };
            match recebido {
                Recebido::Fim => self.fase = Fase::Acabou("Cliente desconectou".to_string()),
                Recebido::Mensagem(mensagem) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        let _ = log.send(linha(format!("{} Recebido: {texto}", self.cliente)));
                    }
                    self.mensagens += 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    self.prender_resposta(relogios); // com `--atraso`, até a hora
                }
                Recebido::Incompleta(bytes) => self.fase = Fase::Acabou(format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados")),
                Recebido::GrandeDemais => self.encerrar_com_erro(relogios),
            }
        }
        self.pendente = bytes.to_vec();
        let mais = fim || n == lidos.len() || !guardados.is_empty() || !self.pendente.is_empty();
        mais && matches!(self.fase, Fase::Conversando | Fase::EncerrandoComErro { .. })
    }
    /// Escreve o que o kernel aceitar (o `send` do `selectors`) e diz se tudo saiu.
    fn escrever(&mut self) -> bool {
        while !self.saida.is_empty() {
            match self.socket.write(&self.saida) {
                Ok(n) if n > 0 => _ = self.saida.drain(..n),
                Err(e) if e.kind() != ErrorKind::WouldBlock => _ = self.falhou(&e),
                _ => return false, // o kernel não aceita mais nada agora
            }
        }
        true
    }
    /// Um erro de E/S acaba só esta conversa: nada mais se envia, e ela fecha.
    pub fn falhou(&mut self, e: &io::Error) -> bool {
        self.saida = Vec::new();
        self.fase = match self.fase {
            Fase::Acabou(_) => return false, // o desfecho já estava escrito
            Fase::EncerrandoComErro { .. } => Fase::Acabou(grande_demais()),
            _ => Fase::Acabou(format!("Conexão com o cliente falhou: {}", descrever(e))),
        };
        false
    }
    /// Para o `seletor.modify`: "gravável" se há o que escrever, senão "legível"; nunca os dois: o
    /// mio no Windows rearma os avisos a cada `WouldBlock`, e o "gravável" voltaria sem parar.
    pub fn interesse(&self) -> Interest {
        if self.saida.is_empty() {
            return Interest::READABLE;
        }
        Interest::WRITABLE
    }
    /// Se a conversa acabou e as últimas respostas saíram, a última linha de log.
    pub fn linha_final(&self) -> Option<String> {
        let Fase::Acabou(desfecho) = &self.fase else { return None };
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        let ultima = format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente);
        self.saida.is_empty().then_some(ultima)
    }
}
