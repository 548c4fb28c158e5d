//! # Parte 4 — o servidor concorrente, pronto para uso
//!
//! O servidor da Parte 3 (uma thread por cliente) com o que a atividade pede
//! (o log protegido por uma fila, as conexões ativas à vista, o desligamento
//! gracioso) e duas lições clássicas de um servidor de verdade (o limite de
//! clientes e o tempo de inatividade), em seis passos. Cada passo é um
//! servidor que roda, a Parte 3 mais os passos até ele: `just diff parte3
//! parte4` mostra um passo de cada vez (os arquivos em `parte4/passos/`), e
//! `just passo N rodar` roda o servidor do passo N. No código, cada trecho
//! novo está marcado `NOVO (passo N, nome)`.
//! Leia na ordem:
//! 1. `log`: uma thread só escreve no terminal, e as outras lhe mandam as
//!    linhas por uma fila limitada (o "proteja o recurso compartilhado com
//!    uma fila" da disciplina; a fila está em `common/src/log.rs`). Com a
//!    fila cheia, quem registra espera uma vaga: a memória fica limitada, e
//!    nenhuma linha se perde enquanto o terminal lê (parado, ele para
//!    todos).
//! 2. `registro` (`registro.rs`): as conexões ativas. A contagem aparece no
//!    log a cada entrada e saída, e o desligamento (passo 4) acha ali quem
//!    encerrar.
//! 3. `admissão` (`admissao.rs`): `--max-clientes` é decidido no laço do
//!    `accept()`, antes de existir uma thread para o cliente. O cliente N+1
//!    recebe ali mesmo `Erro: servidor lotado ...`, e uma thread só, a de
//!    recusas, espera ele fechar: uma rajada de milhares de conexões não
//!    vira milhares de threads.
//! 4. `desligamento` (`desligamento.rs`): Ctrl-C (ou SIGTERM) para de
//!    aceitar, fecha o lado de escrita de cada conexão (o cliente recebe o
//!    fim do fluxo), espera as threads (com prazo) e imprime um resumo.
//!    Depois do Ctrl-C, a thread de um cliente não começa nada novo (a
//!    mensagem que ela já estava respondendo ainda pode sair).
//! 5. `aviso`: antes do fim do fluxo, cada cliente recebe `Aviso: servidor
//!    encerrando`. Duas threads passam a escrever no mesmo socket (a do
//!    cliente, os ecos; a do desligamento, o aviso): cada conexão ganha a sua
//!    vez de escrever (`Conexao::escrita`), e uma linha nunca sai no meio da
//!    outra.
//! 6. `inatividade` (`--tempo-ocioso`, que a especificação pede): quem fica
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
//! Terminal 1: `just parte4 --atraso 2000` (ou `cargo run --bin parte4 --
//! --atraso 2000`; o servidor do passo N: `just passo N rodar --atraso
//! 2000`). Terminais 2 e 3: `cargo run --bin cliente -- --tempo`.
//! 1. `log`: envie uma mensagem em cada cliente, quase juntos: as respostas
//!    chegam juntas, e as linhas do log saem inteiras, pela thread do log.
//! 2. `registro`: cada entrada e saída mostra `conexões ativas: N`.
//! 3. `admissão`: com `--max-clientes 2` no terminal 1, um terceiro cliente
//!    recebe `Erro: servidor lotado`.
//! 4. `desligamento`: Ctrl-C no terminal 1: os clientes dizem `Conexão
//!    encerrada pelo servidor`, e o servidor imprime o resumo.
//! 5. `aviso`: Ctrl-C no terminal 1: antes disso, os clientes recebem `Aviso:
//!    servidor encerrando`.
//! 6. `inatividade`: com `--tempo-ocioso 5` no terminal 1, um cliente calado
//!    por 5 s recebe `Aviso: conexão encerrada por inatividade`.

use crate::registro::{self, Registro, Vaga, TRAVA};
use crate::{admissao, desligamento};
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
use std::io::{ErrorKind, Write};
use std::thread;
use std::time::{Duration, Instant};
use std::{net::TcpListener, sync::Arc};

/// Pausa depois de um `accept()` que falhou (ex.: limite de arquivos
/// abertos atingido), para o laço não girar em falso gastando CPU.
const PAUSA_APOS_ERRO_NO_ACCEPT: Duration = Duration::from_millis(100);

/// Abre o socket de escuta e aceita clientes até o desligamento; cada um é
/// atendido na sua thread. Volta com erro se não conseguir abrir o socket.
/// NOVO: `max_clientes` (passo 3) e `tempo_ocioso` (passo 6).
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
    // o `accept()` e devolve os tipos dela (`TcpStream`, `SocketAddr`).
    let escuta = TcpListener::from(escuta);
    anunciar(&escuta, args)?;
    // NOVO (passo 1, log): daqui em diante, só a thread do log escreve na
    // saída padrão; cada thread de atendimento leva uma cópia da ponta de
    // envio.
    let (log, escritor) = log::iniciar()?;
    // NOVO (passo 2, registro): dividido (`Arc`) com as threads de
    // atendimento.
    let registro = Arc::new(Registro::default());
    // NOVO (passo 3, admissão): a thread que fecha os recusados
    // (`admissao.rs`).
    let recusas = admissao::iniciar(max_clientes)?;
    // NOVO (passo 4, desligamento): o tratador de Ctrl-C, e o relógio do
    // resumo final.
    desligamento::instalar(&escuta)?;
    let inicio = Instant::now();

    let mut numero = 0;
    registrar(&log, "Aguardando conexões...".to_string());
    loop {
        let (conexao, endereco) = match escuta.accept() {
            // NOVO (passo 4, desligamento): o accept() foi acordado pelo
            // tratador de Ctrl-C? (Ou falhou depois do Ctrl-C: sem
            // descritores livres, nem a conexão que o acorda chegaria.)
            _ if desligamento::pedido() => break,
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
        let (vaga, ativas) = match registro::admitir(&registro, max_clientes, cliente, conexao) {
            Ok(admitida) => admitida,
            Err(conexao) => {
                recusas.recusar(conexao, cliente, &log);
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
    // registro; `&TcpStream` basta para ler e escrever (o `mut` é da
    // referência: `read` e `write` pedem `&mut` dela, não do socket).
    let (mut conexao, cliente) = (&vaga.conexao.socket, vaga.conexao.cliente);
    let inicio = Instant::now();
    let mut mensagens = 0;
    // Sem o algoritmo de Nagle: com ele, uma resposta escrita enquanto a
    // anterior ainda espera o ACK do cliente (duas mensagens que chegaram
    // juntas) ficaria retida até esse ACK, que o cliente atrasa (uns 40 ms no
    // Linux, até 200 ms no Windows; `just nagle` mede). Se falhar, só se perde
    // a otimização.
    let _ = conexao.set_nodelay(true);
    // NOVO (passo 6, inatividade): o tempo limite de leitura do próprio
    // socket (SO_RCVTIMEO). Um `read()` sem nenhum byte por `tempo_ocioso`
    // volta com erro, e a conexão é encerrada: sem relógio à parte, sem outra
    // thread. O mesmo prazo vale para escrever (SO_SNDTIMEO): um cliente que
    // envia e não lê as respostas enche o buffer de envio, e o `write_all`
    // esperaria para sempre, com a thread e a vaga. Simplificação: o prazo
    // é de cada `read()` e de cada `send()`, não da mensagem inteira; um
    // cliente que manda um byte, ou lê uns poucos, antes de cada prazo fica
    // para sempre. Um servidor de produção também limita o tempo de uma
    // mensagem inteira (ou de toda a conexão).
    let _ = conexao.set_read_timeout(Some(tempo_ocioso));
    let _ = conexao.set_write_timeout(Some(tempo_ocioso));
    let limite = duracao_legivel(tempo_ocioso);
    // O `recv` com fronteiras: guarda o que chegou depois do `\n`.
    let mut linhas = LeitorDeLinhas::novo();
    // O laço termina com o desfecho da conversa, um texto para o log: cada
    // `break` diz por que ela acabou, e a linha depois do laço o imprime.
    let desfecho = loop {
        match linhas.proxima(&mut conexao) {
            // NOVO (passo 4, desligamento): depois do Ctrl-C, a thread não
            // começa nada novo: o que chegar (mensagem, fim, erro) não é
            // registrado nem respondido, nem espera o --atraso. O fim do fluxo
            // já saiu ou está saindo (`desligamento::encerrar`); a thread
            // descarta o que vier até o cliente fechar (sem RST, que apagaria
            // o que ele ainda não leu) e termina com a sua última linha.
            _ if desligamento::pedido() => {
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
                // NOVO (passo 5, aviso): escreve com a vez de escrever (ver
                // `Conexao::escrita`): o aviso não sai no meio do eco, nem
                // entre a conferência (`avisada`) e a escrita. Se ele saiu
                // durante o --atraso, o eco não sai (o lado de escrita está
                // fechado), e a volta seguinte do laço, quando o cliente
                // enviar ou fechar, cai no desligamento, acima.
                let avisada = vaga.conexao.escrita.lock().expect(TRAVA);
                if *avisada {
                    continue;
                }
                // O `sendall` do Python: escreve até o último byte.
                if let Err(e) = conexao.write_all(&resposta) {
                    break match e.kind() {
                        // NOVO (passo 6, inatividade): o prazo de escrita
                        // esgotou.
                        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                            format!("Desconectado: o cliente não lê as respostas há {limite}")
                        }
                        _ => format!("Conexão com o cliente falhou: {}", descrever(&e)),
                    };
                }
                // NOVO (passo 5, aviso): solta a vez de escrever antes de
                // pedir a trava do registro (uma trava de cada vez).
                drop(avisada);
                // NOVO (passo 4, desligamento): o eco conta no total do resumo.
                vaga.registro.lock().expect(TRAVA).ecos += 1;
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                // NOVO (passo 5, aviso): com a vez de escrever.
                let _vez = vaga.conexao.escrita.lock().expect(TRAVA);
                let _ = fechar_com_aviso(conexao, &erro_mensagem_grande());
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            // NOVO (passo 6, inatividade): o tempo limite de leitura esgotou
            // (no Unix o erro é `WouldBlock`; no Windows, `TimedOut`). A
            // Microsoft diz que, depois disso, o estado do socket é
            // indeterminado: ele só serve para tentar o aviso (com a vez de
            // escrever, como acima; se o aviso não sair, o cliente vê só o
            // fim da conexão) e é fechado.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let _vez = vaga.conexao.escrita.lock().expect(TRAVA);
                let _ = fechar_com_aviso(conexao, "Aviso: conexão encerrada por inatividade");
                break format!("Desconectado por inatividade: nada recebido em {limite}");
            }
            // A conexão foi desfeita (RST: o cliente fechou sem ler tudo o que
            // recebeu, ou caiu) ou a rede falhou: só esta conexão acaba.
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
    vaga.liberar(log, |n| {
        format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens}; conexões ativas: {n})")
    });
}

/// NOVO (passo 1, log): uma linha vai para a fila do log, com a hora de
/// agora (a do evento, não a da escrita no terminal). Com a fila cheia,
/// espera uma vaga. Só falha se o escritor do log já terminou: aí não há o
/// que fazer.
pub fn registrar(log: &Sender<Linha>, texto: String) {
    let _ = log.send(linha(texto));
}
