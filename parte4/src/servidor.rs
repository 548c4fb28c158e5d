//! # Parte 4 — o servidor concorrente, pronto para uso
//!
//! O servidor da Parte 3 (uma thread por cliente) com o que a atividade pede
//! (o log protegido por uma fila, as conexões ativas à vista, o desligamento
//! gracioso) e duas lições clássicas de um servidor de verdade (o limite de
//! clientes e o tempo de inatividade), em cinco passos. Cada passo está
//! marcado `NOVO (passo N, nome)` onde aparece no código: a preparação em
//! `servir` faz os passos 1 a 4, um depois do outro; no atendimento, que
//! `just diff parte3 parte4` mostra de uma vez, eles se misturam, e a marca
//! diz de qual passo é cada trecho.
//! Leia na ordem:
//! 1. `log`: uma thread só escreve no terminal, e as outras lhe mandam as
//!    linhas por uma fila limitada (o "proteja o recurso compartilhado com
//!    uma fila" da disciplina; a fila está em `common/src/log.rs`). Com a
//!    fila cheia, quem registra espera uma vaga: a memória fica limitada, e
//!    nenhuma linha se perde;
//! 2. `registro` (`registro.rs`): as conexões ativas. A contagem aparece no
//!    log a cada entrada e saída, e o desligamento acha ali quem avisar;
//! 3. `admissão`: `--max-clientes` é decidido neste arquivo, no laço do
//!    `accept()`, antes de existir uma thread para o cliente. O cliente N+1
//!    recebe ali mesmo `Erro: servidor lotado ...`, e uma thread só, a de
//!    recusas, espera ele fechar: uma rajada de milhares de conexões não
//!    vira milhares de threads;
//! 4. `desligamento` (`desligamento.rs`): Ctrl-C (ou SIGTERM) para de
//!    aceitar, avisa cada cliente, espera as threads (com prazo) e imprime um
//!    resumo. Depois do aviso, a thread de um cliente não registra nem
//!    responde mais nada;
//! 5. `inatividade` (`--tempo-ocioso`, que a especificação pede): quem fica
//!    calado esse tempo recebe `Aviso: conexão encerrada por inatividade`; o
//!    mesmo prazo vale para escrever, e quem envia sem ler as respostas por
//!    esse tempo (o buffer de envio cheio) é desconectado. São os prazos do
//!    próprio socket, sem relógio à parte.
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
use common::protocolo::{
    descartar_ate_o_fim, eco, erro_mensagem_grande, fechar_com_aviso, LeitorDeLinhas, Recebido,
    ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM,
};
use common::rede::{anunciar, endereco_de_escuta, erro_no_bind, silencioso, ArgsServidor};
use common::tempo::duracao_legivel;
use common::texto::{quantidade, texto_seguro, Cliente};
use crossbeam_channel::Sender;
use socket2::{Domain, Socket, Type};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{atomic::Ordering, Arc};
use std::thread;
use std::time::{Duration, Instant};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// NOVO (passo 3, admissão): quantos recusados podem esperar ao mesmo tempo
/// na fila da thread de recusas (ver `recusar`), cada um com o seu socket
/// aberto por até 2 s. Com a fila cheia, o recusado é fechado na hora.
/// Medido com 500 recusados que enviam logo e não fecham: com 64, 106 deles
/// levaram RST; com 256, nenhum.
const FILA_DE_RECUSAS: usize = 256;

/// Abre o socket de escuta e aceita clientes até o desligamento; cada um é
/// atendido na sua thread. Volta com erro se não conseguir abrir o socket.
/// NOVO: `max_clientes` (passo 3) e `tempo_ocioso` (passo 5).
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
    // NOVO (passo 1, log): daqui em diante, só a thread do log escreve na
    // saída padrão; cada thread de atendimento leva uma cópia da ponta de
    // envio.
    let (log, escritor) = log::iniciar()?;
    // NOVO (passo 2, registro): dividido (`Arc`) com as threads de
    // atendimento.
    let registro = Arc::new(Registro::default());
    // NOVO (passo 3, admissão): uma thread só para os recusados (ver
    // `recusar`). Este laço põe cada socket recusado na fila; a thread fica
    // com ele e o fecha.
    let (recusas, recusados) = crossbeam_channel::bounded(FILA_DE_RECUSAS);
    thread::Builder::new()
        .name("recusas".into())
        .spawn(move || recusados.iter().for_each(esperar_o_fim))?;
    // NOVO (passo 4, desligamento): o tratador de Ctrl-C, e o relógio do
    // resumo final.
    desligamento::instalar(&escuta)?;
    let inicio = Instant::now();

    let mut numero = 0;
    registrar(&log, "Aguardando conexões...".to_string());
    loop {
        let (conexao, endereco) = match escuta.accept() {
            // NOVO (passo 4, desligamento): o accept() foi acordado pelo
            // tratador de Ctrl-C?
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
        // NOVO (passo 3, admissão): decidida aqui, antes de existir uma
        // thread para o cliente. Quem passa do limite é recusado por este
        // mesmo laço.
        let (vaga, ativas) = match Registro::admitir(&registro, max_clientes, cliente, conexao) {
            Ok(admitida) => admitida,
            Err(conexao) => {
                recusar(&conexao, cliente, max_clientes, &log);
                // O prazo do fim conta da recusa. Com a fila cheia, o
                // `try_send` devolve o socket, e o close() é aqui, na hora.
                let _ = recusas.try_send((conexao, Instant::now() + ESPERA_AO_ENCERRAR));
                continue;
            }
        };
        // NOVO (passo 2, registro): a contagem de conexões ativas, no log.
        registrar(&log, format!("{cliente} Conectado (conexões ativas: {ativas})"));
        // A conversa vai para uma thread só dela, dona da vaga (e com ela de
        // uma ponta do socket) e de uma cópia da ponta de envio do log (passo
        // 1); este laço volta na hora para o accept().
        let log_da_thread = log.clone();
        let criada = thread::Builder::new()
            .name(format!("cliente {numero}"))
            .spawn(move || atender_cliente(vaga, &log_da_thread, atraso, tempo_ocioso));
        if let Err(e) = criada {
            // Sem memória ou no limite de threads do sistema: recusa só este.
            registrar(&log, format!("{cliente} Sem thread para atender: {}", descrever(&e)));
        }
    }
    // NOVO (passo 4, desligamento): para de aceitar (o kernel recusa quem
    // chegar agora), avisa quem está conectado, espera as threads e o log.
    drop(escuta);
    desligamento::encerrar(&registro, log, escritor, inicio);
    Ok(())
}

/// Conversa com um cliente até ele sair. Nada que o cliente faça derruba o
/// servidor: todo desfecho, normal ou de erro, vira uma linha de log.
fn atender_cliente(vaga: Vaga, log: &Sender<Linha>, atraso: Duration, tempo_ocioso: Duration) {
    // NOVO (passo 2, registro): a conexão vem com a vaga, dividida com o
    // registro; `&TcpStream` basta para ler e escrever.
    let (mut conexao, cliente) = (&vaga.conexao.socket, vaga.conexao.cliente);
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se perde
    // a otimização.
    let _ = conexao.set_nodelay(true);
    // NOVO (passo 5, inatividade): o tempo limite de leitura do próprio
    // socket (SO_RCVTIMEO). Um `read()` sem nenhum byte por `tempo_ocioso`
    // volta com erro, e a conexão é encerrada: sem relógio à parte, sem outra
    // thread. O mesmo prazo vale para escrever (SO_SNDTIMEO): um cliente que
    // envia e não lê as respostas enche o buffer de envio, e o `write_all`
    // esperaria para sempre, com a thread e a vaga.
    let _ = conexao.set_read_timeout(Some(tempo_ocioso));
    let _ = conexao.set_write_timeout(Some(tempo_ocioso));
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    let desfecho = loop {
        match linhas.proxima(&mut conexao) {
            // NOVO (passo 4, desligamento): depois do Ctrl-C, a thread não
            // começa nada novo: o que chegar (mensagem, fim, erro) não é
            // registrado nem respondido, nem espera o --atraso. O aviso já
            // saiu ou está saindo (`desligamento::encerrar`); a thread
            // descarta o que vier até o cliente fechar (sem RST, que apagaria
            // o aviso não lido) e termina com a sua última linha.
            _ if DESLIGANDO.load(Ordering::Relaxed) => {
                let _ = descartar_ate_o_fim(conexao, Instant::now() + ESPERA_AO_ENCERRAR);
                break "Desconectado: servidor encerrando".to_string();
            }
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    registrar(log, format!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                thread::sleep(atraso);
                let resposta = eco(&mensagem);
                // NOVO (passo 4, desligamento): escreve com a vez de escrever
                // (ver `Conexao::escrita`). Se o aviso de encerramento saiu
                // durante o --atraso, o eco não sai (o lado de escrita está
                // fechado), e a volta seguinte do laço cai no desligamento,
                // acima.
                let avisada = vaga.conexao.escrita.lock().expect(TRAVA);
                if *avisada {
                    continue;
                }
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = conexao.write_all(&resposta) {
                    break match e.kind() {
                        // NOVO (passo 5, inatividade): o prazo de escrita
                        // esgotou.
                        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                            let limite = duracao_legivel(tempo_ocioso);
                            format!("Desconectado: o cliente não lê as respostas há {limite}")
                        }
                        _ => format!("Conexão com o cliente falhou: {}", descrever(&e)),
                    };
                }
                // NOVO (passo 2, registro): o total do resumo.
                vaga.registro.ecos.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                // NOVO (passo 4, desligamento): com a vez de escrever.
                let _vez = vaga.conexao.escrita.lock().expect(TRAVA);
                let _ = fechar_com_aviso(conexao, &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            // NOVO (passo 5, inatividade): o tempo limite de leitura esgotou
            // (no Unix o erro é `WouldBlock`; no Windows, `TimedOut`). A
            // Microsoft diz que, depois disso, o socket fica num estado
            // indeterminado e deve ser fechado: é o que se faz, depois do
            // aviso (com a vez de escrever, como acima).
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let _vez = vaga.conexao.escrita.lock().expect(TRAVA);
                let _ = fechar_com_aviso(conexao, "Aviso: conexão encerrada por inatividade");
                let limite = duracao_legivel(tempo_ocioso);
                break format!("Desconectado por inatividade: nada recebido em {limite}");
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    // NOVO (passo 2, registro): a última linha sai com a devolução da vaga,
    // com quantas conexões ficam (ver `Vaga::liberar`). close(): `liberar`
    // consome a vaga, e com ela a ponta (`Arc`) desta thread; o socket fecha
    // quando a última ponta some (quase sempre esta), aqui, em todos os
    // caminhos, normal ou de erro.
    vaga.liberar(log, &format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens}"));
}

/// NOVO (passo 1, log): uma linha vai para a fila do log, com a hora de
/// agora (a do evento, não a da escrita no terminal). Com a fila cheia,
/// espera uma vaga. Só falha se o escritor do log já terminou: aí não há o
/// que fazer.
pub fn registrar(log: &Sender<Linha>, texto: String) {
    let _ = log.send(linha(texto));
}

/// NOVO (passo 3, admissão): o servidor está lotado. Decidido no laço do
/// `accept()`, sem thread para o cliente: ele recebe na hora uma linha
/// `Erro:` que diz por quê, e o fim do fluxo (FIN). Um cliente lento ou
/// malicioso não segura este laço: o socket vira não bloqueante antes de
/// ler ou escrever, e a linha cabe com folga no buffer de envio, vazio numa
/// conexão nova.
///
/// Fechar logo em seguida seria arriscado: fechar um socket com dados
/// recebidos e não lidos (ou recebê-los depois de fechado) faz o kernel
/// mandar RST em vez de FIN, e o RST pode descartar, do lado do cliente, a
/// linha `Erro:` que ele ainda não leu (o Windows descarta). Um `cliente`
/// que lê de um pipe envia a mensagem logo depois de conectar: medido com
/// 200 recusados assim, fechar aqui mesmo deu 155 RST. Por isso este laço
/// só descarta o que já chegou, e o socket vai para a thread de recusas, que
/// espera o cliente fechar o lado dele (ver `esperar_o_fim`).
fn recusar(mut conexao: &TcpStream, cliente: Cliente, max_clientes: usize, log: &Sender<Linha>) {
    let maximo = quantidade(max_clientes as u64, "cliente", "clientes");
    registrar(log, format!("{cliente} Recusado: servidor lotado ({maximo} ao mesmo tempo)"));
    let _ = conexao.set_nonblocking(true);
    let erro = format!("Erro: servidor lotado (máximo de {maximo}); tente mais tarde\n");
    let _ = conexao.write_all(erro.as_bytes());
    let _ = conexao.shutdown(Shutdown::Write);
    let _ = io::copy(&mut conexao.take(LIMITE_MENSAGEM as u64), &mut io::sink());
}

/// NOVO (passo 3, admissão): o fim de um recusado, na thread de recusas, um
/// de cada vez: descarta o que ele enviar até ele fechar o lado dele, por no
/// máximo 2 s contados da recusa (o prazo do fechamento demorado de
/// `fechar_com_aviso`). Os prazos correm juntos: com vários recusados
/// calados, a fila anda assim mesmo. Depois, o socket é fechado: sem RST, a
/// menos que o cliente ainda esteja enviando.
fn esperar_o_fim((conexao, prazo): (TcpStream, Instant)) {
    let _ = conexao.set_nonblocking(false);
    let _ = descartar_ate_o_fim(&conexao, prazo);
}
