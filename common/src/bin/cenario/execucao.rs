//! Executa um cenário: o servidor e os clientes como processos de verdade,
//! com a saída de cada um coletada, linha a linha, num único canal.

use anyhow::{anyhow, bail, Context, Result};
use common::binarios;
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Quanto esperar o banner do servidor.
const PRAZO_DO_BANNER: Duration = Duration::from_secs(15);
/// Limite para o cenário inteiro; passado isso, tudo é encerrado. Cobre as
/// retransmissões de SYN do experimento da fila (1 s, 3 s, 7 s, 15 s...).
const PRAZO_DO_CENARIO: Duration = Duration::from_secs(90);
/// Depois que o último cliente sai, quanto silêncio do servidor indica que
/// ele terminou de registrar as desconexões.
const SILENCIO_FINAL: Duration = Duration::from_millis(400);
const ESPERA_FINAL_MAXIMA: Duration = Duration::from_secs(3);

/// Quem imprimiu a linha.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origem {
    Servidor,
    /// Número do cliente, a partir de 1.
    Cliente(usize),
}

#[derive(Clone, Debug)]
pub enum Tipo {
    /// Uma linha da saída padrão.
    Saida(String),
    /// Uma linha da saída de erros.
    Erro(String),
    /// O processo foi iniciado (com este PID).
    Iniciou(u32),
    /// O processo terminou (com este código, se terminou sozinho).
    Terminou(Option<i32>),
}

/// Uma linha (ou início/fim de processo), com o instante em que o cenário a
/// recebeu, contado a partir do início do primeiro cliente.
#[derive(Clone, Debug)]
pub struct Evento {
    pub t: Duration,
    pub origem: Origem,
    pub tipo: Tipo,
}

/// O roteiro de um cliente: quando inicia e o que "digita", e quando.
#[derive(Clone, Debug)]
pub struct PlanoCliente {
    /// A partir do início do cenário.
    pub inicio: Duration,
    /// (a partir do início deste cliente, linha)
    pub linhas: Vec<(Duration, String)>,
}

pub struct Plano {
    /// Nome do binário do servidor (`parte2`, ...).
    pub servidor: String,
    pub args_servidor: Vec<String>,
    pub clientes: Vec<PlanoCliente>,
}

pub struct Resultado {
    pub eventos: Vec<Evento>,
}

/// Um processo filho que é encerrado (e esperado, para não virar zumbi) em
/// qualquer caminho de saída, inclusive erro.
struct Filho(Child);

impl Drop for Filho {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Repassa cada linha de `fluxo` como evento.
fn coletar(
    fluxo: impl Read + Send + 'static,
    origem: Origem,
    erro: bool,
    base: Instant,
    eventos: Sender<Evento>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut leitor = BufReader::new(fluxo);
        let mut linha = Vec::new();
        while leitor.read_until(b'\n', &mut linha).unwrap_or(0) > 0 {
            let texto = String::from_utf8_lossy(&linha).trim_end_matches(['\r', '\n']).to_string();
            let tipo = if erro { Tipo::Erro(texto) } else { Tipo::Saida(texto) };
            if eventos.send(Evento { t: base.elapsed(), origem, tipo }).is_err() {
                return;
            }
            linha.clear();
        }
    })
}

/// Um processo iniciado: o filho, a sua entrada e as threads que coletam a
/// sua saída (terminam quando ele fecha a saída).
type Iniciado = (Filho, Option<ChildStdin>, [JoinHandle<()>; 2]);

fn iniciar(
    caminho: &Path,
    args: &[String],
    origem: Origem,
    base: Instant,
    eventos: &Sender<Evento>,
) -> Result<Iniciado> {
    let mut filho = Command::new(caminho)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("iniciar {}", caminho.display()))?;
    let _ = eventos.send(Evento { t: base.elapsed(), origem, tipo: Tipo::Iniciou(filho.id()) });
    let stdout = filho.stdout.take().expect("stdout foi pedido como pipe");
    let stderr = filho.stderr.take().expect("stderr foi pedido como pipe");
    let coletores = [
        coletar(stdout, origem, false, base, eventos.clone()),
        coletar(stderr, origem, true, base, eventos.clone()),
    ];
    let stdin = filho.stdin.take();
    Ok((Filho(filho), stdin, coletores))
}

/// Executa o plano. `parar` é ligado pelo Ctrl-C; todo processo iniciado é
/// encerrado e esperado antes de esta função voltar, em qualquer caminho.
pub fn executar(plano: &Plano, parar: Arc<AtomicBool>) -> Result<Resultado> {
    let pasta = binarios::pasta()?;
    binarios::compilar(&pasta, &[&plano.servidor, "cliente"])?;
    let caminho_servidor = binarios::caminho(&pasta, &plano.servidor)?;
    let caminho_cliente = binarios::caminho(&pasta, "cliente")?;

    let (envia, recebe) = unbounded();
    let base = Instant::now();
    let mut args = vec!["--porta".to_string(), "0".to_string()];
    args.extend(plano.args_servidor.iter().cloned());
    let (mut servidor, _stdin, _coletores) =
        iniciar(&caminho_servidor, &args, Origem::Servidor, base, &envia)?;

    let mut eventos = Vec::new();
    let porta = esperar_banner(&recebe, &mut servidor, &mut eventos, &plano.servidor)?;

    // O tempo do cenário conta a partir daqui (o primeiro cliente).
    let inicio = Instant::now();
    let deslocamento = inicio - base;
    let clientes: Vec<JoinHandle<Result<()>>> = plano
        .clientes
        .iter()
        .enumerate()
        .map(|(i, roteiro)| {
            let roteiro = roteiro.clone();
            let caminho = caminho_cliente.clone();
            let envia = envia.clone();
            let parar = Arc::clone(&parar);
            let args = vec!["--porta".to_string(), porta.to_string(), "--tempo".to_string()];
            thread::spawn(move || {
                rodar_cliente(i + 1, &caminho, &args, &roteiro, inicio, base, &envia, &parar)
            })
        })
        .collect();
    drop(envia);

    let limite = inicio + PRAZO_DO_CENARIO;
    let mut terminados = 0;
    let mut erro = None;
    while terminados < plano.clientes.len() {
        if parar.load(Ordering::SeqCst) {
            erro = Some(anyhow!("interrompido (Ctrl-C)"));
            break;
        }
        if Instant::now() > limite {
            erro = Some(anyhow!(
                "o cenário passou de {} s; encerrando tudo",
                PRAZO_DO_CENARIO.as_secs()
            ));
            break;
        }
        match recebe.recv_timeout(Duration::from_millis(50)) {
            Ok(evento) => {
                if matches!((evento.origem, &evento.tipo), (Origem::Cliente(_), Tipo::Terminou(_)))
                {
                    terminados += 1;
                }
                eventos.push(evento);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if let Ok(Some(status)) = servidor.0.try_wait() {
            erro = Some(anyhow!(
                "o servidor {} terminou no meio do cenário ({status})",
                plano.servidor
            ));
            break;
        }
    }
    if erro.is_some() {
        parar.store(true, Ordering::SeqCst);
    } else {
        // Dá ao servidor um instante para registrar as últimas desconexões.
        let limite = Instant::now() + ESPERA_FINAL_MAXIMA;
        while let Ok(evento) = recebe.recv_timeout(SILENCIO_FINAL) {
            eventos.push(evento);
            if Instant::now() > limite {
                break;
            }
        }
    }
    for cliente in clientes {
        if let Ok(Err(e)) = cliente.join() {
            erro.get_or_insert(e);
        }
    }
    drop(servidor); // encerra e espera o servidor
    eventos.push(Evento {
        t: base.elapsed(),
        origem: Origem::Servidor,
        tipo: Tipo::Terminou(None),
    });
    // As linhas que ainda estavam no canal.
    while let Ok(evento) = recebe.recv_timeout(Duration::from_millis(200)) {
        eventos.push(evento);
    }
    if let Some(e) = erro {
        return Err(e);
    }
    // Tempos relativos ao início do primeiro cliente.
    for evento in &mut eventos {
        evento.t = evento.t.saturating_sub(deslocamento);
    }
    eventos.sort_by_key(|e| e.t);
    Ok(Resultado { eventos })
}

fn esperar_banner(
    recebe: &Receiver<Evento>,
    servidor: &mut Filho,
    eventos: &mut Vec<Evento>,
    nome: &str,
) -> Result<u16> {
    let limite = Instant::now() + PRAZO_DO_BANNER;
    loop {
        if let Ok(Some(status)) = servidor.0.try_wait() {
            // Junta o que ele disse na saída de erros, para a mensagem.
            thread::sleep(Duration::from_millis(100));
            let erros: Vec<String> = recebe
                .try_iter()
                .filter_map(|e| match e.tipo {
                    Tipo::Erro(l) | Tipo::Saida(l) => Some(l),
                    _ => None,
                })
                .collect();
            bail!("o servidor {nome} terminou antes de começar ({status}): {}", erros.join(" / "));
        }
        match recebe.recv_timeout(Duration::from_millis(50)) {
            Ok(evento) => {
                let porta = match &evento.tipo {
                    Tipo::Saida(l) => l
                        .strip_prefix("Servidor Echo escutando em ")
                        .and_then(|r| r.rsplit(':').next()?.parse().ok()),
                    _ => None,
                };
                eventos.push(evento);
                if let Some(porta) = porta {
                    return Ok(porta);
                }
            }
            Err(_) if Instant::now() > limite => {
                bail!("o servidor {nome} não imprimiu o banner em {} s", PRAZO_DO_BANNER.as_secs())
            }
            Err(_) => {}
        }
    }
}

/// A thread de um cliente: espera a hora de iniciar, inicia o processo,
/// "digita" cada linha na hora marcada e espera o processo terminar.
#[allow(clippy::too_many_arguments)]
fn rodar_cliente(
    numero: usize,
    caminho: &Path,
    args: &[String],
    roteiro: &PlanoCliente,
    inicio: Instant,
    base: Instant,
    eventos: &Sender<Evento>,
    parar: &AtomicBool,
) -> Result<()> {
    let origem = Origem::Cliente(numero);
    if !dormir_ate(inicio + roteiro.inicio, parar) {
        return Ok(());
    }
    let (mut filho, stdin, coletores) = iniciar(caminho, args, origem, base, eventos)?;
    let mut stdin = stdin;
    for (quando, linha) in &roteiro.linhas {
        if !dormir_ate(inicio + roteiro.inicio + *quando, parar) {
            break;
        }
        if let Some(entrada) = stdin.as_mut() {
            // Se o cliente já saiu (recusado, servidor caiu), a escrita falha.
            if entrada.write_all(format!("{linha}\n").as_bytes()).is_err() {
                stdin = None;
            }
        }
    }
    drop(stdin); // fim da entrada
    loop {
        match filho.0.try_wait() {
            Ok(Some(status)) => {
                // Todas as linhas do cliente chegam antes do seu fim.
                for coletor in coletores {
                    let _ = coletor.join();
                }
                let _ = eventos.send(Evento {
                    t: base.elapsed(),
                    origem,
                    tipo: Tipo::Terminou(status.code()),
                });
                return Ok(());
            }
            Ok(None) if parar.load(Ordering::SeqCst) => return Ok(()), // o Drop de `filho` o encerra
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e).context("esperar o cliente"),
        }
    }
}

/// Dorme até `quando`, acordando para conferir `parar`. Devolve `false` se
/// foi mandado parar.
fn dormir_ate(quando: Instant, parar: &AtomicBool) -> bool {
    loop {
        if parar.load(Ordering::SeqCst) {
            return false;
        }
        let agora = Instant::now();
        if agora >= quando {
            return true;
        }
        thread::sleep((quando - agora).min(Duration::from_millis(20)));
    }
}
