//! O comando do aluno, rodando pelo shell: iniciá-lo com a saída
//! capturada, saber se ainda roda e encerrá-lo com todos os descendentes.
//!
//! `sh -c CMD` no Unix e `cmd /S /C CMD` no Windows, como o aluno digitaria.
//! No Unix o shell começa num grupo de processos só dele (pgid = pid do
//! shell), e os sinais vão ao grupo: alcançam o `python` que o shell
//! iniciou. No Windows, `taskkill /T` encerra a árvore. Nunca se encerra um
//! processo que não foi iniciado aqui.

use anyhow::{anyhow, Result};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Quanto o servidor tem para sair depois do SIGTERM, antes do SIGKILL.
#[cfg(unix)]
const GRACA: Duration = Duration::from_secs(2);
/// Quanto da saída do servidor é guardado (o fim dela), por execução.
const SAIDA_GUARDADA: usize = 64 * 1024;

/// Um servidor iniciado pelo `verificar`.
pub struct Iniciado {
    pub filho: Child,
    saida: Arc<Mutex<Guardada>>,
    pub leitora: Option<thread::JoinHandle<()>>,
}

/// O fim da saída do servidor, e quanto ele já escreveu ao todo.
#[derive(Default)]
struct Guardada {
    bytes: Vec<u8>,
    /// Bytes escritos desde o início: marca posições que já saíram de `bytes`.
    total: usize,
}

impl Iniciado {
    /// O fim da saída guardada, como texto (a leitora tem até 1 s para
    /// entregar o que ainda estava no pipe).
    pub fn texto_da_saida(&self) -> String {
        if let Some(leitora) = &self.leitora {
            let limite = Instant::now() + Duration::from_secs(1);
            while !leitora.is_finished() && Instant::now() < limite {
                thread::sleep(Duration::from_millis(10));
            }
        }
        self.texto_desde(0)
    }

    /// Quanto o servidor escreveu até agora (para [`Iniciado::texto_desde`]).
    pub fn marca(&self) -> usize {
        self.saida.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// O que o servidor escreveu depois da `marca` (o que ainda está guardado).
    pub fn texto_desde(&self, marca: usize) -> String {
        let guardada = self.saida.lock().unwrap_or_else(|e| e.into_inner());
        let inicio_guardado = guardada.total - guardada.bytes.len();
        let de = marca.saturating_sub(inicio_guardado).min(guardada.bytes.len());
        String::from_utf8_lossy(&guardada.bytes[de..]).into_owned()
    }
}

/// Inicia `comando` pelo shell, com a saída padrão e a de erros num pipe só,
/// lido por uma thread que guarda o fim.
pub fn iniciar_pelo_shell(comando: &str) -> Result<Iniciado> {
    let (mut leitor, escritor) =
        std::io::pipe().map_err(|e| anyhow!("criar o pipe da saída: {e}"))?;
    let mut shell = comando_do_shell(comando);
    shell
        // O Python guarda a saída num buffer quando ela é um pipe: sem isto,
        // o que o servidor escreveu antes de cair se perderia com ele.
        .env("PYTHONUNBUFFERED", "1")
        // No Windows, a saída do Python num pipe usaria a página de código
        // (cp1252), e imprimir um emoji recebido derrubaria o servidor: no
        // console, o mesmo servidor funciona.
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .stdout(escritor.try_clone().map_err(|e| anyhow!("duplicar o pipe: {e}"))?)
        .stderr(escritor);
    let filho = shell.spawn().map_err(|e| {
        anyhow!("iniciar o shell para {comando:?}: {}", common::erros::descrever(&e))
    })?;
    // As pontas de escrita ficaram no `Command`: soltá-las deixa a leitura
    // ver o fim quando o servidor (e os seus filhos) terminar.
    drop(shell);
    let saida = Arc::new(Mutex::new(Guardada::default()));
    let destino = Arc::clone(&saida);
    let leitora = thread::Builder::new()
        .name("saída do servidor".into())
        .spawn(move || {
            let mut bloco = [0u8; 8192];
            while let Ok(n @ 1..) = leitor.read(&mut bloco) {
                let mut guardada = destino.lock().unwrap_or_else(|e| e.into_inner());
                guardada.bytes.extend_from_slice(&bloco[..n]);
                guardada.total += n;
                if guardada.bytes.len() > SAIDA_GUARDADA {
                    let excesso = guardada.bytes.len() - SAIDA_GUARDADA;
                    guardada.bytes.drain(..excesso);
                }
            }
        })
        .map_err(|e| anyhow!("criar a thread que lê a saída: {e}"))?;
    Ok(Iniciado { filho, saida, leitora: Some(leitora) })
}

#[cfg(unix)]
fn comando_do_shell(comando: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut shell = Command::new("sh");
    // Grupo próprio (pgid = pid do shell): o sinal alcança os netos.
    shell.arg("-c").arg(comando).process_group(0);
    shell
}

#[cfg(windows)]
fn comando_do_shell(comando: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut shell = Command::new("cmd");
    // Com /S, o cmd tira só as aspas de fora e passa o resto como veio (o
    // `arg` da biblioteca padrão escaparia as aspas do comando do aluno).
    shell.raw_arg(format!("/S /C \"{comando}\""));
    shell
}

/// O processo ainda roda? No Unix, olha sem colher (`WNOWAIT`): enquanto o
/// líder não é colhido, o número do grupo não pode ser reusado, e o sinal ao
/// grupo continua seguro.
#[cfg(unix)]
pub fn processo_vivo(filho: &mut Child) -> bool {
    // SAFETY: `info` é uma struct local zerada; waitid só escreve nela.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let opcoes = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        let r = libc::waitid(libc::P_PID, filho.id() as libc::id_t, &mut info, opcoes);
        r == 0 && info.si_signo == 0
    }
}

#[cfg(windows)]
pub fn processo_vivo(filho: &mut Child) -> bool {
    // O `Child` guarda o handle do processo: o pid não é reusado enquanto ele existir.
    matches!(filho.try_wait(), Ok(None))
}

/// Pede ao servidor (o grupo inteiro) que termine; passada a graça, força.
#[cfg(unix)]
pub fn parar(filho: &mut Child) {
    let grupo = filho.id() as libc::pid_t;
    // SAFETY: kill só envia um sinal; o grupo é o que criamos para o shell.
    unsafe { libc::kill(-grupo, libc::SIGTERM) };
    let limite = Instant::now() + GRACA;
    while processo_vivo(filho) && Instant::now() < limite {
        thread::sleep(Duration::from_millis(10));
    }
    matar_arvore(filho.id());
}

#[cfg(windows)]
pub fn parar(filho: &mut Child) {
    // No Windows não há um "pedido" que um programa de console sem janela
    // atenda de forma confiável: encerra a árvore direto.
    matar_arvore(filho.id());
    let _ = filho.kill();
}

/// Encerra à força o processo `pid` e os seus descendentes.
#[cfg(unix)]
pub fn matar_arvore(pid: u32) {
    // SAFETY: kill só envia um sinal, ao grupo que criamos (pgid = pid).
    unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
}

#[cfg(windows)]
pub fn matar_arvore(pid: u32) {
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
