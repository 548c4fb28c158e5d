//! # Parte 3, outro caminho — async/await com tokio, uma tarefa por cliente
//!
//! O mesmo protocolo e o mesmo log da Parte 3, com o terceiro modelo da
//! atividade (o `asyncio` do Python). O código se parece com o de threads:
//! um laço `accept()` que entrega cada conexão a `atender_cliente`, que lê e
//! responde em sequência. A diferença está no `.await`: quando uma tarefa
//! espera dados, ela devolve a thread ao executor do tokio, que atende outra
//! tarefa. Milhares de tarefas rodam sobre poucas threads (uma por núcleo),
//! e por baixo o tokio usa o mesmo `poll` (mio) da versão `parte3-poll`.
//!
//! O que fica difícil (e está aqui, comentado onde acontece):
//! - nada dentro de uma tarefa pode bloquear a thread: `--atraso` usa
//!   `tokio::time::sleep(...).await`, não `std::thread::sleep`, que pararia
//!   todas as tarefas daquela thread do executor;
//! - funções bloqueantes e assíncronas não se misturam ("cores" de função):
//!   o leitor de mensagens de `common` é bloqueante, então aqui só o núcleo
//!   sem E/S (`Enquadrador`) é reaproveitado, com leituras `.await`;
//! - o log: escrever no terminal bloqueia, e uma escrita por linha (cada
//!   uma acordando quem lê o pipe) custaria mais que o próprio eco. As
//!   tarefas só acrescentam a linha a um buffer comum; uma thread fora do
//!   executor o escreve de uma vez (ver [`registrar`]). Com um terminal
//!   lento, quem espera é ela, não as tarefas.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-async -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas.

use common::erros::descrever;
use common::protocolo::{
    codificar_eco, erro_mensagem_grande, Enquadrador, Recebido, DESCARTE_MAXIMO,
    ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM, TAMANHO_BUFFER,
};
use common::rede::silencioso;
use common::tempo::{agora, duracao_legivel};
use common::texto::{quantidade, texto_seguro};
use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Quanto uma linha de log espera no buffer, no máximo, antes de ser escrita
/// com as que chegarem nesse meio-tempo: umas mil escritas por segundo, no
/// máximo, em vez de uma por mensagem.
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// As linhas de log ainda não escritas, de todas as tarefas. A trava só é
/// segura pelo tempo de acrescentar uma linha (ou de levar o buffer todo),
/// nunca durante a escrita no terminal.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// A thread que escreve o log no terminal, criada na primeira linha (`None`
/// se o sistema não deu uma thread: aí cada linha é escrita na hora).
///
/// Por que uma thread, e não uma tarefa que dorme com `tokio::time::sleep`:
/// o terminal pode bloquear, e nada no executor deve bloquear; e cada relógio
/// novo do tokio acorda uma thread do executor. Medido com o `carga` (10
/// clientes, 2 núcleos), o log custava uns 18% da vazão com a tarefa, e uns
/// 3% com a thread.
static ESCRITOR: OnceLock<Option<Thread>> = OnceLock::new();

/// Registra uma linha com a hora de agora. Quem encontra o buffer vazio
/// acorda o escritor: enquanto ele espera [`PAUSA_PARA_JUNTAR`], as outras
/// linhas só se juntam ao buffer. A hora é tomada com a trava, então o log
/// sai em ordem.
///
/// Num servidor de produção o log teria um desligamento que o esvazia; aqui,
/// como o processo não tem desligamento gracioso (Ctrl-C o encerra), as
/// linhas do último milissegundo podem não chegar a sair.
fn registrar(linha: fmt::Arguments<'_>) {
    let mut log = LOG.lock().unwrap_or_else(PoisonError::into_inner);
    let acordar = log.is_empty();
    let _ = writeln!(log, "{} {linha}", agora());
    drop(log);
    if acordar {
        match ESCRITOR.get_or_init(iniciar_escritor) {
            Some(escritor) => escritor.unpark(),
            None => escrever_o_log(),
        }
    }
}

/// O escritor dorme (`park`) até uma linha chegar ao buffer vazio, espera
/// as que vierem logo depois e escreve tudo numa escrita só.
fn iniciar_escritor() -> Option<Thread> {
    let criada = thread::Builder::new().name("log".into()).spawn(|| loop {
        thread::park();
        thread::sleep(PAUSA_PARA_JUNTAR);
        escrever_o_log();
    });
    criada.ok().map(|escritor| escritor.thread().clone())
}

fn escrever_o_log() {
    let linhas = std::mem::take(&mut *LOG.lock().unwrap_or_else(PoisonError::into_inner));
    let _ = io::stdout().lock().write_all(&linhas);
}

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
struct Cliente {
    /// Ordem de chegada, a partir de 1.
    numero: u64,
    endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// Aceita clientes para sempre; cada um é atendido na sua tarefa.
pub async fn servir(escuta: TcpListener, atraso: Duration) {
    let mut numero = 0;
    loop {
        registrar(format_args!("Aguardando conexão..."));
        let (socket, endereco) = match escuta.accept().await {
            Ok(par) => par,
            Err(e) => {
                registrar(format_args!("Erro no accept(): {}", descrever(&e)));
                tokio::time::sleep(PAUSA_APOS_ERRO_NO_ACCEPT).await;
                continue;
            }
        };
        numero += 1;
        let cliente = Cliente { numero, endereco };
        // NOVO: uma tarefa (não uma thread) por conexão, dona do socket.
        tokio::spawn(atender_cliente(socket, cliente, atraso));
    }
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
async fn atender_cliente(socket: TcpStream, cliente: Cliente, atraso: Duration) {
    // O nome do cliente nos logs, formatado uma vez: formatar o endereço a
    // cada linha custaria mais que todo o resto da linha.
    let cliente = cliente.to_string();
    registrar(format_args!("{cliente} Conectado"));
    let inicio = Instant::now();
    let mut mensagens = 0;
    let _ = socket.set_nodelay(true);
    let mut conexao = Conexao::nova(socket);
    let desfecho = loop {
        // A escrita dos ecos preparados acontece aqui, logo antes de a
        // leitura esperar (`.await`) a próxima mensagem.
        match conexao.enviar_e_receber().await {
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    registrar(format_args!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                if !atraso.is_zero() {
                    // NOVO: espera sem bloquear a thread (nunca thread::sleep aqui).
                    tokio::time::sleep(atraso).await;
                }
                conexao.preparar_eco(&mensagem);
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem ({bytes} bytes descartados)");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = conexao.encerrar(&erro_mensagem_grande()).await;
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    registrar(format_args!("{cliente} {desfecho} (ficou {duracao}, {mensagens})"));
    // `conexao` sai de escopo aqui: o socket é fechado em todos os caminhos.
}

/// A versão assíncrona de `common::protocolo::Conexao`: as mesmas regras (o
/// mesmo `Enquadrador`), com leituras e escritas `.await`.
struct Conexao {
    entrada: BufReader<TcpStream>,
    enquadrador: Enquadrador,
    /// Respostas prontas, escritas de uma vez antes de esperar mais dados.
    pendente: Vec<u8>,
}

impl Conexao {
    fn nova(socket: TcpStream) -> Self {
        Conexao {
            entrada: BufReader::with_capacity(TAMANHO_BUFFER, socket),
            enquadrador: Enquadrador::novo(LIMITE_MENSAGEM),
            pendente: Vec::new(),
        }
    }

    async fn enviar_e_receber(&mut self) -> io::Result<Recebido> {
        // Antes de esperar dados (se nenhuma mensagem completa já chegou),
        // envia as respostas prontas, todas numa escrita.
        if !self.entrada.buffer().contains(&b'\n') {
            self.enviar_pendentes().await?;
        }
        loop {
            let disponivel = self.entrada.fill_buf().await?;
            if disponivel.is_empty() {
                return Ok(self.enquadrador.fim());
            }
            let (consumidos, recebido) = self.enquadrador.avancar(disponivel);
            self.entrada.consume(consumidos);
            if let Some(recebido) = recebido {
                return Ok(recebido);
            }
        }
    }

    fn preparar_eco(&mut self, mensagem: &[u8]) {
        codificar_eco(&mut self.pendente, mensagem);
    }

    async fn enviar_pendentes(&mut self) -> io::Result<()> {
        if !self.pendente.is_empty() {
            self.entrada.get_mut().write_all(&self.pendente).await?;
            self.pendente.clear();
        }
        Ok(())
    }

    /// Envia a linha de aviso e fecha sem perdê-la: o mesmo "fechamento
    /// demorado" de `common::protocolo::Conexao::encerrar`, com prazo.
    async fn encerrar(mut self, aviso: &str) -> io::Result<()> {
        self.pendente.extend_from_slice(aviso.as_bytes());
        self.pendente.push(b'\n');
        self.enviar_pendentes().await?;
        let socket = self.entrada.get_mut();
        socket.shutdown().await?;
        let descarte = async {
            let mut lixo = [0u8; 8192];
            let mut descartados = 0;
            while descartados < DESCARTE_MAXIMO {
                match socket.read(&mut lixo).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => descartados += n,
                }
            }
        };
        let _ = tokio::time::timeout(ESPERA_AO_ENCERRAR, descarte).await;
        Ok(())
    }
}
