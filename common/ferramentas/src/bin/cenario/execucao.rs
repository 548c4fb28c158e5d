//! Executa um cenário: o servidor e os clientes como processos de verdade
//! (`ferramentas::processo`), cada cliente "digitando" o seu roteiro na
//! hora marcada; no fim, as linhas que cada processo escreveu.

use anyhow::{anyhow, bail, Result};
use ferramentas::processo::{Linha, Processo, Saida};
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
}

/// Executa o plano. `parar` é ligado pelo Ctrl-C; todo processo iniciado é
/// encerrado e esperado antes de esta função voltar, em qualquer caminho
/// (o `Drop` de `Processo`).
pub fn executar(plano: &Plano, parar: Arc<AtomicBool>) -> Result<Resultado> {
    let pasta = ferramentas::binarios::pasta()?;
    ferramentas::binarios::compilar(&pasta, &[&plano.servidor, "cliente"])?;
    let caminho_servidor = ferramentas::binarios::caminho(&pasta, &plano.servidor)?;
    let caminho_cliente = ferramentas::binarios::caminho(&pasta, "cliente")?;

    let inicio_servidor = SystemTime::now();
    let mut servidor = Processo::servidor(&caminho_servidor, &plano.args_servidor, Saida::Guardar)?;
    let porta = servidor.porta;

    let inicio = Instant::now();
    let clientes: Vec<JoinHandle<Result<Option<Executado>>>> = plano
        .clientes
        .iter()
        .map(|roteiro| {
            let roteiro = roteiro.clone();
            let caminho = caminho_cliente.clone();
            let parar = Arc::clone(&parar);
            thread::spawn(move || rodar_cliente(&caminho, porta, &roteiro, inicio, &parar))
        })
        .collect();

    let mut erro = None;
    let limite = inicio + PRAZO_DO_CENARIO;
    while clientes.iter().any(|c| !c.is_finished()) {
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
        if let Ok(Some(status)) = servidor.esperar_fim(Duration::from_millis(50)) {
            erro = Some(anyhow!(
                "o servidor {} terminou no meio do cenário ({status})",
                plano.servidor
            ));
            break;
        }
    }
    if erro.is_some() {
        parar.store(true, Ordering::Relaxed);
    } else {
        // Dá ao servidor um instante para registrar as últimas desconexões.
        servidor.esperar_silencio(SILENCIO_FINAL, ESPERA_FINAL_MAXIMA);
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
    let servidor =
        Executado { pid, linhas, inicio: inicio_servidor, fim: SystemTime::now(), codigo: None };
    Ok(Resultado { servidor, clientes: executados })
}

/// A thread de um cliente: espera a hora de iniciar, inicia o processo,
/// "digita" cada linha na hora marcada e espera o processo terminar.
/// `None` se mandaram parar antes de ele começar.
fn rodar_cliente(
    caminho: &Path,
    porta: u16,
    roteiro: &PlanoCliente,
    inicio: Instant,
    parar: &AtomicBool,
) -> Result<Option<Executado>> {
    if !dormir_ate(inicio + roteiro.inicio, parar) {
        return Ok(None);
    }
    let args: Vec<String> =
        ["--porta", &porta.to_string(), "--tempo"].iter().map(|a| a.to_string()).collect();
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
