//! Executa um cenário: o servidor e os clientes como processos de verdade
//! (`ferramentas::processo`), cada cliente "digitando" o seu roteiro na
//! hora marcada; no fim, as linhas que cada processo escreveu.

use crate::processo::{Linha, Processo, Saida};
use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// Limite para o cenário inteiro; passado isso, tudo é encerrado. Cobre as
/// retransmissões de SYN do experimento da fila (no Linux ≥ 6.5, a cada 1 s
/// nas primeiras tentativas; antes, 1 s, 3 s, 7 s, 15 s...).
const PRAZO_DO_CENARIO: Duration = Duration::from_secs(90);
/// Depois que o último cliente sai, quanto silêncio do servidor indica que
/// ele terminou de registrar as desconexões.
const SILENCIO_FINAL: Duration = Duration::from_millis(400);
const ESPERA_FINAL_MAXIMA: Duration = Duration::from_secs(3);

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
    /// Uma conexão de teste, aberta pelo próprio cenário nesse instante, que
    /// envia meia linha e fecha: um cliente que morre no meio de uma mensagem.
    pub meia_linha: Option<Duration>,
    /// Quando enviar Ctrl-C (SIGINT) ao servidor.
    pub ctrl_c: Option<Duration>,
    /// Quando fotografar os sockets da porta do servidor com `ss` (Linux).
    pub fotos: Vec<Foto>,
    /// Opções a mais para cada cliente (além de `--porta` e `--tempo`).
    pub args_cliente: Vec<String>,
}

/// Um instante para a fotografia dos sockets.
#[derive(Clone, Copy, Debug)]
pub enum Foto {
    /// Tantos segundos depois do início.
    Em(Duration),
    /// Depois que todos os clientes saíram, antes de o servidor ser encerrado.
    Fim,
}

/// O que um processo deixou: as linhas e quando começou e terminou.
#[derive(Clone, Debug)]
pub struct Executado {
    pub pid: u32,
    pub linhas: Vec<Linha>,
    pub inicio: SystemTime,
    pub fim: SystemTime,
    /// Código de saída, se terminou sozinho.
    pub codigo: Option<i32>,
}

pub struct Resultado {
    pub servidor: Executado,
    pub clientes: Vec<Executado>,
    /// O que o próprio cenário fez (o Ctrl-C, a conexão de teste), com a hora,
    /// no mesmo formato das linhas dos processos.
    pub notas: Vec<Linha>,
    /// (quando, o que o `ss` mostrou).
    pub fotos: Vec<(Foto, String)>,
}

/// Executa o plano. `parar` é ligado pelo Ctrl-C; todo processo iniciado é
/// encerrado e esperado antes de esta função voltar, em qualquer caminho
/// (o `Drop` de `Processo`).
pub fn executar(plano: &Plano, parar: Arc<AtomicBool>) -> Result<Resultado> {
    let pasta = crate::binarios::pasta()?;
    crate::binarios::compilar(&pasta, &[&plano.servidor, "cliente"])?;
    let caminho_servidor = crate::binarios::caminho(&pasta, &plano.servidor)?;
    let caminho_cliente = crate::binarios::caminho(&pasta, "cliente")?;

    let inicio_servidor = SystemTime::now();
    let mut servidor = Processo::servidor(&caminho_servidor, &plano.args_servidor, Saida::Guardar)?;
    let porta = servidor.porta;

    let inicio = Instant::now();
    let notas = Notas::default();
    let cru = plano.meia_linha.map(|quando| {
        let (parar, notas) = (Arc::clone(&parar), notas.clone());
        thread::spawn(move || meia_linha(porta, inicio + quando, &parar, &notas))
    });
    let fotos_no_meio: Vec<JoinHandle<(Foto, String)>> = plano
        .fotos
        .iter()
        .filter_map(|f| match f {
            Foto::Em(quando) => {
                let (quando, parar) = (*quando, Arc::clone(&parar));
                Some(thread::spawn(move || {
                    dormir_ate(inicio + quando, &parar);
                    (Foto::Em(quando), fotografar(porta))
                }))
            }
            Foto::Fim => None,
        })
        .collect();
    let clientes: Vec<JoinHandle<Result<Option<Executado>>>> = plano
        .clientes
        .iter()
        .map(|roteiro| {
            let roteiro = roteiro.clone();
            let caminho = caminho_cliente.clone();
            let (parar, extras) = (Arc::clone(&parar), plano.args_cliente.clone());
            thread::spawn(move || rodar_cliente(&caminho, porta, &extras, &roteiro, inicio, &parar))
        })
        .collect();

    let mut erro = None;
    let limite = inicio + PRAZO_DO_CENARIO;
    let mut ctrl_c = plano.ctrl_c;
    let mut codigo_do_servidor = None;
    while clientes.iter().any(|c| !c.is_finished()) {
        if let Some(quando) = ctrl_c.filter(|q| inicio.elapsed() >= *q) {
            ctrl_c = None;
            notas.anotar(format!(
                "Ctrl-C no servidor (SIGINT), {} s depois do início",
                format!("{:.1}", quando.as_secs_f64()).replace('.', ",")
            ));
            if let Err(e) = interromper(&servidor) {
                erro = Some(e);
                break;
            }
            // Daqui em diante o servidor sai sozinho: não é erro.
            codigo_do_servidor = Some(None);
        }
        if parar.load(Ordering::Relaxed) {
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
        if codigo_do_servidor.is_some() {
            if let Ok(Some(status)) = servidor.esperar_fim(Duration::from_millis(50)) {
                codigo_do_servidor = Some(status.code());
            }
        } else if let Ok(Some(status)) = servidor.esperar_fim(Duration::from_millis(50)) {
            erro = Some(anyhow!(
                "o servidor {} terminou no meio do cenário ({status})",
                plano.servidor
            ));
            break;
        }
    }
    if erro.is_some() {
        parar.store(true, Ordering::Relaxed);
    } else if codigo_do_servidor == Some(None) {
        // Depois do Ctrl-C, o servidor termina sozinho: espera (com prazo).
        if let Ok(Some(status)) = servidor.esperar_fim(PRAZO_DO_DESLIGAMENTO) {
            codigo_do_servidor = Some(status.code());
        }
    } else if codigo_do_servidor.is_none() {
        // Dá ao servidor um instante para registrar as últimas desconexões.
        servidor.esperar_silencio(SILENCIO_FINAL, ESPERA_FINAL_MAXIMA);
    }
    if let Some(cru) = cru {
        let _ = cru.join();
    }
    let mut fotos: Vec<(Foto, String)> =
        fotos_no_meio.into_iter().filter_map(|t| t.join().ok()).collect();
    if plano.fotos.iter().any(|f| matches!(f, Foto::Fim)) && erro.is_none() {
        fotos.push((Foto::Fim, fotografar(porta)));
    }
    let mut executados = Vec::new();
    for cliente in clientes {
        match cliente.join() {
            Ok(Ok(Some(executado))) => executados.push(executado),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                erro.get_or_insert(e);
            }
            Err(_) => {
                erro.get_or_insert(anyhow!("a thread de um cliente entrou em pânico"));
            }
        }
    }
    if let Some(e) = erro {
        return Err(e);
    }
    let linhas = servidor.linhas();
    let pid = servidor.pid();
    servidor.matar();
    let servidor = Executado {
        pid,
        linhas,
        inicio: inicio_servidor,
        fim: SystemTime::now(),
        codigo: codigo_do_servidor.flatten(),
    };
    Ok(Resultado { servidor, clientes: executados, notas: notas.linhas(), fotos })
}

/// Quanto esperar o servidor terminar depois do Ctrl-C.
const PRAZO_DO_DESLIGAMENTO: Duration = Duration::from_secs(15);

/// Envia Ctrl-C (SIGINT) ao servidor, como o terminal faria.
#[cfg(unix)]
fn interromper(servidor: &Processo) -> Result<()> {
    servidor.sinal("INT")
}

#[cfg(not(unix))]
fn interromper(_servidor: &Processo) -> Result<()> {
    bail!(
        "--ctrl-c só funciona no Linux e no macOS: no Windows, um programa não consegue mandar \
         Ctrl-C a outro sem dividir o console com ele (pressione Ctrl-C você mesmo no terminal do servidor)"
    )
}

/// Os sockets TCP da porta do servidor, pelo `ss` (Linux): o de escuta,
/// com a fila (Recv-Q) e o backlog (Send-Q), e cada conexão dos dois lados.
fn fotografar(porta: u16) -> String {
    let filtro = format!("( sport = :{porta} or dport = :{porta} )");
    match std::process::Command::new("ss").args(["-tan", &filtro]).output() {
        Ok(saida) if saida.status.success() => String::from_utf8_lossy(&saida.stdout).into_owned(),
        _ => "(ss não está disponível nesta máquina: ele é do Linux, pacote iproute2)\n".into(),
    }
}

/// As linhas que o próprio cenário escreve na transcrição.
#[derive(Clone, Default)]
struct Notas(Arc<std::sync::Mutex<Vec<Linha>>>);

impl Notas {
    /// Uma linha com a hora de agora, no formato dos processos.
    fn anotar(&self, texto: String) {
        let agora = SystemTime::now();
        let hora = chrono::DateTime::<chrono::Local>::from(agora).format("[%H:%M:%S%.3f]");
        let linha = Linha { texto: format!("{hora} {texto}"), chegada: agora };
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(linha);
    }

    fn linhas(&self) -> Vec<Linha> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A conexão de teste: conecta, envia meia linha, espera um pouco e fecha, como
/// um cliente que morre no meio de uma mensagem (o kernel fecha os sockets
/// de um processo que morre).
fn meia_linha(porta: u16, quando: Instant, parar: &AtomicBool, notas: &Notas) {
    use std::io::Write;
    if !dormir_ate(quando, parar) {
        return;
    }
    match std::net::TcpStream::connect(("127.0.0.1", porta)) {
        Ok(mut socket) => {
            notas.anotar(format!("conexão de teste: conectou a 127.0.0.1:{porta}"));
            let _ = socket.write_all(MEIA_LINHA.as_bytes());
            notas.anotar(format!("conexão de teste: enviou {MEIA_LINHA:?} sem o \\n"));
            thread::sleep(Duration::from_millis(300));
            drop(socket);
            notas.anotar(
                "conexão de teste: fechou no meio da linha (como um cliente que morre)".into(),
            );
        }
        Err(e) => notas
            .anotar(format!("conexão de teste: não conectou: {}", common::erros::descrever(&e))),
    }
}

/// O que a conexão de teste envia, sem `\n`.
const MEIA_LINHA: &str = "mensagem sem fim";

/// A thread de um cliente: espera a hora de iniciar, inicia o processo,
/// "digita" cada linha na hora marcada e espera o processo terminar.
/// `None` se mandaram parar antes de ele começar.
fn rodar_cliente(
    caminho: &Path,
    porta: u16,
    extras: &[String],
    roteiro: &PlanoCliente,
    inicio: Instant,
    parar: &AtomicBool,
) -> Result<Option<Executado>> {
    if !dormir_ate(inicio + roteiro.inicio, parar) {
        return Ok(None);
    }
    let mut args: Vec<String> =
        ["--porta", &porta.to_string(), "--tempo"].iter().map(|a| a.to_string()).collect();
    args.extend_from_slice(extras);
    let comeco = SystemTime::now();
    let mut cliente = Processo::iniciar(&PathBuf::from(caminho), &args, Saida::Guardar)?;
    for (quando, linha) in &roteiro.linhas {
        if !dormir_ate(inicio + roteiro.inicio + *quando, parar) {
            break;
        }
        // Se o cliente já saiu (recusado, servidor caiu), a escrita falha.
        cliente.escrever(linha);
    }
    cliente.fechar_entrada();
    let limite = inicio + PRAZO_DO_CENARIO;
    loop {
        if let Some(status) = cliente.esperar_fim(Duration::from_millis(50))? {
            return Ok(Some(Executado {
                pid: cliente.pid(),
                linhas: cliente.linhas(),
                inicio: comeco,
                fim: SystemTime::now(),
                codigo: status.code(),
            }));
        }
        if parar.load(Ordering::Relaxed) || Instant::now() > limite {
            bail!("o cliente {} não terminou", cliente.pid()); // o `Drop` o encerra
        }
    }
}

/// Dorme até `quando`, acordando para conferir `parar`. Devolve `false` se
/// foi mandado parar.
fn dormir_ate(quando: Instant, parar: &AtomicBool) -> bool {
    loop {
        if parar.load(Ordering::Relaxed) {
            return false;
        }
        let agora = Instant::now();
        if agora >= quando {
            return true;
        }
        thread::sleep((quando - agora).min(Duration::from_millis(20)));
    }
}
