//! # Parte 3, outro caminho — async/await com tokio, uma tarefa por cliente
//!
//! A Parte 3 como no `asyncio` do Python: cada conexão é uma tarefa (`atender_cliente`), e todas
//! dividem uma thread (`main.rs`). A conversa é a das threads com `.await` onde ela bloquearia
//! (`linhas.proxima(&conexao).await` é o `await leitor.readuntil()`), e ali a tarefa devolve a
//! thread ao laço do tokio, que segue com outra. O que o modelo força (`NOVO`): nada bloqueia a
//! thread, que é de todas, nem um terminal parado (o log descarta e conta); parada, a tarefa não
//! guarda buffer de leitura; e cada uma dá a vez às outras a cada resposta (a justiça, que às
//! threads o kernel dá).
//!
//! ## Como observar
//! 1. `cargo run --bin parte3-async -- --atraso 2000` e, em dois terminais,
//!    `cargo run --bin cliente -- --tempo`: duas mensagens quase juntas voltam juntas, 2 s
//!    depois, de uma thread só (mais a do log, em `ps -T`).
//! 2. `cargo run --release --bin inundacao -- --rapido --so parte3-async`: a justiça, medida.
//!
//! Limitações que continuam (como na Parte 3): não há limite de clientes, e um cliente parado
//! segura a sua tarefa e o seu socket para sempre. A Parte 4 resolve isso nas threads.

use anyhow::Result;
use common::log::{self, LogSemEspera};
use common::protocolo::{eco, erro_mensagem_grande, Enquadrador, Recebido};
use common::protocolo::{DESCARTE_MAXIMO, ESPERA_AO_ENCERRAR, LIMITE_MENSAGEM, TAMANHO_DA_LEITURA};
use common::rede::{abrir_escuta, silencioso, ArgsServidor};
use common::texto::{quantidade, texto_seguro, Cliente};
use common::{erros::descrever, erros::falhou, tempo::duracao_legivel};
use std::{io, io::ErrorKind, sync::Arc, time::Duration, time::Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::{task::yield_now, time::sleep, time::timeout};

const PAUSA: Duration = Duration::from_millis(100); // após um erro no accept(), até o próximo

/// Abre o socket de escuta e aceita clientes para sempre, um por tarefa (só volta se falhar).
pub async fn servir(args: &ArgsServidor, backlog: i32, atraso: Duration) -> Result<()> {
    // Como na Parte 3: socket, bind, listen(backlog) e o banner (`common::rede`).
    let escuta = abrir_escuta(args, backlog)?;
    // NOVO: o socket passa ao tokio, que o quer não bloqueante.
    escuta.set_nonblocking(true).map_err(falhou("socket não bloqueante"))?;
    let escuta = TcpListener::from_std(escuta).map_err(falhou("registrar o socket no tokio"))?;
    // NOVO: o log de `common::log` que não espera: com a fila cheia (um terminal parado), a linha
    // é descartada e contada. Esperar a vaga pararia a thread, e com ela todas as tarefas.
    let (fila, _escritor) = log::iniciar().map_err(falhou("criar a thread do log"))?;
    let log = Arc::new(LogSemEspera::novo(fila)); // uma cópia do `Arc` por tarefa
    let mut numero = 0;
    log.registrar("Aguardando conexões...".to_string());
    loop {
        let (conexao, endereco) = match escuta.accept().await {
            Ok(par) => par,
            Err(e) => {
                log.registrar(format!("Erro no accept(): {}", descrever(&e)));
                sleep(PAUSA).await; // não girar em falso (sem descritores, o erro se repetiria)
                continue;
            }
        };
        numero += 1; // a ordem do accept(), a partir de 1
        let cliente = Cliente { numero, endereco };
        // NOVO: uma tarefa (não uma thread) por conexão, dona do socket.
        tokio::spawn(atender_cliente(conexao, cliente, atraso, log.clone()));
    }
}

/// Conversa com um cliente até ele sair, e fecha a conexão (é dona dela). Nada que o cliente
/// faça derruba o servidor: todo desfecho vira uma linha de log.
async fn atender_cliente(
    mut conexao: TcpStream,
    cliente: Cliente,
    atraso: Duration,
    log: Arc<LogSemEspera>,
) {
    log.registrar(format!("{cliente} Conectado"));
    let inicio = Instant::now();
    let mut mensagens = 0;
    let _ = conexao.set_nodelay(true); // sem Nagle, como nas threads
    let mut linhas = LeitorDeLinhas::novo();
    let desfecho = loop {
        match linhas.proxima(&conexao).await {
            Ok(Recebido::Fim) => break "Cliente desconectou".to_string(),
            Ok(Recebido::Mensagem(mensagem)) => {
                if !silencioso() {
                    log.registrar(format!("{cliente} Recebido: {}", texto_seguro(&mensagem)));
                }
                mensagens += 1;
                if !atraso.is_zero() {
                    sleep(atraso).await; // NOVO: nunca thread::sleep aqui
                }
                if let Err(e) = conexao.write_all(&eco(&mensagem)).await {
                    break format!("Conexão com o cliente falhou: {}", descrever(&e));
                }
                // NOVO (a regra da justiça): a vez das outras tarefas a cada resposta, como o
                // `sleep(0)` do asyncio. O orçamento cooperativo do tokio só cede depois de 128
                // operações de E/S (cada resposta gasta uma): um cliente leve esperaria até 128
                // respostas de cada um que inunda (`just inundacao` mede). Custa uma volta por
                // linha.
                yield_now().await;
            }
            Ok(Recebido::Incompleta(bytes)) => {
                break format!("Cliente saiu no meio de uma mensagem (sem o \\n do fim); {bytes} bytes descartados");
            }
            Ok(Recebido::GrandeDemais) => {
                fechar_com_aviso(&mut conexao, &erro_mensagem_grande()).await;
                break format!(
                    "Mensagem maior que {LIMITE_MENSAGEM} bytes: conexão encerrada com erro"
                );
            }
            Err(e) => break format!("Conexão com o cliente falhou: {}", descrever(&e)),
        }
    };
    let duracao = duracao_legivel(inicio.elapsed());
    let mensagens = quantidade(mensagens, "mensagem", "mensagens");
    log.registrar(format!("{cliente} {desfecho} (atendido por {duracao}, {mensagens})"));
}

/// NOVO: o `LeitorDeLinhas` de `common::protocolo` com `.await` (e as regras do `Enquadrador`).
struct LeitorDeLinhas {
    lidos: Vec<u8>, // a última leitura; `lidos[usados..]` ainda não passou pelo enquadrador
    usados: usize,
    enquadrador: Enquadrador,
}

impl LeitorDeLinhas {
    fn novo() -> Self {
        Self { lidos: Vec::new(), usados: 0, enquadrador: Enquadrador::novo(LIMITE_MENSAGEM) }
    }

    async fn proxima(&mut self, conexao: &TcpStream) -> io::Result<Recebido> {
        loop {
            let (usados, recebido) = self.enquadrador.avancar(&self.lidos[self.usados..]);
            self.usados += usados;
            if let Some(recebido) = recebido {
                return Ok(recebido);
            }
            // NOVO (a regra dos buffers): sem mensagem, o enquadrador guardou o resto; o buffer sai
            // antes da espera, e outro só nasce quando há dados (`readable`). Com o `BufReader` do
            // tokio e o seu `read_until`, cada conexão parada guardaria o dele, de 8 KiB.
            self.lidos = Vec::new();
            self.usados = 0;
            conexao.readable().await?;
            self.lidos.reserve(TAMANHO_DA_LEITURA);
            match conexao.try_read_buf(&mut self.lidos) {
                Ok(0) => return Ok(self.enquadrador.fim()), // o cliente fechou
                Err(e) if e.kind() != ErrorKind::WouldBlock => return Err(e),
                _ => {} // dados, ou um aviso de "legível" já velho (a volta seguinte espera outro)
            }
        }
    }
}

/// NOVO: o `fechar_com_aviso` de `common::protocolo` com `.await`: envia o aviso, fecha só a
/// escrita e descarta o que ainda chegar, com o prazo de lá em cada espera.
async fn fechar_com_aviso(conexao: &mut TcpStream, aviso: &str) {
    let aviso = format!("{aviso}\n");
    let enviado = timeout(ESPERA_AO_ENCERRAR, conexao.write_all(aviso.as_bytes())).await;
    if matches!(enviado, Ok(Ok(()))) && conexao.shutdown().await.is_ok() {
        let resto = &mut conexao.take(DESCARTE_MAXIMO as u64);
        let _ = timeout(ESPERA_AO_ENCERRAR, tokio::io::copy(resto, &mut tokio::io::sink())).await;
    }
}
