//! Uma conexão: o que a thread de um cliente guardava nas suas variáveis, e a sua vez, que nunca
//! espera, nem a rede nem o terminal (pararia o laço e todos). Primeiro o núcleo.

use crate::servidor::Prazos;
use common::protocolo::{acrescentar_eco, erro_mensagem_grande, LeitorDeLinhas, Recebido};
use common::protocolo::{DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, log::LogSemEspera, rede::silencioso, tempo::duracao_legivel};
use mio::{net::TcpStream, Interest, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::{net::Shutdown, time::Duration, time::Instant};

/// A regra da vez, que faz a justiça: numa vez, uma conexão responde a no máximo 128 mensagens,
/// e para ao passar de 32 KiB; quem ainda tem o que ler volta ao fim da fila, depois das outras.
/// Uma vez curta deixa o cliente leve esperar pouco por quem inunda (`just inundacao` mede).
const MENSAGENS_POR_VEZ: usize = 128;
const BYTES_POR_VEZ: usize = 32 * 1024;

enum Fase {
    /// Lê e responde (a thread no `read()`).
    Conversando,
    /// A conversa acabou com este desfecho; a conexão fecha quando a saída esvaziar.
    Acabou(String),
    /// `--atraso` (a thread no `sleep`): a resposta espera a hora marcada.
    RespostaPresa,
    /// O `fechar_com_aviso` das threads: enviado o `Erro:`, descarta o que chegar.
    EncerrandoComErro { a_descartar: usize },
}

pub struct Conexao {
    pub socket: TcpStream, // só a `Conexao` o tem: destruí-la é o close()
    pub na_fila: bool,     // está na fila das prontas (entra uma vez só)
    cliente: Cliente,
    atraso: Duration,
    fase: Fase,
    linhas: LeitorDeLinhas, // o mesmo das threads: guarda o que chegou e ainda não é mensagem
    saida: Vec<u8>,         // respostas que o kernel ainda não aceitou
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
            linhas: LeitorDeLinhas::novo(),
            saida: Vec::new(),
            inicio: Instant::now(),
            mensagens: 0,
        }
    }
    /// A vez: escreve o que ficou e, se tudo saiu, responde ao que chegou. Devolve se pode haver
    /// mais a fazer sem um aviso novo do poll (então a conexão volta à fila das prontas).
    pub fn vez(&mut self, log: &LogSemEspera, prazos: &mut Prazos) -> bool {
        if !self.escrever() {
            return false; // contrapressão: o cliente não lê; lemos de novo quando a saída sair
        }
        let mais = match self.fase {
            Fase::Conversando => self.responder(log, prazos),
            Fase::EncerrandoComErro { .. } => self.descartar(),
            Fase::RespostaPresa | Fase::Acabou(_) => false, // só falta a saída sair
        };
        self.escrever();
        self.sem_dados_sem_buffer();
        mais
    }
    /// O laço da thread, com o mesmo `match`, até a cota da vez. O `proxima` do leitor não
    /// bloqueia aqui: sem mensagem completa, devolve `WouldBlock` (tudo lido: o poll avisará).
    fn responder(&mut self, log: &LogSemEspera, prazos: &mut Prazos) -> bool {
        let mut gastos = 0; // bytes de mensagens nesta vez
        for _ in 0..MENSAGENS_POR_VEZ {
            if gastos >= BYTES_POR_VEZ {
                break;
            }
            let recebido = match self.linhas.proxima(&mut self.socket) {
                Ok(recebido) => recebido,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) => {
                    self.falhou(&e); // a conversa acaba: nada mais se responde
                    return false;
                }
            };
            match recebido {
                Recebido::Mensagem(mensagem) => {
                    if !silencioso() {
                        let texto = texto_seguro(&mensagem);
                        log.registrar(format!("{} Recebido: {texto}", self.cliente));
                    }
                    self.mensagens += 1;
                    gastos += mensagem.len() + 1;
                    acrescentar_eco(&mut self.saida, &mensagem);
                    if !self.atraso.is_zero() {
                        self.prender_resposta(prazos);
                        return false; // a hora marcada dá a próxima vez
                    }
                }
                Recebido::Fim => {
                    self.fase = Fase::Acabou("Cliente desconectou".to_string());
                    return false;
                }
                Recebido::Incompleta(bytes) => {
                    let motivo = "Cliente saiu no meio de uma mensagem (sem o \\n do fim)";
                    self.fase = Fase::Acabou(format!("{motivo}; {bytes} bytes descartados"));
                    return false;
                }
                Recebido::GrandeDemais => {
                    self.encerrar_com_erro(prazos);
                    return true; // o `Erro:` sai já; a próxima vez fecha a escrita e descarta
                }
            }
        }
        true // a cota acabou antes das mensagens
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
    /// A regra dos buffers, a lição da curva de memória (`just escala`): os buffers da conexão só
    /// existem com dados; parada, ela custa o seu `struct`.
    fn sem_dados_sem_buffer(&mut self) {
        if self.saida.is_empty() {
            self.saida = Vec::new(); // `clear()` guardaria a memória já reservada
        }
        self.linhas.liberar_se_vazio();
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
    /// O `--atraso` sem o `sleep`, que pararia todos: a resposta fica presa até a hora, e o que
    /// chegou depois dela espera no leitor.
    fn prender_resposta(&mut self, prazos: &mut Prazos) {
        prazos.insert((Instant::now() + self.atraso, Token(self.cliente.numero as usize)));
        self.fase = Fase::RespostaPresa;
    }
    /// O `fechar_com_aviso` das threads, sem esperar: o `Erro:` na saída, e depois `descartar`.
    fn encerrar_com_erro(&mut self, prazos: &mut Prazos) {
        self.saida.extend(format!("{}\n", erro_mensagem_grande()).bytes());
        prazos.insert((Instant::now() + ESPERA_AO_ENCERRAR, Token(self.cliente.numero as usize)));
        self.fase = Fase::EncerrandoComErro { a_descartar: DESCARTE_MAXIMO };
    }
    /// Enviado o `Erro:`, fecha a escrita e descarta o que chegar, uma leitura por vez (fechar
    /// com bytes não lidos mandaria um RST, que pode apagar o `Erro:` antes de o cliente lê-lo).
    fn descartar(&mut self) -> bool {
        let _ = self.socket.shutdown(Shutdown::Write);
        let mut lixo = [0; 8 * 1024];
        let lidos = match self.socket.read(&mut lixo) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false, // o poll avisa
            Ok(n) => n,
            Err(_) => 0, // um erro aqui acaba como o fim: nada mais a enviar
        };
        let Fase::EncerrandoComErro { a_descartar } = &mut self.fase else { return false };
        *a_descartar = a_descartar.saturating_sub(lidos);
        if lidos == 0 || *a_descartar == 0 {
            self.acabar_com_erro(); // o cliente fechou, ou descartamos o bastante
            return false;
        }
        true
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
