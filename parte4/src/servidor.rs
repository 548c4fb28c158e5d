//! # Parte 4 — o servidor concorrente, pronto para uso
//!
//! O servidor da Parte 3 (uma thread por cliente) com o que a atividade pede
//! e duas lições clássicas de um servidor de verdade. Cada passo entra com
//! um nome, marcado `NOVO (nome)` onde aparece no código; leia na ordem:
//! 1. `log`: uma thread só escreve no terminal, e as outras lhe mandam as
//!    linhas por uma fila limitada (o "proteja o recurso compartilhado com
//!    uma fila" da disciplina; a fila está em `common/src/log.rs`). Com a
//!    fila cheia, quem registra espera uma vaga: a memória fica limitada, e
//!    nenhuma linha se perde;
//! 2. `registro` (`registro.rs`): as conexões ativas. A contagem aparece no
//!    log a cada entrada e saída, e o desligamento acha ali quem avisar;
//! 3. `admissão`: `--max-clientes` é decidido neste arquivo, no laço do
//!    `accept()`, antes de existir uma thread para o cliente. O cliente N+1
//!    recebe `Erro: servidor lotado ...` e é desconectado ali mesmo: uma
//!    rajada de milhares de conexões não vira milhares de threads;
//! 4. `desligamento` (`desligamento.rs`): Ctrl-C (ou SIGTERM) para de
//!    aceitar, avisa cada cliente, espera as threads (com prazo) e imprime um
//!    resumo.
//!
//! E a `inatividade` que a especificação pede (`--tempo-ocioso`): quem fica
//! calado esse tempo recebe `Aviso: conexão encerrada por inatividade`.
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

use crate::desligamento::{self, DESLIGANDO};
use crate::registro::{Registro, Vaga, TRAVA};
use anyhow::Result;
use common::erros::{descrever, falhou};
use common::log::{self, linha, Linha};
use common::protocolo::{eco, erro_mensagem_grande, LeitorDeLinhas, Recebido, LIMITE_MENSAGEM};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::duracao_legivel;
use common::texto::{quantidade, texto_seguro};
use crossbeam_channel::Sender;
use socket2::{Domain, Socket, Type};
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Quem é o cliente nos logs: `[cliente 3 127.0.0.1:60257]`.
#[derive(Clone, Copy)]
pub struct Cliente {
    /// Ordem do accept(), a partir de 1.
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
pub fn servir(
    args: &ArgsServidor,
    backlog: i32,
    atraso: Duration,
    max_clientes: usize,
    tempo_ocioso: Duration,
) -> Result<()> {
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
    desligamento::instalar(&escuta)?; // NOVO (desligamento)
    let inicio = Instant::now();
    // NOVO (log): daqui em diante, só a thread do log escreve na saída
    // padrão; cada thread de atendimento leva uma cópia da ponta de envio.
    let (log, escritor) = log::iniciar()?;
    let registro = Arc::new(Registro::default()); // NOVO (registro)

    let mut numero = 0;
    registrar(&log, "Aguardando conexões...".to_string());
    loop {
        let (conexao, endereco) = match escuta.accept() {
            // NOVO (desligamento): o accept() foi acordado pelo tratador de Ctrl-C?
            Ok(_) if DESLIGANDO.load(Ordering::Relaxed) => break,
            Ok(par) => par,
            Err(e) => {
                registrar(&log, format!("Erro no accept(): {}", descrever(&e)));
                thread::sleep(PAUSA_APOS_ERRO_NO_ACCEPT);
                continue;
            }
        };
        numero += 1;
        let cliente = Cliente { numero, endereco };
        // NOVO (admissão): decidida aqui, antes de existir uma thread para o
        // cliente. Quem passa do limite é recusado por este mesmo laço.
        let (vaga, ativas) = match Registro::admitir(&registro, max_clientes, cliente, conexao) {
            Ok(admitida) => admitida,
            Err(conexao) => {
                recusar(&conexao, cliente, max_clientes, &log);
                continue; // close(): aqui, sem ninguém esperar (ver `recusar`)
            }
        };
        registrar(&log, format!("{cliente} Conectado (conexões ativas: {ativas})"));
        // A conversa vai para uma thread só dela, dona da vaga (e com ela de
        // uma ponta do socket); este laço volta na hora para o accept().
        let log_da_thread = log.clone();
        let criada = thread::Builder::new()
            .name(format!("cliente {numero}"))
            .spawn(move || atender_cliente(vaga, &log_da_thread, atraso, tempo_ocioso));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            registrar(&log, format!("{cliente} Sem thread para atender: {}", descrever(&e)));
        }
    }
    // NOVO (desligamento): para de aceitar (o kernel recusa quem chegar
    // agora), avisa quem está conectado, espera as threads e o log.
    drop(escuta);
    desligamento::encerrar(&registro, log, escritor, inicio);
    Ok(())
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(vaga: Vaga, log: &Sender<Linha>, atraso: Duration, tempo_ocioso: Duration) {
    let (conexao, cliente) = (&vaga.conexao, vaga.conexao.cliente);
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se perde
    // a otimização.
    let _ = conexao.socket.set_nodelay(true);
    // NOVO (inatividade): o tempo limite de leitura do próprio socket
    // (SO_RCVTIMEO). Um `read()` sem nenhum byte por `tempo_ocioso` volta com
    // erro, e a conexão é encerrada: sem relógio à parte, sem outra thread.
    let _ = conexao.socket.set_read_timeout(Some(tempo_ocioso));
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    let desfecho = loop {
        match linhas.proxima(&mut &conexao.socket) {
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    registrar(log, format!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                thread::sleep(atraso);
                let resposta = eco(&mensagem);
                // NOVO (desligamento): escreve com a vez de escrever (ver
                // `Conexao::escrita`). Depois do aviso de encerramento, nada
                // mais sai: a thread só lê, até o cliente fechar.
                let avisada = conexao.escrita.lock().expect(TRAVA);
                if *avisada {
                    continue;
                }
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = (&conexao.socket).write_all(&resposta) {
                    break format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
                vaga.registro.ecos.fetch_add(1, Ordering::Relaxed); // NOVO (registro)
            }
            // NOVO (desligamento): o cliente fechou (ou caiu) depois do aviso.
            _ if *conexao.escrita.lock().expect(TRAVA) => {
                break "Desconectado: servidor encerrando".to_string()
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                conexao.avisar(&erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            // NOVO (inatividade): o tempo limite de leitura esgotou (no Unix o
            // erro é `WouldBlock`; no Windows, `TimedOut`). A Microsoft diz
            // que, depois disso, o socket fica num estado indeterminado e
            // deve ser fechado: é o que se faz, depois do aviso.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conexao.avisar("Aviso: conexão encerrada por inatividade");
                let limite = duracao_legivel(tempo_ocioso);
                break format!("Desconectado por inatividade: nada recebido em {limite}");
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    // NOVO (registro): a última linha sai junto com a devolução da vaga,
    // com quantas conexões ficam (ver `Vaga::liberar`).
    let fim = format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens}");
    vaga.liberar(log, |ativas| format!("{fim}; conexões ativas: {ativas})"));
    // close(): o socket fecha quando a última ponta (`Arc`) some, a desta
    // thread, aqui, em todos os caminhos, normal ou de erro.
}

/// NOVO (log): uma linha vai para a fila do log, com a hora de agora (a do
/// evento, não a da escrita no terminal). Com a fila cheia, espera uma vaga.
/// Só falha se o escritor do log já terminou: aí não há o que fazer.
pub fn registrar(log: &Sender<Linha>, texto: String) {
    let _ = log.send(linha(texto));
}

/// NOVO (admissão): o servidor está lotado. O cliente recebe uma linha
/// `Erro:` que diz por quê, e o socket é fechado pelo laço do `accept()`
/// mesmo, sem thread e sem esperar o cliente: o kernel entrega a linha e o
/// fim do fluxo (FIN) depois, sozinho. Um cliente lento ou malicioso não
/// segura este laço, porque o socket vira não bloqueante antes de tudo.
fn recusar(mut conexao: &TcpStream, cliente: Cliente, max_clientes: usize, log: &Sender<Linha>) {
    let maximo = quantidade(max_clientes as u64, "cliente", "clientes");
    registrar(log, format!("{cliente} Recusado: servidor lotado ({maximo} ao mesmo tempo)"));
    let _ = conexao.set_nonblocking(true);
    // A linha cabe com folga no buffer de envio, vazio numa conexão nova.
    let erro = format!("Erro: servidor lotado (máximo de {maximo}); tente mais tarde\n");
    let _ = conexao.write_all(erro.as_bytes());
    let _ = conexao.shutdown(Shutdown::Write);
    // Fechar um socket com dados recebidos e não lidos faz o kernel mandar
    // RST em vez de FIN, e o RST pode descartar, do lado do cliente, a linha
    // `Erro:` que ele ainda não leu (o Windows descarta). Por isso, antes de
    // fechar, lê e descarta o que o cliente já enviou (até o tamanho de uma
    // mensagem; a leitura não bloqueante para quando não há mais nada). O
    // que ele enviar depois do fechamento ainda provoca o RST: é o preço de
    // não dedicar uma thread a quem foi recusado.
    let _ = io::copy(&mut conexao.take(LIMITE_MENSAGEM as u64), &mut io::sink());
}
