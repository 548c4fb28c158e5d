//! Os cuidados: o que o servidor precisa além do núcleo (`servidor.rs` e `conexao.rs`; leia-os
//! antes) para fazer tudo o que o de threads faz sem que o laço jamais espere. Onde a thread
//! dorme ou espera o cliente, aqui a conexão marca uma hora ([`Relogios`]) e volta quando ela
//! chega; onde a thread escreve no terminal, aqui a linha passa por uma fila ([`Log`]).

use crate::conexao::{Conexao, Fase};
use common::log::{self, Linha};
use common::protocolo::{self as p, LIMITE_MENSAGEM};
use mio::Token;
use std::time::{Duration, Instant};
use std::{cmp::Reverse, collections::BinaryHeap, io, mem, net::Shutdown};

/// A cota de log de uma vez: as linhas que uma conexão escreve, no máximo, antes de dar a vez.
pub const LINHAS_POR_VEZ: usize = 128;

/// O log, pela fila de `common::log`: a thread do log é a única que escreve no terminal, que pode
/// travar. A fila é limitada; cheia, o `send` espera uma vaga, e com ele o laço e todos os
/// clientes. Por isso a cota: uma leitura de 32 KiB de linhas curtas geraria milhares de linhas
/// de uma vez, e quem inunda encheria a fila e faria todos esperarem o terminal; com a cota, a
/// conexão dá a vez e guarda o resto (`pendente`). A medida: `just inundacao` (com log).
pub struct Log {
    fila: crossbeam_channel::Sender<Linha>, // a outra ponta é da thread do log
    nesta_vez: usize,
}

impl Log {
    pub fn iniciar() -> io::Result<Log> {
        let (fila, _escritor) = log::iniciar()?; // a thread segue até o fim do processo
        Ok(Log { fila, nesta_vez: 0 })
    }

    pub fn registrar(&mut self, texto: String) {
        let _ = self.fila.send(log::linha(texto)); // cheia: espera uma vaga
        self.nesta_vez += 1;
    }

    pub fn nova_vez(&mut self) {
        self.nesta_vez = 0;
    }

    pub fn cabe_na_vez(&self) -> bool {
        self.nesta_vez < LINHAS_POR_VEZ
    }
}

/// As horas marcadas (respostas presas, prazos, o `accept()` de novo): o `poll()` espera no
/// máximo até a mais cedo, e uma hora que chega dá a vez à sua conexão, como um aviso.
#[derive(Default)]
pub struct Relogios(BinaryHeap<Reverse<(Instant, Token)>>); // a mais cedo no topo

impl Relogios {
    pub fn marcar(&mut self, hora: Instant, token: Token) {
        self.0.push(Reverse((hora, token)));
    }

    /// Quanto o `poll()` pode esperar: até a hora mais cedo; sem nenhuma, sem limite.
    pub fn espera(&self) -> Option<Duration> {
        self.0.peek().map(|Reverse((hora, _))| hora.saturating_duration_since(Instant::now()))
    }

    /// Tira uma hora que já chegou, se houver.
    pub fn vencido(&mut self) -> Option<Token> {
        let Reverse((hora, _)) = self.0.peek()?;
        if *hora > Instant::now() {
            return None;
        }
        self.0.pop().map(|Reverse((_, token))| token)
    }
}

impl Conexao {
    fn token(&self) -> Token {
        Token(self.cliente.numero as usize) // o mesmo que o laço deu no registro
    }

    /// `--atraso`: um `sleep` pararia todos. A resposta sai da saída e fica presa até a hora
    /// marcada, e até lá a conexão não lê, como a thread que dorme.
    pub fn prender_resposta(&mut self, relogios: &mut Relogios) {
        if !self.atraso.is_zero() {
            let ate = Instant::now() + self.atraso;
            self.fase = Fase::RespostaPresa { ate, resposta: mem::take(&mut self.saida) };
            relogios.marcar(ate, self.token());
        }
    }

    /// A mensagem grande demais: o `fechar_com_aviso` das threads, sem esperar por ele. O `Erro:`
    /// vai para a saída; depois dele, [`Conexao::descartar`] até o cliente fechar ou o prazo.
    pub fn encerrar_com_erro(&mut self, relogios: &mut Relogios) {
        self.saida.extend(format!("{}\n", p::erro_mensagem_grande()).bytes());
        let ate = Instant::now() + p::ESPERA_AO_ENCERRAR;
        self.fase = Fase::EncerrandoComErro { ate, a_descartar: p::DESCARTE_MAXIMO };
        relogios.marcar(ate, self.token());
    }

    /// O fechamento demorado, com o `Erro:` enviado: fecha a escrita (de novo não faz nada) e joga
    /// fora o que chegar (fechar com dados não lidos mandaria um RST, que pode apagar o `Erro:`).
    pub fn descartar(&mut self, lidos: &mut [u8]) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let lido = self.ler(lidos);
        let Fase::EncerrandoComErro { a_descartar, .. } = &mut self.fase else { return false };
        match lido {
            None => false, // nada agora
            Some(n) if n > 0 && n < *a_descartar => {
                *a_descartar -= n;
                true
            }
            Some(_) => {
                self.fase = Fase::Acabou(Self::grande_demais()); // o fim, ou descartou o bastante
                false
            }
        }
    }

    /// O relógio de cada fase: a resposta presa sai na sua hora; o fechamento demorado desiste
    /// no prazo, com ou sem o `Erro:` entregue (um cliente que não lê não segura a conexão).
    pub fn ver_a_hora(&mut self) {
        let agora = Instant::now();
        match &mut self.fase {
            Fase::RespostaPresa { ate, resposta } if *ate <= agora => {
                self.saida = mem::take(resposta);
                self.fase = Fase::Conversando;
            }
            Fase::EncerrandoComErro { ate, .. } if *ate <= agora => {
                self.saida = Vec::new();
                self.fase = Fase::Acabou(Self::grande_demais());
            }
            _ => {}
        }
    }

    pub fn grande_demais() -> String {
        format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro")
    }
}
