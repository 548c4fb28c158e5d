//! # Parte 3, outro caminho — async/await com tokio, uma tarefa por cliente
//!
//! O mesmo protocolo e o mesmo log da Parte 3, com o terceiro modelo da
//! atividade (o `asyncio` do Python). O código se parece com o de threads:
//! um laço `accept()` que entrega cada conexão a `atender_cliente`, que lê e
//! responde em sequência. A diferença está no `.await`: quando uma tarefa
//! espera, ela devolve a thread ao executor do tokio, que atende outra
//! tarefa. Milhares de tarefas rodam sobre poucas threads (uma por núcleo),
//! e por baixo o tokio usa o mesmo `poll` (mio) da versão `parte3-poll`.
//!
//! O que muda em relação às threads (e está comentado onde acontece):
//! - nada dentro de uma tarefa pode bloquear a thread: `--atraso` usa
//!   `tokio::time::sleep(...).await`, não `std::thread::sleep`, que pararia
//!   todas as tarefas daquela thread do executor;
//! - o log: escrever no terminal bloqueia (um terminal lento; no Windows,
//!   um clique na janela do console). As tarefas põem a linha numa fila
//!   limitada, e uma thread fora do executor a escreve (ver [`registrar`]);
//! - a regra dos buffers: uma tarefa parada esperando dados não guarda
//!   buffer de leitura nenhum (ver [`ler_mensagens`]), e cada conexão custa
//!   pouco mais que a própria tarefa.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-async -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas.

use anyhow::Result;
use common::erros::{descrever, falhou};
use common::protocolo::{
    acrescentar_eco, dica_sem_fim_de_linha, erro_mensagem_grande, Enquadrador, Recebido,
    DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, ESPERA_PELA_DICA, LIMITE_MENSAGEM,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::{agora, duracao_legivel, Carimbo};
use common::texto::{quantidade, texto_seguro};
use socket2::{Domain, Socket, Type};
use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Quanto uma leitura pede ao kernel, no máximo (num buffer na pilha da
/// thread do executor, não na tarefa: ver [`ler_mensagens`]).
const TAMANHO_DA_LEITURA: usize = 16 * 1024;

/// Linhas de log que podem esperar na fila. Com o terminal mais lento que os
/// clientes e a fila cheia, a tarefa que registra espera uma vaga com
/// `.await` (devolvendo a thread ao executor), e nenhuma linha se perde.
const CAPACIDADE_DO_LOG: usize = 4096;

/// Quanto a thread do log dorme depois de cada escrita, deixando as linhas
/// se juntarem na fila: umas mil escritas por segundo, no máximo, em vez de
/// uma por mensagem (cada escrita num pipe acorda quem o lê).
const PAUSA_PARA_JUNTAR: Duration = Duration::from_millis(1);

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

/// Abre o socket de escuta e aceita clientes para sempre; cada um é
/// atendido na sua tarefa. Só volta (com o erro) se não conseguir abrir o
/// socket.
pub async fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
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
    let escuta = std::net::TcpListener::from(escuta);
    anunciar(&escuta, args)?;

    // NOVO: o socket passa ao tokio, que o quer não bloqueante.
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let escuta = TcpListener::from_std(escuta).map_err(falhou("registrar o socket no tokio"))?;
    let mut numero = 0;
    registrar("Aguardando conexões...".to_string()).await;
    loop {
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
async fn atender_cliente(mut socket: TcpStream, cliente: Cliente, atraso: Duration) {
    registrar(format!("{cliente} Conectado")).await;
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, a segunda de duas respostas seguidas
    // esperaria o ACK da primeira, que o cliente atrasa (uns 40 ms no Linux,
    // até 200 ms; `just nagle` mede).
    let _ = socket.set_nodelay(true);
    let mut enquadrador = Enquadrador::novo(LIMITE_MENSAGEM);
    let mut dica_dada = false;
    let desfecho = 'conversa: loop {
        // NOVO: espera dados sem ocupar a thread. Com meia linha parada,
        // espera no máximo 1 s, para dar a dica (uma vez).
        let meia_linha = enquadrador.meia_linha();
        let esperar_a_dica = meia_linha > 0 && !dica_dada;
        if esperar_a_dica && timeout(ESPERA_PELA_DICA, socket.readable()).await.is_err() {
            registrar(format!("{cliente} {}", dica_sem_fim_de_linha(meia_linha))).await;
            dica_dada = true;
        }
        if let Err(e) = socket.readable().await {
            break format!("Conexão com o cliente falhou: {}", descrever(&e));
        }
        let recebidos = match ler_mensagens(&socket, &mut enquadrador) {
            Ok(recebidos) => recebidos,
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        };
        // NOVO (respostas em lote): as respostas das mensagens desta leitura
        // se juntam aqui e saem numa escrita só (ver `enviar`). O buffer é
        // desta volta do laço: a tarefa parada não o guarda.
        let mut respostas = Vec::new();
        let mut fim = None;
        for recebido in recebidos {
            let Recebido::Mensagem(mensagem) = recebido else {
                fim = Some(recebido); // fim do fluxo ou erro: depois de enviar o que há
                break;
            };
            mensagens += 1;
            // Antes de qualquer espera, as respostas prontas saem: nenhuma
            // espera um `.await` do log ou do `--atraso`.
            if !silencioso() || !atraso.is_zero() {
                if let Err(e) = enviar(&mut socket, &mut respostas).await {
                    break 'conversa format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
            }
            if !silencioso() {
                registrar(format!("{cliente} Recebido: {}", texto_seguro(&mensagem))).await;
            }
            if !atraso.is_zero() {
                // NOVO: espera sem bloquear a thread (nunca thread::sleep aqui).
                tokio::time::sleep(atraso).await;
            }
            acrescentar_eco(&mut respostas, &mensagem);
        }
        if let Err(e) = enviar(&mut socket, &mut respostas).await {
            break format!("Conexão com o cliente falhou: {}", descrever(&e));
        }
        match fim {
            None => {}
            Some(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Some(Recebido::GrandeDemais) => {
                let _ = fechar_com_aviso(&mut socket, &erro_mensagem_grande()).await;
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Some(_) => break "Cliente desconectou".to_string(),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    registrar(format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens})")).await;
    // `socket` sai de escopo aqui: close(), em todos os caminhos.
}

/// NOVO (respostas em lote): escreve de uma vez as respostas juntadas.
/// Com 16 mensagens por leitura (pipeline), é uma chamada de sistema em vez
/// de 16; no vai e volta (uma mensagem por leitura), não muda nada.
async fn enviar(socket: &mut TcpStream, respostas: &mut Vec<u8>) -> io::Result<()> {
    if !respostas.is_empty() {
        socket.write_all(respostas).await?;
        respostas.clear();
    }
    Ok(())
}

/// NOVO (a regra dos buffers): lê o que o socket tiver agora, sem esperar,
/// e devolve as mensagens completas (e o fim do fluxo, se veio).
///
/// Uma função comum, não `async`: o buffer de leitura fica na pilha da
/// thread do executor e some ao voltar. Se a leitura fosse um `.await`
/// (`socket.read(&mut buffer).await`), o buffer teria de viver dentro da
/// tarefa enquanto ela espera, e cada conexão parada custaria esses bytes.
/// Só a linha sem `\n` (no `Enquadrador`) fica na tarefa.
fn ler_mensagens(socket: &TcpStream, enquadrador: &mut Enquadrador) -> io::Result<Vec<Recebido>> {
    // Com capacidade e sem zerar: `try_read_buf` escreve na parte livre.
    let mut lidos = Vec::with_capacity(TAMANHO_DA_LEITURA);
    let n = match socket.try_read_buf(&mut lidos) {
        Ok(0) => return Ok(vec![enquadrador.fim()]),
        Ok(n) => n,
        // O aviso de "legível" era velho (ou outro leu antes): espera de novo.
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    leitura_curta_esvaziou(socket, n, TAMANHO_DA_LEITURA);
    let mut recebidos = Vec::new();
    let mut usados = 0;
    while usados < n {
        let (consumidos, recebido) = enquadrador.avancar(&lidos[usados..n]);
        usados += consumidos;
        if let Some(recebido) = recebido {
            let grande_demais = recebido == Recebido::GrandeDemais;
            recebidos.push(recebido);
            if grande_demais {
                break; // o resto vai ser descartado com a conexão
            }
        }
    }
    Ok(recebidos)
}

/// Técnica de desempenho: uma leitura curta (menos bytes do que cabiam)
/// esvaziou o buffer de recepção do kernel, então o próximo `readable()`
/// deve esperar um aviso novo em vez de devolver o antigo na hora e custar
/// uma leitura que só ouviria `WouldBlock`. `try_io` com um `WouldBlock`
/// sem chamada de sistema apaga o aviso (o fim do fluxo, se já veio, fica).
/// É o que o próprio `read().await` do tokio faz; com `try_read` é preciso
/// pedir. Medido (`-q`, 10 clientes, vai e volta, mediana de 7 rodadas): de
/// 0,86× para 1,01× a vazão do `eco-tokio`. No Windows o aviso só volta depois de um `WouldBlock` de
/// verdade: lá, nada a fazer. Ver também `parte3/poll`, mesma técnica.
fn leitura_curta_esvaziou(socket: &TcpStream, lidos: usize, cabiam: usize) {
    if cfg!(not(windows)) && lidos < cabiam {
        let _ = socket.try_io(Interest::READABLE, || Err::<(), _>(ErrorKind::WouldBlock.into()));
    }
}

/// Envia a linha `aviso` e fecha sem perdê-la: o mesmo "fechamento demorado"
/// de `common::protocolo::fechar_com_aviso`, com as esperas em `.await`.
async fn fechar_com_aviso(socket: &mut TcpStream, aviso: &str) -> io::Result<()> {
    socket.write_all(format!("{aviso}\n").as_bytes()).await?;
    socket.shutdown().await?;
    let descarte = async {
        // No heap, não na tarefa: um buffer local atravessando `.await` faria
        // parte da tarefa de toda conexão, mesmo das que nunca chegam aqui.
        let mut lixo = vec![0u8; 8192];
        let mut descartados = 0;
        while descartados < DESCARTE_MAXIMO {
            match socket.read(&mut lixo).await {
                Ok(0) | Err(_) => break,
                Ok(n) => descartados += n,
            }
        }
    };
    let _ = timeout(ESPERA_AO_ENCERRAR, descarte).await;
    Ok(())
}

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
                // max(carimbo, último) mantém o log sem voltar no tempo (a
                // linha atrasada sai com a hora da anterior, microssegundos
                // depois da sua).
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
