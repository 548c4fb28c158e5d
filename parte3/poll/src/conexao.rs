//! Uma conexão do laço de eventos: o que a thread de um cliente guardaria na
//! pilha (Parte 3), agora explícito, e o que fazer quando o socket fica
//! pronto: ler o que der, responder o que der, sem nunca esperar.
//!
//! A regra dos buffers, o custo de uma conexão parada: uma conexão sem nada
//! a meio caminho não guarda buffer nenhum. O laço lê todos os sockets num
//! buffer só (`lidos`, em `servidor.rs`); uma conexão só guarda bytes seus
//! quando alguma coisa fica pela metade: a linha sem `\n` (no
//! `Enquadrador`), o que foi lido e não pôde ser processado por causa de uma
//! pausa (`entrada`) e as respostas que o kernel ainda não aceitou
//! (`saida`). Cada um volta a ser um `Vec` vazio, sem memória, quando
//! esvazia. Com 10.000 clientes parados, isso é a diferença entre ~16 KiB e
//! menos de 1 KiB por conexão (ver o relato).

mod escrita;
mod leitura;
mod relogios;

use crate::log::Log;
use common::erros::descrever;
use common::protocolo::{Enquadrador, LIMITE_MENSAGEM};
use common::tempo::duracao_legivel;
use common::texto::quantidade;
use mio::event::Event;
use mio::net::TcpStream;
use mio::Interest;
pub use relogios::Relogios;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Respostas pendentes acima das quais o servidor para de ler do cliente
/// (contrapressão): quem não lê as respostas não faz a memória crescer.
const LIMITE_DE_SAIDA: usize = 256 * 1024;

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
pub struct Cliente {
    /// Ordem de chegada, a partir de 1.
    pub numero: u64,
    pub endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// O que o laço empresta a uma conexão enquanto a atende.
pub struct DoLaco<'a> {
    pub log: &'a mut Log,
    pub relogios: &'a mut Relogios,
    pub atraso: Duration,
    /// Conexões que pararam de ler porque a fila do log encheu.
    pub esperando_o_log: &'a mut Vec<usize>,
}

pub struct Conexao {
    pub cliente: Cliente,
    pub socket: TcpStream,
    /// Os avisos pedidos ao poll para este socket agora.
    pub interesse: Interest,
    inicio: Instant,
    mensagens: u64,
    /// A linha sem `\n` que está chegando (vazio, sem memória, se não há).
    enquadrador: Enquadrador,
    /// Bytes lidos que uma pausa deixou para depois (ver [`Conexao::pode_ler`]).
    entrada: Vec<u8>,
    /// Respostas que o kernel ainda não aceitou; `enviados` já foram.
    saida: Vec<u8>,
    enviados: usize,
    /// `--atraso`: a mensagem cuja resposta espera a hora marcada.
    adiada: Option<(Instant, Vec<u8>)>,
    /// O cliente terminou (ou errou): fecha depois de enviar o que falta.
    pub desfecho: Option<String>,
    /// Depois de um `Erro:`: até quando descartar o que ainda chegar, e quanto
    /// já foi descartado (ver `common::protocolo::fechar_com_aviso`).
    descartando: Option<(Instant, usize)>,
    /// A última leitura foi curta e nenhum evento chegou desde então (ver
    /// [`leitura_curta_esvaziou`]). Zerada a cada evento do socket.
    esvaziado: bool,
    /// O poll já avisou fim do fluxo (FIN) ou erro (RST). Esse aviso não se
    /// repete, e pode vir junto com os últimos dados: depois dele uma
    /// leitura curta não prova nada, e só a que devolve 0 encerra a conversa.
    fim_avisado: bool,
    /// Já está em `esperando_o_log`.
    esperando_o_log: bool,
    /// A dica da linha sem `\n`: (tamanho da meia linha, desde quando, já dada).
    dica: (usize, Instant, bool),
}

impl Conexao {
    pub fn nova(cliente: Cliente, socket: TcpStream) -> Conexao {
        let agora = Instant::now();
        Conexao {
            cliente,
            socket,
            interesse: Interest::READABLE,
            inicio: agora,
            mensagens: 0,
            enquadrador: Enquadrador::novo(LIMITE_MENSAGEM),
            entrada: Vec::new(),
            saida: Vec::new(),
            enviados: 0,
            adiada: None,
            desfecho: None,
            descartando: None,
            esvaziado: false,
            fim_avisado: false,
            esperando_o_log: false,
            dica: (0, agora, false),
        }
    }

    fn pendente(&self) -> usize {
        self.saida.len() - self.enviados
    }

    /// Um evento do poll para este socket: pode ter chegado dado depois da
    /// última leitura curta, então a próxima leitura vai ao kernel.
    pub fn avisada(&mut self, evento: &Event) {
        self.esvaziado = false;
        self.fim_avisado |= evento.is_read_closed() || evento.is_error();
    }

    /// A última linha de log da conexão: como ela acabou, por quanto tempo
    /// foi atendida e quantas mensagens enviou.
    pub fn linha_de_desfecho(&mut self) -> String {
        let duracao = duracao_legivel(self.inicio.elapsed());
        let desfecho = self.desfecho.take().unwrap_or_default();
        let mensagens = quantidade(self.mensagens, "mensagem", "mensagens");
        format!("{} {desfecho} (atendido por {duracao}, {mensagens})", self.cliente)
    }

    /// A conversa acabou e tudo o que havia a enviar foi enviado.
    pub fn terminou(&self) -> bool {
        self.desfecho.is_some() && self.pendente() == 0 && self.descartando.is_none()
    }

    /// O socket ficou pronto, ou um relógio dele venceu: lê e escreve o
    /// quanto der sem bloquear. `lidos` é o buffer de leitura do laço.
    pub fn atender(&mut self, chave: usize, lidos: &mut [u8], laco: &mut DoLaco) {
        loop {
            let antes = (self.pendente(), self.mensagens, self.desfecho.is_some());
            self.ler(chave, lidos, laco);
            if let Err(e) = self.escrever() {
                let falha = format!("Conexão com o cliente falhou: {}", descrever(&e));
                self.desfecho.get_or_insert(falha);
                (self.saida, self.enviados, self.descartando) = (Vec::new(), 0, None);
                return;
            }
            // Repete enquanto houver progresso: escrever pode ter liberado a
            // contrapressão, e o evento (de borda) não se repetirá sozinho.
            if (self.pendente(), self.mensagens, self.desfecho.is_some()) == antes {
                break;
            }
        }
        self.agendar_dica(chave, laco.relogios);
    }

    /// Pode processar mais mensagens agora? Não se a conversa acabou, se uma
    /// resposta espera o `--atraso` (as respostas saem na ordem), se há
    /// respostas demais presas (contrapressão) ou se a fila do log encheu.
    fn pode_ler(&mut self, chave: usize, laco: &mut DoLaco) -> bool {
        if laco.log.cheio() && !self.esperando_o_log {
            self.esperando_o_log = true;
            laco.esperando_o_log.push(chave);
        }
        self.desfecho.is_none()
            && self.adiada.is_none()
            && self.pendente() < LIMITE_DE_SAIDA
            && !laco.log.cheio()
    }

    /// A fila do log andou: esta conexão pode voltar a ler.
    pub fn log_andou(&mut self) {
        self.esperando_o_log = false;
    }
}
