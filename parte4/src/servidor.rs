//! # Parte 4 — o servidor concorrente, pronto para uso
//!
//! O servidor da Parte 3 (uma thread por cliente) com o que falta para ele
//! aguentar o mundo real. Cada acréscimo é uma peça com nome próprio,
//! marcada `NOVO (nome da peça)` onde entra no código. As peças, em ordem
//! de leitura:
//! 1. este arquivo: o laço do `accept()` e o atendimento, como na Parte 3;
//! 2. `logger.rs` (peça `logger`): uma thread é a única que escreve no
//!    terminal; as outras lhe mandam as linhas por um canal (a fila da
//!    disciplina);
//! 3. `registro.rs` (peças `registro` e `limite de clientes`): as conexões
//!    ativas (a contagem aparece no log a cada entrada e saída) e o
//!    `--max-clientes`: o cliente N+1 recebe `Erro: servidor lotado ...` e é
//!    desconectado;
//! 4. `relogio.rs` (peça `relógio de leitura`): cada leitura volta depois de
//!    [`INTERVALO_DE_VERIFICACAO`] sem dados, para a thread conferir o
//!    desligamento e a inatividade;
//! 5. `desligamento.rs` (peça `desligamento`): Ctrl-C (ou SIGTERM) para de
//!    aceitar, avisa cada cliente, espera as threads (com prazo) e imprime
//!    um resumo.
//!
//! E, só neste arquivo: `inatividade` (`--tempo-ocioso`: quem fica calado
//! demais recebe `Aviso: conexão encerrada por inatividade`), `tempo de
//! escrita` (um `send()` parado por [`ESCRITA_MAXIMA`], com o cliente sem ler
//! as respostas, encerra a conexão), `dica` (uma linha sem `\n` parada há
//! 1 s, como a do `cliente.py` da disciplina, ganha uma explicação no log) e
//! `pilha pequena` (threads com menos espaço de endereços).
//!
//! Limitação que continua: uma thread por cliente. Dezenas de milhares de
//! conexões pedem `epoll`/IOCP ou async (ver `parte3/poll` e
//! `parte3/assincrono`, e o relato).
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
use crate::registro::Registro;
use crate::relogio::SocketComRelogio;
use anyhow::Result;
use common::erros::{descrever, falhou};
use common::protocolo::{
    dica_sem_fim_de_linha, eco, erro_mensagem_grande, fechar_com_aviso, LeitorDeLinhas, Recebido,
    ESPERA_PELA_DICA, LIMITE_MENSAGEM, PREFIXO_AVISO, PREFIXO_ERRO,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::duracao_legivel;
use common::texto::{quantidade, texto_seguro};
use socket2::{Domain, Socket, Type};
use std::fmt;
use std::io::{self, ErrorKind, Write};
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

/// Quanto esperar o logger escrever as últimas linhas (com um terminal
/// travado, o processo sai assim mesmo).
const ESPERA_PELO_LOGGER: Duration = Duration::from_secs(2);

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

/// Abre o socket de escuta e aceita clientes até o desligamento; cada um é
/// atendido na sua thread. Volta com erro se não conseguir abrir o socket.
pub fn servir(args: &ArgsServidor, backlog: i32, config: Config) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    // A biblioteca padrão (`TcpListener::bind`) faz socket, bind e listen
    // numa chamada só, e sempre com listen(128); o crate socket2 expõe as
    // três, como o módulo `socket` do Python.
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    // Sem SO_REUSEADDR, reiniciar o servidor logo depois de encerrá-lo com
    // clientes conectados daria "porta em uso" por até 1 min: as conexões
    // que ele fechou primeiro ficam em TIME_WAIT (ou em FIN_WAIT_2, se o
    // cliente ainda não fechou a dele). No Windows a opção quer dizer outra
    // coisa: deixaria este servidor ocupar, sem erro, uma porta que outro
    // programa (o seu `servidor.py`) já usa. Lá, não a ligamos.
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    // Pronto: o socket vira o `TcpListener` da biblioteca padrão, que tem
    // o `accept()`.
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    // NOVO (desligamento): Ctrl-C e SIGTERM viram um pedido de desligamento.
    let desligando = desligamento::instalar(&escuta)?;

    let inicio = Instant::now();
    let (log, logger) = logger::iniciar()?; // NOVO (logger)
    let registro = Registro::novo(config.max_clientes); // NOVO (registro)
    let estado = Arc::new(Estado { config, registro, log, desligando });
    let mut numero = 0;
    estado.log.linha("Aguardando conexões...".to_string());
    loop {
        let (conexao, endereco) = match escuta.accept() {
            Ok(par) => par,
            Err(e) => {
                estado.log.linha(format!("Erro no accept(): {}", descrever(&e)));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        // NOVO (desligamento): o accept() foi acordado pelo tratador de Ctrl-C?
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
            .stack_size(PILHA_DA_THREAD) // NOVO (pilha pequena)
            .spawn(move || atender_cliente(conexao, cliente, &compartilhado));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            estado.log.linha(format!("{cliente} Sem thread para atender: {}", descrever(&e)));
        }
    }
    // NOVO (desligamento): para de aceitar (o kernel recusa quem chegar
    // agora), avisa quem está conectado e espera as threads.
    drop(escuta);
    desligamento::encerrar(&estado.registro, &estado.log, inicio);
    // O resumo foi a última linha: o logger escreve a fila e termina.
    estado.log.encerrar();
    logger.esperar(ESPERA_PELO_LOGGER);
    Ok(())
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(conexao: TcpStream, cliente: Cliente, estado: &Estado) {
    let Estado { config, registro, log, desligando } = estado;
    // NOVO (registro): o socket é dividido com o registro, que o alcança no
    // desligamento (`Arc`: o mesmo descritor, sem cópia).
    let conexao = Arc::new(conexao);
    // NOVO (limite de clientes): a vaga é devolvida em
    // `Vaga::liberar`, no fim (ou no `Drop`, se a thread sair por outro caminho).
    let Some((vaga, ativas)) = registro.admitir(cliente, &conexao) else {
        return recusar(&conexao, cliente, estado);
    };
    log.linha(format!("{cliente} Conectado (conexões ativas: {ativas})"));
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, a segunda de duas respostas seguidas
    // esperaria o ACK da primeira, que o cliente atrasa (uns 40 ms no Linux,
    // até 200 ms; `just nagle` mede). Se falhar, só se perde a otimização.
    let _ = conexao.set_nodelay(true);
    // NOVO (tempo de escrita, relógio de leitura): o `send()` ganha um prazo,
    // e a leitura, um relógio.
    let intervalo = INTERVALO_DE_VERIFICACAO.min(config.tempo_ocioso);
    let preparado = conexao
        .set_write_timeout(Some(ESCRITA_MAXIMA))
        .and_then(|()| SocketComRelogio::novo(conexao, intervalo));
    let mut conexao = match preparado {
        Ok(conexao) => conexao,
        Err(e) => {
            let falha = format!("Conexão com o cliente falhou: {}", descrever(&e));
            return vaga
                .liberar(log, |ativas| format!("{cliente} {falha} (conexões ativas: {ativas})"));
        }
    };
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    let mut ultima_mensagem = Instant::now();
    // NOVO (dica): o tamanho da meia linha parada, desde quando, e se a dica
    // já foi dada (uma vez por conexão; ver `dica_sem_fim_de_linha`).
    let (mut meia_linha, mut parada_desde, mut dica_dada) = (0, Instant::now(), false);
    let desfecho = loop {
        // NOVO (desligamento): o servidor está encerrando? Conferido antes de
        // cada leitura, ou seja, a cada mensagem e a cada intervalo sem dados.
        if desligando.load(Ordering::Relaxed) {
            let _ = fechar_com_aviso(conexao.tcp(), &format!("{PREFIXO_AVISO}servidor encerrando"));
            break format!("Desconectado: servidor encerrando{}", perdidos(&linhas));
        }
        match linhas.proxima(&mut conexao) {
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    log.linha(format!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                ultima_mensagem = Instant::now();
                thread::sleep(config.atraso);
                let resposta = eco(&mensagem);
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = conexao.write_all(&resposta) {
                    break falha_na_escrita(&e);
                }
                registro.contar_eco(); // NOVO (registro)
            }
            // NOVO (inatividade): nada chegou neste intervalo.
            Err(e) if passou_o_intervalo(&e) => {
                if ultima_mensagem.elapsed() >= config.tempo_ocioso {
                    let aviso = format!("{PREFIXO_AVISO}conexão encerrada por inatividade");
                    let _ = fechar_com_aviso(conexao.tcp(), &aviso);
                    let limite = duracao_legivel(config.tempo_ocioso);
                    let perdidos = perdidos(&linhas);
                    break format!(
                        "Desconectado por inatividade: nenhuma mensagem em {limite}{perdidos}"
                    );
                }
                // NOVO (dica): uma meia linha parada há 1 s ganha uma explicação.
                if linhas.meia_linha() != meia_linha {
                    (meia_linha, parada_desde) = (linhas.meia_linha(), Instant::now());
                } else if meia_linha > 0 && parada_desde.elapsed() >= ESPERA_PELA_DICA && !dica_dada
                {
                    log.linha(format!("{cliente} {}", dica_sem_fim_de_linha(meia_linha)));
                    dica_dada = true;
                }
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                let _ = fechar_com_aviso(conexao.tcp(), &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    // NOVO (registro): a última linha e a devolução da vaga acontecem juntas,
    // sob a trava do registro (ver `Vaga::liberar`): a contagem é exata mesmo
    // com saídas simultâneas, e a linha sai antes do resumo do desligamento.
    vaga.liberar(log, |ativas| {
        format!(
            "{cliente} {desfecho} (atendido por {duracao}, {mensagens}; conexões ativas: {ativas})"
        )
    });
    drop(conexao); // close(): aqui, em todos os caminhos, normal ou de erro
}

/// NOVO (desligamento, inatividade): o que o cliente enviou e não vai ter
/// resposta (quase sempre uma linha sem `\n`), dito no desfecho.
fn perdidos(linhas: &LeitorDeLinhas) -> String {
    match linhas.sem_resposta() {
        0 => String::new(),
        bytes => format!("; {bytes} bytes recebidos ficaram sem resposta"),
    }
}

/// NOVO (relógio de leitura): a leitura voltou vazia porque passou o
/// [`INTERVALO_DE_VERIFICACAO`]: não é erro, é a hora de conferir
/// desligamento e inatividade. (O tempo limite do socket dá `WouldBlock` no
/// Unix; o relógio do Windows dá `TimedOut`.)
fn passou_o_intervalo(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// NOVO (tempo de escrita): o desfecho de uma resposta que não pôde ser
/// escrita. Esgotar o [`ESCRITA_MAXIMA`] quer dizer que o cliente não lê.
fn falha_na_escrita(e: &io::Error) -> String {
    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
        let prazo = duracao_legivel(ESCRITA_MAXIMA);
        format!("Desconectado: o cliente não lê as respostas (nada enviado em {prazo})")
    } else {
        format!("Conexão com o cliente falhou: {}", descrever(e))
    }
}

/// NOVO (limite de clientes): a conexão não foi admitida, o servidor está
/// lotado. O cliente recebe uma linha `Erro:` que diz por quê, e a conexão é
/// fechada sem ser atendida.
fn recusar(conexao: &TcpStream, cliente: Cliente, estado: &Estado) {
    let maximo = quantidade(estado.registro.maximo() as u64, "cliente", "clientes");
    estado.log.linha(format!("{cliente} Recusado: servidor lotado ({maximo} ao mesmo tempo)"));
    let aviso = format!("{PREFIXO_ERRO}servidor lotado (máximo de {maximo}); tente mais tarde");
    let _ = fechar_com_aviso(conexao, &aviso);
}
