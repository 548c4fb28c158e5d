//! Uma conexão: as variáveis da thread de um cliente, e a sua vez, que nunca espera.

use crate::servidor::LINHAS_POR_VEZ;
use common::protocolo::{self as p, acrescentar_eco, Enquadrador, Recebido, LIMITE_MENSAGEM};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, log::linha, log::Linha, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::{cmp::Reverse, collections::BinaryHeap, net::Shutdown, time::Duration, time::Instant};

pub type Relogios = BinaryHeap<Reverse<(Instant, Token)>>; // horas marcadas; a mais cedo no topo
pub type Log = crossbeam_channel::Sender<Linha>; // a outra ponta é da thread do log

/// Onde a conversa está: cada espera da thread de um cliente vira uma fase.
enum Fase {
    Conversando,                   // lê e responde (a thread no `read()`)
    RespostaPresaAte(Instant),     // `--atraso`: a resposta sai nesta hora (a thread no `sleep`)
    EncerrandoComErroAte(Instant), // o `fechar_com_aviso` das threads, sem esperar por ele
    Acabou(String),                // com este desfecho; fecha quando a saída esvaziar
}

pub struct Conexao {
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub na_fila: bool,     // está na fila das prontas
    cliente: Cliente,
    fase: Fase,
    inicio: Instant,
    mensagens: u64,
    atraso: Duration,
    fim_da_leitura: bool, // o cliente fechou o lado dele (leu 0), ou a conexão falhou
    a_descartar: usize,   // depois do `Erro:`, o que ainda aceita jogar fora
    enquadrador: Enquadrador, // a linha sem `\n` que está chegando
    pendente: Vec<u8>,    // lido e sem resposta: espera a hora (`--atraso`) ou a vez
    saida: Vec<u8>,       // o que o kernel ainda não aceitou
}

impl Conexao {
    pub fn nova(cliente: Cliente, socket: TcpStream, atraso: Duration) -> Conexao {
        Conexao {
            socket,
            na_fila: false,
            cliente,
            fase: Fase::Conversando,
            inicio: Instant::now(),
            mensagens: 0,
            atraso,
            fim_da_leitura: false,
            a_descartar: p::DESCARTE_MAXIMO,
            enquadrador: Enquadrador::novo(LIMITE_MENSAGEM),
            pendente: Vec::new(),
            saida: Vec::new(),
        }
    }

    /// A vez: escreve o que ficou e, se tudo saiu, lê e responde (ou descarta); diz se há mais.
    pub fn vez(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        if matches!(self.fase, Fase::RespostaPresaAte(hora) if hora <= Instant::now()) {
            self.fase = Fase::Conversando; // chegou a hora da resposta presa
        }
        if !self.escrever() {
            return false; // contrapressão: não lê enquanto a saída não sai ("gravável" a traz)
        }
        let mais = match self.fase {
            Fase::Conversando => self.ler_e_responder(lidos, log, relogios),
            Fase::EncerrandoComErroAte(_) => self.descartar(lidos),
            Fase::RespostaPresaAte(_) | Fase::Acabou(_) => false,
        };
        self.escrever();
        self.liberar_buffers();
        mais
    }

    /// A regra dos buffers, a lição da curva de memória: o laço lê num buffer só (`lidos`), e os
    /// da conexão só existem enquanto têm dados: 0,4 KiB por conexão parada (`escala`).
    fn liberar_buffers(&mut self) {
        if self.saida.is_empty() {
            self.saida = Vec::new();
        }
    }

    /// Lê até o `WouldBlock` (no Windows, ele rearma o aviso do poll), encher `lidos` ou acabar.
    fn ler(&mut self, lidos: &mut [u8]) -> usize {
        let mut n = 0;
        while n < lidos.len() && !self.fim_da_leitura {
            match self.socket.read(&mut lidos[n..]) {
                Ok(0) => self.fim_da_leitura = true,
                Ok(lido) => n += lido,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => self.falhou(&e),
            }
        }
        n
    }

    /// Lê a parte desta vez (depois do que esperava) e responde com o `match` das threads, até uma
    /// espera, o fim ou [`LINHAS_POR_VEZ`] linhas de log; o resto fica pendente.
    fn ler_e_responder(&mut self, lidos: &mut [u8], log: &Log, relogios: &mut Relogios) -> bool {
        let guardados = self.pendente.len();
        lidos[..guardados].copy_from_slice(&self.pendente);
        let n = guardados + self.ler(&mut lidos[guardados..]);
        let mut bytes = &lidos[..n];
        let token = Token(self.cliente.numero as usize);
        let mut linhas = 0;
        while matches!(self.fase, Fase::Conversando) && linhas < LINHAS_POR_VEZ {
            let (usados, recebido) = self.enquadrador.avancar(bytes);
            bytes = &bytes[usados..];
            let recebido = match recebido {
                Some(recebido) => recebido,
                None if self.fim_da_leitura => self.enquadrador.fim(),
                None => break, // os bytes acabaram; a linha sem `\n` ficou no enquadrador
            };
            match recebido {
                Recebido::Fim => self.fase = Fase::Acabou("Cliente desconectou".to_string()),
                Recebido::Mensagem(mensagem) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        let _ = log.send(linha(format!("{} Recebido: {texto}", self.cliente)));
                        linhas += 1;
                    }
                    self.mensagens += 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    if !self.atraso.is_zero() {
                        // NOVO: um `sleep` pararia todos. A resposta fica presa até a hora
                        // marcada, e até lá a conexão não lê, como a thread que dorme.
                        let hora = Instant::now() + self.atraso;
                        self.fase = Fase::RespostaPresaAte(hora);
                        relogios.push(Reverse((hora, token)));
                    }
                }
                Recebido::Incompleta(bytes) => {
                    self.fase = Fase::Acabou(format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados"));
                }
                Recebido::GrandeDemais => {
                    self.saida.extend(format!("{}\n", p::erro_mensagem_grande()).bytes());
                    let prazo = Instant::now() + p::ESPERA_AO_ENCERRAR;
                    self.fase = Fase::EncerrandoComErroAte(prazo);
                    relogios.push(Reverse((prazo, token)));
                }
            }
        }
        self.pendente = bytes.to_vec();
        // Há mais se o socket pode ter, se sobrou o que responder ou se o fim lido espera a vez.
        let mais = n == lidos.len() || !self.pendente.is_empty() || self.fim_da_leitura;
        matches!(self.fase, Fase::Conversando) && mais
    }

    /// O fechamento demorado, com o `Erro:` enviado: fecha a escrita (de novo não faz nada) e joga
    /// fora o que chegar (fechar com dados não lidos mandaria um RST, que pode apagar o `Erro:`).
    fn descartar(&mut self, lidos: &mut [u8]) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let n = self.ler(lidos);
        self.a_descartar = self.a_descartar.saturating_sub(n);
        n == lidos.len()
    }

    /// Escreve o que o kernel aceitar e diz se tudo saiu. A resposta presa só sai na sua hora.
    fn escrever(&mut self) -> bool {
        while !self.saida.is_empty() && !matches!(self.fase, Fase::RespostaPresaAte(_)) {
            match self.socket.write(&self.saida) {
                Ok(n) if n > 0 => {
                    self.saida.drain(..n);
                }
                Err(e) if e.kind() != ErrorKind::WouldBlock => self.falhou(&e), // e a saída some
                _ => return false, // o kernel não aceita mais nada agora
            }
        }
        self.saida.is_empty()
    }

    /// Um erro de E/S acaba só esta conversa: nada mais se lê nem se envia.
    pub fn falhou(&mut self, e: &io::Error) {
        self.saida = Vec::new();
        self.fim_da_leitura = true;
        if matches!(self.fase, Fase::Conversando | Fase::RespostaPresaAte(_)) {
            self.fase = Fase::Acabou(format!("Conexão com o cliente falhou: {}", descrever(e)));
        }
    }

    /// "Gravável" se há o que escrever agora, senão "legível"; nunca os dois: no Windows o mio
    /// rearma os avisos a cada `WouldBlock`, e um "gravável" sem o que escrever voltaria sem parar.
    pub fn interesse(&self) -> Interest {
        if self.saida.is_empty() || matches!(self.fase, Fase::RespostaPresaAte(_)) {
            return Interest::READABLE; // nada a escrever agora
        }
        Interest::WRITABLE
    }

    /// Se a conversa acabou, a última linha de log (depois do `Erro:`, no máximo na hora marcada).
    pub fn linha_final(&self) -> Option<String> {
        let acabou = self.saida.is_empty() && (self.fim_da_leitura || self.a_descartar == 0);
        let desfecho = match &self.fase {
            Fase::Acabou(desfecho) if self.saida.is_empty() => desfecho.clone(),
            Fase::EncerrandoComErroAte(hora) if acabou || *hora <= Instant::now() => {
                format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro")
            }
            _ => return None,
        };
        let duracao = duracao_legivel(self.inicio.elapsed());
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        Some(format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente))
    }
}
