//! Uma conexão: o que a thread de um cliente guardava nas suas variáveis, e a sua vez, que nunca
//! espera (pararia o laço e todos). Primeiro o núcleo, o de todo servidor com `selectors`.

use crate::servidor::Prazos;
use common::protocolo::{acrescentar_eco, erro_mensagem_grande, Enquadrador, Recebido};
use common::protocolo::{DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, log::linha, log::Log, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::{mem, net::Shutdown, time::Duration, time::Instant};

/// A cota da vez com log: o log é uma fila limitada até a thread dona do terminal; cheia, o `send`
/// espera, e o laço com ele. Por isso, com log, uma vez responde a até 128 linhas (`pendente`).
const LINHAS_POR_VEZ: usize = 128;

enum Fase {
    Conversando,                              // lê e responde (a thread no `read()`)
    Acabou(String),                           // com este desfecho; fecha quando a saída esvaziar
    RespostaPresa,                            // `--atraso` (a thread no `sleep`): espera a hora
    EncerrandoComErro { a_descartar: usize }, // o `fechar_com_aviso` das threads
}

pub struct Conexao {
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub na_fila: bool,     // está na fila das prontas (entra uma vez só)
    cliente: Cliente,
    atraso: Duration,
    fase: Fase,
    saida: Vec<u8>,     // respostas que o kernel ainda não aceitou
    pendente: Vec<u8>,  // lido e sem resposta quando a vez acabou: a próxima começa por ele
    linha: Enquadrador, // a linha sem `\n` que está chegando
    inicio: Instant,
    mensagens: u64,
}

impl Conexao {
    pub fn nova(socket: TcpStream, cliente: Cliente, atraso: Duration) -> Conexao {
        Conexao {
            socket,
            na_fila: false,
            cliente,
            atraso,
            fase: Fase::Conversando,
            saida: Vec::new(),
            pendente: Vec::new(),
            linha: Enquadrador::novo(LIMITE_MENSAGEM),
            inicio: Instant::now(),
            mensagens: 0,
        }
    }
    /// A vez: escreve o que ficou e, se tudo saiu, lê uma vez e responde. Diz se pode haver mais.
    pub fn vez(&mut self, lidos: &mut [u8], log: &Log, prazos: &mut Prazos) -> bool {
        if !self.escrever() {
            return false; // contrapressão: só lê depois que a saída sair
        }
        let mais = match self.fase {
            Fase::Conversando => self.ler_e_responder(lidos, log, prazos),
            Fase::EncerrandoComErro { .. } => self.descartar(lidos),
            Fase::RespostaPresa | Fase::Acabou(_) => false, // só falta a saída sair
        };
        self.escrever();
        if self.saida.is_empty() {
            // A regra dos buffers, a lição da curva de memória (`just escala`): o laço lê num
            // buffer só, e os da conexão só existem com dados; parada, ela custa o seu `struct`.
            self.saida = Vec::new(); // `clear()` guardaria a memória já reservada
        }
        mais
    }
    /// Lê a parte da vez, `(quantos bytes, se o fluxo acabou)`: até o `WouldBlock` (só depois dele
    /// o poll avisa de novo), até o fim do fluxo ou até encher `lidos`.
    fn ler(&mut self, lidos: &mut [u8]) -> (usize, bool) {
        let mut n = 0;
        while n < lidos.len() {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => return (n, true),
                Ok(lido) => n += lido, // o `recv` do `selectors`
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.falhou(&e); // a conversa acaba: nada mais se responde
                    break;
                }
            }
        }
        (n, false)
    }
    /// Responde (o `match` das threads) à sobra da vez anterior ou ao que ler agora; há mais?
    fn ler_e_responder(&mut self, lidos: &mut [u8], log: &Log, prazos: &mut Prazos) -> bool {
        let sobra = mem::take(&mut self.pendente);
        let (n, fim) = if sobra.is_empty() { self.ler(lidos) } else { (0, false) };
        let mut bytes = if sobra.is_empty() { &lidos[..n] } else { &sobra[..] };
        let socket_tem_mais = !sobra.is_empty() || n == lidos.len(); // não lido, ou a parte encheu
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
                    self.prender_resposta(prazos); // com `--atraso`, até a hora
                }
                Recebido::Incompleta(bytes) => {
                    let motivo = "Cliente saiu no meio de uma mensagem (sem o \\n do fim)";
                    self.fase = Fase::Acabou(format!("{motivo}; {bytes} bytes descartados"));
                }
                Recebido::GrandeDemais => self.encerrar_com_erro(prazos),
            }
        }
        // O que a cota deixou (ou o `--atraso` prendeu) fica para a próxima vez.
        self.pendente = bytes.to_vec();
        // Um `fim` que a cota deixou sem tratar volta na próxima vez: `read` devolve 0 de novo.
        match self.fase {
            Fase::Conversando => socket_tem_mais || fim || !self.pendente.is_empty(),
            Fase::EncerrandoComErro { .. } => true, // a próxima vez já fecha a escrita
            _ => false,
        }
    }
    /// Escreve o que o kernel aceitar (o `send` do `selectors`) e diz se tudo saiu.
    fn escrever(&mut self) -> bool {
        // Com `--atraso`, nada sai antes da hora.
        while !self.saida.is_empty() && !matches!(self.fase, Fase::RespostaPresa) {
            match self.socket.write(&self.saida) {
                Ok(n) if n > 0 => {
                    self.saida.drain(..n); // tira do começo o que o kernel aceitou
                }
                Err(e) if e.kind() != ErrorKind::WouldBlock => self.falhou(&e), // esvazia a saída
                _ => return false, // o kernel não aceita mais nada agora
            }
        }
        self.saida.is_empty()
    }
    /// Um erro de E/S acaba só esta conversa: nada mais se envia, e ela fecha.
    pub fn falhou(&mut self, e: &io::Error) {
        self.saida = Vec::new();
        if matches!(self.fase, Fase::EncerrandoComErro { .. }) {
            self.acabar_com_erro(); // o desfecho continua sendo o do `Erro:`
        } else if !matches!(self.fase, Fase::Acabou(_)) {
            self.fase = Fase::Acabou(format!("Conexão com o cliente falhou: {}", descrever(e)));
        }
    }
    /// Para o `seletor.modify`: "gravável" se há o que escrever agora, senão "legível"; nunca os
    /// dois: o mio no Windows rearma os avisos a cada `WouldBlock`, e o "gravável" não pararia.
    pub fn interesse(&self) -> Interest {
        if self.saida.is_empty() || matches!(self.fase, Fase::RespostaPresa) {
            Interest::READABLE
        } else {
            Interest::WRITABLE
        }
    }
    /// Se a conversa acabou e as últimas respostas saíram, a última linha de log.
    pub fn linha_final(&self) -> Option<String> {
        let Fase::Acabou(desfecho) = &self.fase else { return None };
        if !self.saida.is_empty() {
            return None;
        }
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        Some(format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente))
    }
    // Os cuidados: onde a thread dorme ou espera com prazo, aqui se marca uma hora (`Prazos`).
    /// O `--atraso` sem o `sleep`, que pararia todos: a resposta fica presa até a hora, sem ler.
    fn prender_resposta(&mut self, prazos: &mut Prazos) {
        if !self.atraso.is_zero() {
            prazos.insert((Instant::now() + self.atraso, Token(self.cliente.numero as usize)));
            self.fase = Fase::RespostaPresa;
        }
    }
    /// O `fechar_com_aviso` das threads, sem esperar: o `Erro:` na saída, e depois `descartar`.
    fn encerrar_com_erro(&mut self, prazos: &mut Prazos) {
        self.saida.extend(format!("{}\n", erro_mensagem_grande()).bytes());
        prazos.insert((Instant::now() + ESPERA_AO_ENCERRAR, Token(self.cliente.numero as usize)));
        self.fase = Fase::EncerrandoComErro { a_descartar: DESCARTE_MAXIMO };
    }
    /// Enviado o `Erro:`, fecha a escrita e descarta o que chegar (fechar com bytes não lidos
    /// mandaria um RST, que pode apagar o `Erro:` antes de o cliente lê-lo).
    fn descartar(&mut self, lidos: &mut [u8]) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let (n, fim) = self.ler(lidos);
        let Fase::EncerrandoComErro { a_descartar } = &mut self.fase else { return false };
        *a_descartar = a_descartar.saturating_sub(n);
        if fim || *a_descartar == 0 {
            self.acabar_com_erro(); // o cliente fechou, ou descartou o bastante
        }
        n == lidos.len()
    }
    /// Chegou a hora marcada: a resposta presa pode sair; o fechamento demorado desiste, como a
    /// escrita com prazo das threads (um cliente que não lê nem fecha não segura a conexão).
    pub fn na_hora(&mut self) {
        match self.fase {
            Fase::RespostaPresa => self.fase = Fase::Conversando,
            Fase::EncerrandoComErro { .. } => {
                self.saida = Vec::new(); // o que não saiu do `Erro:` fica por isso mesmo
                self.acabar_com_erro();
            }
            _ => {}
        }
    }
    fn acabar_com_erro(&mut self) {
        let desfecho = "conexão encerrada com erro";
        self.fase = Fase::Acabou(format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: {desfecho}"));
    }
}
