//! Uma medida: um servidor iniciado do zero (porta 0, banner), o `carga`
//! contra ele, e o que o servidor gastou enquanto isso.

use anyhow::{Context, Result};
use ferramentas::carga::Relatorio;
use ferramentas::medidos::Medido;
use ferramentas::processo::{Processo, Saida};
use ferramentas::sistema::pilhas_do_kernel_kib as pilhas_do_kernel;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Uma carga: conexões ativas, mensagens sem resposta por conexão e
/// conexões paradas abertas ao mesmo tempo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Carga {
    pub clientes: u32,
    pub pipeline: u32,
    pub ociosos: u32,
}

/// Tempos de cada medida.
pub struct Tempos {
    pub duracao: f64,
    pub aquecimento: f64,
}

/// O resultado de uma medida.
#[derive(Debug, Clone, Default)]
pub struct Medida {
    pub carga: Relatorio,
    /// CPU do servidor durante a execução do carga, em segundos (Linux).
    pub cpu_servidor_s: Option<f64>,
    /// Segundos de relógio da execução do carga.
    pub relogio_s: f64,
    /// Pico de memória residente do servidor (VmHWM), em KiB (Linux).
    pub memoria_kib: Option<u64>,
    /// Espaço de endereços do servidor (VmSize) no pico de threads, em KiB.
    pub virtual_kib: Option<u64>,
    /// Maior número de threads do servidor durante a medição (Linux).
    pub threads: Option<u64>,
    /// Quanto as pilhas de kernel da máquina cresceram com o servidor
    /// cheio de conexões (KernelStack de /proc/meminfo), em KiB. A máquina
    /// inteira entra nessa conta: é uma estimativa.
    pub pilhas_do_kernel_kib: Option<i64>,
}

pub fn medir(pasta: &Path, medido: &Medido, carga: Carga, tempos: &Tempos) -> Result<Medida> {
    let programa = ferramentas::binarios::caminho(pasta, medido.binario)?;
    let mut args = medido.args(crate::opcoes(medido));
    args.extend(["--host".to_string(), "127.0.0.1".to_string()]);
    let servidor = Processo::servidor(&programa, &args, Saida::Descartar)?;
    let pilhas_antes = pilhas_do_kernel();
    let cpu_antes = servidor.cpu_s();
    let relogio = Instant::now();
    let mut gerador = Command::new(ferramentas::binarios::caminho(pasta, "carga")?)
        .args(["--host", "127.0.0.1", "--porta", &servidor.porta.to_string(), "--json"])
        .args(["--clientes", &carga.clientes.to_string()])
        .args(["--pipeline", &carga.pipeline.to_string()])
        .args(["--ociosos", &carga.ociosos.to_string()])
        .args(["--duracao", &tempos.duracao.to_string()])
        .args(["--aquecimento", &tempos.aquecimento.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("executar o carga")?;
    // Enquanto o carga roda: o maior número de threads do servidor e, nesse
    // instante, o espaço de endereços e as pilhas do kernel (depois que o
    // carga termina, as conexões fecham e as threads vão embora).
    let mut medida = Medida::default();
    while gerador.try_wait()?.is_none() {
        let threads = servidor.campo_de_status("Threads:");
        if threads > medida.threads {
            medida.threads = threads;
            medida.virtual_kib = servidor.campo_de_status("VmSize:");
            medida.pilhas_do_kernel_kib = pilhas_do_kernel().zip(pilhas_antes).map(|(d, a)| d - a);
        }
        thread::sleep(Duration::from_millis(50));
    }
    let saida = gerador.wait_with_output().context("esperar o carga")?;
    medida.relogio_s = relogio.elapsed().as_secs_f64();
    medida.cpu_servidor_s = cpu_antes.zip(servidor.cpu_s()).map(|(a, b)| b - a);
    medida.memoria_kib = servidor.campo_de_status("VmHWM:");
    let linha = String::from_utf8_lossy(&saida.stdout);
    medida.carga = serde_json::from_str(linha.trim())
        .with_context(|| format!("ler o resultado do carga: {:?}", linha.trim()))?;
    Ok(medida)
}
