//! # Parte 4 — o servidor concorrente, pronto para uso
//!
//! O servidor da Parte 3 (uma thread por cliente) com o que falta para ele
//! aguentar o mundo real. Cada acréscimo é uma peça com nome próprio:
//! - `logger.rs`: uma thread é a única que escreve no terminal; as outras
//!   lhe mandam as linhas por um canal (a fila da disciplina), em lote;
//! - `registro.rs`: as conexões ativas (a contagem aparece no log a cada
//!   entrada e saída) e o limite `--max-clientes`: o cliente N+1 não é
//!   atendido; a thread criada para ele só lhe envia `Erro: servidor lotado
//!   ...` e fecha a conexão (em no máximo 2 s, ver `Conexao::encerrar`);
//! - tempo de inatividade (`--tempo-ocioso`): quem fica calado demais recebe
//!   `Aviso: conexão encerrada por inatividade`; e tempo limite de escrita:
//!   um `send()` que fica [`ESCRITA_MAXIMA`] sem nenhum progresso (o cliente
//!   não lê as respostas) encerra a conexão;
//! - `desligamento.rs`: Ctrl-C (ou SIGTERM) para de aceitar, avisa cada
//!   cliente, espera as threads (com prazo) e imprime um resumo;
//! - threads com pilha pequena: milhares de clientes parados ocupam menos
//!   espaço de endereços.
//!
//! Como as threads percebem o desligamento e a inatividade: cada leitura
//! volta depois de [`INTERVALO_DE_VERIFICACAO`] sem dados (`relogio.rs`: o
//! tempo limite do socket no Unix, `WSAPoll` no Windows); a thread confere a
//! marca de desligamento e há quanto tempo o cliente está calado, e volta a
//! ler.
//!
//! Limitação que continua: uma thread por cliente. Dezenas de milhares de
//! conexões pedem `epoll`/IOCP ou async (ver o relato, conclusões).
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte4 -- --atraso 2000 --max-clientes 2`
//!    (ou `just parte4 --atraso 2000 --max-clientes 2`).
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada: as respostas chegam juntas, e o log mostra
//!    `conexões ativas: 2`.
//! 3. Terminal 4: um terceiro cliente recebe `Erro: servidor lotado`.
//! 4. Ctrl-C no terminal 1: os clientes recebem `Aviso: servidor
//!    encerrando` e o servidor imprime o resumo.

use crate::desligamento;
use crate::logger::{self, Log};
use crate::registro::{Recusa, Registro};
use crate::relogio::SocketComRelogio;
use common::erros::descrever;
use common::protocolo::{
    erro_mensagem_grande, Conexao, Recebido, LIMITE_MENSAGEM, PREFIXO_AVISO, PREFIXO_ERRO,
};
use common::rede::silencioso;
use common::tempo::duracao_legivel;
use common::texto::{quantidade, texto_seguro};
use std::fmt;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Pilha de cada thread de atendimento. O padrão do Rust é 2 MiB de espaço
/// de endereços (memória virtual: só as páginas tocadas viram memória
/// residente); o atendimento usa poucos KiB de pilha, porque os buffers
/// ficam no heap. Pilha pequena encolhe o espaço de endereços, não a
/// memória residente.
const PILHA_DA_THREAD: usize = 128 * 1024;

/// Tempo limite de cada leitura: de quanto em quanto tempo uma thread
/// parada confere o desligamento e a inatividade do seu cliente.
const INTERVALO_DE_VERIFICACAO: Duration = Duration::from_millis(500);

/// Tempo limite de cada escrita (`send()`): se o buffer de envio do kernel
/// fica cheio (o cliente não lê) e nada anda por esse tempo, a conexão é
/// encerrada.
const ESCRITA_MAXIMA: Duration = Duration::from_secs(10);

/// As opções da linha de comando que o atendimento usa.
pub struct Config {
    pub atraso: Duration,
    pub max_clientes: usize,
    pub tempo_ocioso: Duration,
}

/// O que todas as threads de atendimento compartilham (por `Arc`).
struct Estado {
    config: Config,
    /// Conexões ativas; travas internas (ver `registro.rs`).
    registro: Registro,
    /// Ponta de envio do log (o logger termina com `Log::encerrar`).
    log: Log,
    /// Marcada pelo tratador de Ctrl-C; lida por todas as threads.
    desligando: Arc<AtomicBool>,
}

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
pub struct Cliente {
    /// Ordem de chegada, a partir de 1.
    pub numero: u64,
    endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// Aceita clientes até o desligamento; cada um é atendido na sua thread.
pub fn servir(escuta: TcpListener, config: Config, desligando: Arc<AtomicBool>) -> io::Result<()> {
    let inicio = Instant::now();
    let (log, logger) = logger::iniciar()?; // NOVO
    let registro = Registro::novo(config.max_clientes); // NOVO
    let estado = Arc::new(Estado { config, registro, log, desligando });
    let mut numero = 0;
    loop {
        estado.log.linha("Aguardando conexão...".to_string());
        let (socket, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                estado.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        // NOVO: o accept() foi acordado pelo tratador de Ctrl-C?
        if estado.desligando.load(Ordering::Relaxed) {
            break;
        }
        numero += 1;
        let cliente = Cliente { numero, endereco };
        // A conversa vai para uma thread só dela, dona do socket (que ela
        // fecha ao terminar); este laço volta na hora para o accept().
        let compartilhado = Arc::clone(&estado);
        let criada = thread::Builder::new()
            .name(format!("cliente {numero}"))
            .stack_size(PILHA_DA_THREAD) // NOVO
            .spawn(move || atender_cliente(socket, cliente, &compartilhado));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            estado.log.linha(format!("{cliente} Sem thread para atender: {}", descrever(&e)));
        }
    }
    drop(escuta); // NOVO: para de aceitar; novos clientes são recusados pelo kernel
    desligamento::encerrar(&estado.registro, &estado.log, inicio);
    // O resumo foi a última linha: o logger escreve a fila e termina.
    estado.log.encerrar();
    logger.esperar(ESPERA_PELO_LOGGER);
    Ok(())
}

/// Quanto esperar o logger escrever as últimas linhas (com um terminal
/// travado, o processo sai assim mesmo).
const ESPERA_PELO_LOGGER: Duration = Duration::from_secs(2);

/// A leitura voltou vazia porque passou o [`INTERVALO_DE_VERIFICACAO`]: não é
/// erro, é a hora de conferir desligamento e inatividade. (O tempo limite do
/// socket dá `WouldBlock` no Unix; o relógio do Windows dá `TimedOut`.)
fn passou_o_intervalo(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(socket: TcpStream, cliente: Cliente, estado: &Estado) {
    let Estado { config, registro, log, desligando } = estado;
    // NOVO: admissão. A vaga é devolvida em `Vaga::liberar`, no fim (ou no
    // `Drop`, se a thread sair por outro caminho).
    let (vaga, ativas) = match registro.admitir(cliente, &socket) {
        Ok(admitida) => admitida,
        Err(recusa) => return recusar(socket, cliente, recusa, estado),
    };
    log.linha(format!("{cliente} Conectado (conexões ativas: {ativas})"));
    // NOVO: tempo limite de escrita e relógio de leitura.
    let intervalo = INTERVALO_DE_VERIFICACAO.min(config.tempo_ocioso);
    let socket = match socket
        .set_write_timeout(Some(ESCRITA_MAXIMA))
        .and_then(|()| SocketComRelogio::novo(socket, intervalo))
    {
        Ok(socket) => socket,
        Err(e) => {
            log.linha(format!("{cliente} Conexão com o cliente falhou: {}", descrever(&e)));
            return;
        }
    };
    let inicio = Instant::now();
    let mut mensagens = 0;
    let mut ultima_mensagem = Instant::now();
    let mut conexao = Conexao::nova(socket);
    let desfecho = loop {
        // NOVO: o servidor está encerrando? Conferido antes de cada leitura,
        // ou seja, a cada mensagem e a cada intervalo sem dados.
        if desligando.load(Ordering::Relaxed) {
            let _ = conexao.encerrar(&format!("{PREFIXO_AVISO}servidor encerrando"));
            break "Desconectado: servidor encerrando".to_string();
        }
        // A escrita (`write`) dos ecos preparados acontece aqui, logo antes
        // de a leitura (`read`) bloquear esperando a próxima mensagem.
        match conexao.enviar_e_receber() {
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    log.linha(format!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                ultima_mensagem = Instant::now();
                thread::sleep(config.atraso);
                conexao.preparar_eco(&mensagem);
                registro.contar_eco(); // NOVO
            }
            // NOVO: nada chegou neste intervalo; o cliente passou do limite?
            Err(e) if passou_o_intervalo(&e) => {
                if ultima_mensagem.elapsed() >= config.tempo_ocioso {
                    let _ = conexao
                        .encerrar(&format!("{PREFIXO_AVISO}conexão encerrada por inatividade"));
                    let limite = duracao_legivel(config.tempo_ocioso);
                    break format!("Desconectado por inatividade (nenhuma mensagem em {limite})");
                }
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem ({bytes} bytes descartados)");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = conexao.encerrar(&erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    // NOVO: a última linha e a devolução da vaga acontecem juntas, sob a
    // trava do registro (ver `Vaga::liberar`): a contagem é exata mesmo com
    // saídas simultâneas, e a linha sai antes do resumo do desligamento.
    vaga.liberar(log, |ativas| {
        format!("{cliente} {desfecho} (ficou {duracao}, {mensagens}; conexões ativas: {ativas})")
    });
}

/// NOVO: a conexão não foi admitida. O cliente recebe uma linha `Erro:` que
/// diz por quê, e a conexão é fechada sem ser atendida.
fn recusar(socket: TcpStream, cliente: Cliente, recusa: Recusa, estado: &Estado) {
    let (motivo, aviso) = match recusa {
        Recusa::Lotado => {
            let maximo = quantidade(estado.registro.maximo() as u64, "cliente", "clientes");
            (
                format!("servidor lotado ({maximo} ao mesmo tempo)"),
                format!("{PREFIXO_ERRO}servidor lotado (máximo de {maximo}); tente mais tarde"),
            )
        }
        Recusa::SemDescritor(e) => (
            format!("sem descritores de arquivo livres ({})", descrever(&e)),
            format!("{PREFIXO_ERRO}servidor sem recursos no momento; tente mais tarde"),
        ),
    };
    estado.log.linha(format!("{cliente} Recusado: {motivo}"));
    let _ = Conexao::nova(socket).encerrar(&aviso);
}
