//! # Parte 3, outro caminho — async/await com tokio, uma tarefa por cliente
//!
//! A Parte 3 no modelo do `asyncio` do Python: cada conexão é uma tarefa
//! (`atender_cliente`), não uma thread. Num `.await` que precisa esperar, a
//! tarefa devolve a thread ao executor do tokio, que segue com outra:
//! milhares de tarefas sobre uma thread por núcleo. A conversa é a da versão
//! de threads, com `.await` onde ela bloquearia. O que mudou (`NOVO`):
//! - nada bloqueia a thread do executor, que é de todas as tarefas:
//!   `--atraso` é `tokio::time::sleep`, o log vai para a fila de
//!   `common::log`, e o que só sabe bloquear (esperar vaga nessa fila, o
//!   fechamento demorado) roda no pool de bloqueio do tokio;
//! - a regra dos buffers: parada, a tarefa não guarda buffer de leitura;
//! - a regra da justiça: uma leitura e as suas respostas por vez. Com
//!   threads, o kernel divide o processador; aqui, o próprio código.
//!
//! ## Como observar
//! 1. Terminal 1: `cargo run --bin parte3-async -- --atraso 2000`.
//! 2. Terminais 2 e 3: `cargo run --bin cliente -- --tempo`; envie uma
//!    mensagem em cada, quase juntos: as duas respostas chegam juntas.
//! 3. `cargo run --release --bin inundacao -- --rapido --so parte3-async`:
//!    quatro conexões inundam, e um cliente leve espera poucos milissegundos.

use anyhow::Result;
use common::protocolo::{eco, erro_mensagem_grande, fechar_com_aviso, Enquadrador, Recebido};
use common::protocolo::{LIMITE_MENSAGEM, TAMANHO_DA_LEITURA};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, erros::falhou, log, log::Linha, tempo::duracao_legivel};
use crossbeam_channel::{Sender, TrySendError};
use socket2::{Domain, Socket, Type};
use std::{io, io::ErrorKind, time::Duration, time::Instant};
use tokio::{io::AsyncWriteExt, net::TcpListener, net::TcpStream, task::spawn_blocking};

type Log = Sender<Linha>; // cada tarefa tem uma; a thread do log vive enquanto houver uma

/// Abre o socket de escuta e aceita clientes para sempre, cada um na sua
/// tarefa. Só volta (com o erro) se não conseguir abrir o socket.
pub async fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    let endereco_local = endereco_de_escuta(args)?;
    let escuta = Socket::new(Domain::for_address(endereco_local), Type::STREAM, None)
        .map_err(falhou("socket()"))?;
    #[cfg(unix)]
    escuta.set_reuse_address(true).map_err(falhou("setsockopt(SO_REUSEADDR)"))?;
    escuta.bind(&endereco_local.into()).map_err(|e| erro_no_bind(e, args, endereco_local))?;
    escuta.listen(backlog).map_err(falhou("listen()"))?;
    let escuta = std::net::TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    // NOVO: o socket passa ao tokio (que o quer não bloqueante), e o log a uma fila.
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let escuta = TcpListener::from_std(escuta).map_err(falhou("registrar o socket no tokio"))?;
    let (log, _escritor) = log::iniciar().map_err(falhou("criar a thread do log"))?;
    let mut numero = 0;
    registrar(&log, "Aguardando conexões...".to_string()).await;
    loop {
        let (conexao, endereco) = match escuta.accept().await {
            Ok(par) => par,
            Err(e) => {
                registrar(&log, format!("Erro no accept(): {}", descrever(&e))).await;
                tokio::time::sleep(Duration::from_millis(100)).await; // não girar em falso
                continue;
            }
        };
        numero += 1; // a ordem do accept(), a partir de 1
        let cliente = Cliente { numero, endereco };
        // NOVO: uma tarefa (não uma thread) por conexão, dona do socket.
        tokio::spawn(atender_cliente(conexao, cliente, atraso, log.clone()));
    }
}

/// Conversa com um cliente até ele sair, e fecha a conexão (é dona dela). Nada
/// que o cliente faça derruba o servidor: todo desfecho vira uma linha de log.
async fn atender_cliente(mut conexao: TcpStream, cliente: Cliente, atraso: Duration, log: Log) {
    registrar(&log, format!("{cliente} Conectado")).await;
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se
    // perde a otimização.
    let _ = conexao.set_nodelay(true);
    let mut enquadrador = Enquadrador::novo(LIMITE_MENSAGEM);
    let desfecho = 'conversa: loop {
        // NOVO (a regra da justiça, a do `parte3-poll`): antes de cada leitura,
        // a vez das outras tarefas prontas. Sem ela, só o orçamento do tokio
        // (uma pausa a cada 128 operações de E/S, de qualquer tamanho) faria
        // largar a thread: 4 clientes inundando com linhas de 4 KiB faziam um
        // leve esperar 1,8 ms (mediana), não 0,1. Custa 0,7 µs por mensagem.
        tokio::task::yield_now().await;
        let lidos = match ler_quando_chegar(&conexao).await {
            Ok(lidos) => lidos,
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        };
        // As mensagens desta leitura, uma por vez (nada lido: o cliente fechou).
        let fim = lidos.is_empty().then(|| enquadrador.fim());
        let pedacos = lidos.split_inclusive(|&byte| byte == b'\n');
        for recebido in pedacos.filter_map(|pedaco| enquadrador.avancar(pedaco).1).chain(fim) {
            let mensagem = match recebido {
                Recebido::Mensagem(mensagem) => mensagem,
                Recebido::Fim => break 'conversa "Cliente desconectou".to_string(),
                Recebido::Incompleta(bytes) => {
                    break 'conversa format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
                }
                Recebido::GrandeDemais => break 'conversa fechar_com_erro(conexao).await,
            };
            if !silencioso() {
                registrar(&log, format!("{cliente} Recebido: {}", texto_seguro(&mensagem))).await;
            }
            mensagens += 1;
            if !atraso.is_zero() {
                tokio::time::sleep(atraso).await; // NOVO: nunca thread::sleep aqui
            }
            if let Err(e) = conexao.write_all(&eco(&mensagem)).await {
                break 'conversa format!("Conexão com o cliente falhou: {}", descrever(&e));
            }
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    registrar(&log, format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens})")).await;
}

/// NOVO (a regra dos buffers): espera dados sem buffer nenhum (`readable`),
/// e só então cria um e lê (vazio: o cliente fechou). Com `conexao.read(&mut
/// buffer).await`, o buffer viveria na tarefa parada: cada conexão parada
/// custaria 8 KiB a mais. Parada, a tarefa só guarda a meia linha.
async fn ler_quando_chegar(conexao: &TcpStream) -> io::Result<Vec<u8>> {
    loop {
        conexao.readable().await?;
        let mut lidos = Vec::with_capacity(TAMANHO_DA_LEITURA);
        match conexao.try_read_buf(&mut lidos) {
            Ok(_) => return Ok(lidos),
            // O aviso de "legível" era velho: espera o próximo.
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// NOVO: envia o `Erro:` da mensagem grande, fecha devagar e devolve o
/// desfecho. O fechamento demorado espera o cliente até 2 s em leituras que
/// bloqueiam: roda no pool de bloqueio, com o socket bloqueante de novo.
async fn fechar_com_erro(conexao: TcpStream) -> String {
    let conexao = conexao.into_std().and_then(|c| c.set_nonblocking(false).map(|()| c));
    if let Ok(conexao) = conexao {
        let _ = spawn_blocking(move || fechar_com_aviso(&conexao, &erro_mensagem_grande())).await;
    }
    format!("Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro")
}

/// NOVO: põe a linha na fila do log, com a hora do evento. Com a fila cheia
/// (o terminal não dá conta), esperar uma vaga bloquearia: uma tarefa por vez
/// espera no pool de bloqueio, e as outras, a vez dela, com `.await`.
async fn registrar(log: &Log, texto: String) {
    static VEZ: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    if let Err(TrySendError::Full(linha)) = log.try_send(log::linha(texto)) {
        let _vez = VEZ.lock().await;
        let log = log.clone();
        let _ = spawn_blocking(move || log.send(linha)).await;
    }
}
