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
//!   tarefas põem a linha numa fila limitada, e uma thread fora do executor
//!   a escreve em lotes, como o logger da Parte 4 (ver [`registrar`]). Com
//!   um terminal lento e a fila cheia, a tarefa espera uma vaga com
//!   `.await`, sem prender a thread do executor.
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
use common::tempo::{agora, duracao_legivel, Carimbo};
use common::texto::{quantidade, texto_seguro};
use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Quanto o escritor do log dorme depois de cada escrita, deixando as linhas
/// se juntarem na fila: umas mil escritas por segundo, no máximo, em vez de
/// uma por mensagem.
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

/// Linhas de log que podem esperar na fila. A fila é limitada para a memória
/// ser limitada: se o terminal for mais lento que os clientes, a tarefa que
/// registra espera uma vaga com `.await` (devolvendo a thread ao executor,
/// que segue atendendo as outras), e nenhuma linha se perde.
const CAPACIDADE_DO_LOG: usize = 4096;

/// Uma linha de log: a hora do evento e o texto.
type Linha = (Carimbo, String);

/// A fila do log, criada na primeira linha junto com a thread que a escreve
/// (`None` se o sistema não deu uma thread: aí cada linha é escrita na hora).
///
/// Por que uma thread, e não uma tarefa: escrever no terminal bloqueia, e
/// nada no executor deve bloquear. É a forma do logger da Parte 4
/// (produtor–consumidor com buffer limitado), com a espera por vaga
/// assíncrona (`tokio::sync::mpsc`) no lugar da bloqueante.
static LOG: OnceLock<Option<mpsc::Sender<Linha>>> = OnceLock::new();

/// Registra uma linha com a hora de agora (a do evento, não a da escrita).
///
/// Num servidor de produção o log teria um desligamento que o esvazia; aqui,
/// como o processo não tem desligamento gracioso (Ctrl-C o encerra), as
/// linhas do último milissegundo podem não chegar a sair.
async fn registrar(texto: String) {
    let carimbo = agora();
    match LOG.get_or_init(iniciar_escritor) {
        // Só falha se a thread do log morreu: não há mais onde escrever.
        Some(fila) => {
            let _ = fila.send((carimbo, texto)).await;
        }
        None => println!("{carimbo} {texto}"),
    }
}

/// O escritor: espera a primeira linha, junta as que já estão na fila,
/// escreve tudo numa escrita só e dorme [`PAUSA_PARA_JUNTAR`].
fn iniciar_escritor() -> Option<mpsc::Sender<Linha>> {
    let (fila, mut recebe) = mpsc::channel::<Linha>(CAPACIDADE_DO_LOG);
    let criada = thread::Builder::new().name("log".into()).spawn(move || {
        let mut lote = Vec::with_capacity(64 * 1024);
        // O maior carimbo já impresso.
        let mut ultimo: Option<Carimbo> = None;
        while let Some(primeira) = recebe.blocking_recv() {
            let mut proxima = Some(primeira);
            while let Some((carimbo, texto)) = proxima {
                // Duas tarefas podem enfileirar fora da ordem dos carimbos;
                // max(carimbo, último) mantém o log sem voltar no tempo.
                let carimbo = ultimo.map_or(carimbo, |ultimo| ultimo.max(carimbo));
                ultimo = Some(carimbo);
                let _ = writeln!(lote, "{carimbo} {texto}");
                // Um lote de até 64 KiB: sob carga contínua a fila nunca
                // esvazia, e o lote não pode crescer sem fim.
                proxima = if lote.len() < 64 * 1024 { recebe.try_recv().ok() } else { None };
            }
            let _ = io::stdout().lock().write_all(&lote);
            lote.clear();
            thread::sleep(PAUSA_PARA_JUNTAR);
        }
    });
    criada.ok().map(|_| fila)
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
        registrar("Aguardando conexão...".to_string()).await;
        let (socket, endereco) = match escuta.accept().await {
            Ok(par) => par,
            Err(e) => {
                registrar(format!("Erro no accept(): {}", descrever(&e))).await;
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
    registrar(format!("{cliente} Conectado")).await;
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
                    registrar(format!("{cliente} Recebido: {}", texto_seguro(&mensagem))).await;
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
    registrar(format!("{cliente} {desfecho} (ficou {duracao}, {mensagens})")).await;
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
