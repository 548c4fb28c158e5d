//! O comando do aluno, rodando pelo shell: iniciá-lo com a saída
//! capturada, saber se ainda roda e encerrá-lo com todos os descendentes.
//!
//! `sh -c CMD` no Unix e `cmd /S /C CMD` no Windows, como o aluno digitaria.
//! Quem escuta a porta costuma ser um neto (o `python` que o shell iniciou):
//! encerrar só o shell deixaria o servidor vivo, dono da porta. No Unix o
//! shell começa num grupo de processos só dele (pgid = pid do shell), e os
//! sinais vão ao grupo. No Windows ele começa suspenso, entra num Job Object
//! (todo processo que ele criar entra junto) e só então roda; encerrar o job
//! encerra a árvore, e o job fecha com o `verificar`, se ele morrer antes.
//! Nunca se encerra um processo que não foi iniciado aqui.

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
    filho: Child,
    saida: Arc<Mutex<Guardada>>,
    /// A thread que lê a saída; termina quando o último processo da árvore
    /// fecha o pipe.
    leitora: Option<thread::JoinHandle<()>>,
    /// O Job Object da árvore (Windows).
    #[cfg(windows)]
    job: super::job::Job,
}

/// O fim da saída do servidor, e quanto ele já escreveu ao todo.
#[derive(Default)]
struct Guardada {
    bytes: Vec<u8>,
    /// Bytes escritos desde o início: marca posições que já saíram de `bytes`.
    total: usize,
}

impl Iniciado {
    /// O pid do shell (no Unix, também o número do grupo).
    pub fn pid(&self) -> u32 {
        self.filho.id()
    }

    /// O fim da saída guardada, como texto (a leitora tem até 1 s para
    /// entregar o que ainda estava no pipe).
    pub fn texto_da_saida(&self) -> String {
        self.esperar_leitora(Duration::from_secs(1));
        self.texto_desde(0)
    }

    fn esperar_leitora(&self, prazo: Duration) {
        if let Some(leitora) = &self.leitora {
            let limite = Instant::now() + prazo;
            while !leitora.is_finished() && Instant::now() < limite {
                thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Encerra a árvore à força e espera o shell; devolve como ele saiu.
    pub fn matar(&mut self) -> String {
        self.matar_arvore();
        let como = match self.filho.wait() {
            Ok(status) => match status.code() {
                // O `sh` que não deu lugar ao programa (exec) informa a morte
                // dele por um sinal N como o código 128 + N.
                Some(codigo @ 129..=192) if cfg!(unix) => {
                    format!("terminou com código {codigo}: morto pelo sinal {}", codigo - 128)
                }
                Some(codigo) => format!("terminou com código {codigo}"),
                None => sinal(&status),
            },
            Err(e) => format!("terminou ({})", common::erros::descrever(&e)),
        };
        self.soltar_leitora();
        como
    }

    /// A leitora termina quando a árvore inteira morreu; se um processo que
    /// escapou da árvore ainda segurar o pipe, ela fica para trás, solta,
    /// em vez de travar o `verificar`.
    fn soltar_leitora(&mut self) {
        self.esperar_leitora(Duration::from_secs(2));
        if let Some(leitora) = self.leitora.take() {
            if leitora.is_finished() {
                let _ = leitora.join();
            }
        }
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

/// Inicia `comando` pelo shell (na `pasta`, se dada), com a saída padrão e
/// a de erros num pipe só, lido por uma thread que guarda o fim. A entrada
/// padrão fica vazia: o servidor não tem teclado (um `input()` recebe o fim
/// da entrada na hora, em vez de esperar para sempre).
pub fn iniciar_pelo_shell(comando: &str, pasta: Option<&std::path::Path>) -> Result<Iniciado> {
    let (mut leitor, escritor) =
        std::io::pipe().map_err(|e| anyhow!("criar o pipe da saída: {e}"))?;
    let mut shell = comando_do_shell(comando);
    if let Some(pasta) = pasta {
        shell.current_dir(pasta);
    }
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
    #[cfg(windows)]
    let (filho, job) = super::job::por_no_job(filho)?;
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
    Ok(Iniciado {
        filho,
        saida,
        leitora: Some(leitora),
        #[cfg(windows)]
        job,
    })
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
    const CREATE_SUSPENDED: u32 = 0x4;
    let mut shell = Command::new("cmd");
    // Com /S, o cmd tira só as aspas de fora e passa o resto como veio (o
    // `arg` da biblioteca padrão escaparia as aspas do comando do aluno).
    // Suspenso: ele só roda depois de entrar no job (ver `por_no_job`).
    shell.raw_arg(format!("/S /C \"{comando}\"")).creation_flags(CREATE_SUSPENDED);
    shell
}

#[cfg(unix)]
impl Iniciado {
    /// O shell ainda roda? Olha sem colher (`WNOWAIT`): enquanto o líder
    /// não é colhido, o número do grupo não pode ser reusado, e o sinal ao
    /// grupo continua seguro.
    pub fn vivo(&mut self) -> bool {
        // SAFETY: `info` é uma struct local zerada; waitid só escreve nela.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let opcoes = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
            let r = libc::waitid(libc::P_PID, self.filho.id() as libc::id_t, &mut info, opcoes);
            r == 0 && info.si_signo == 0
        }
    }

    /// Pede ao grupo inteiro que termine (SIGTERM); passada a graça, força.
    pub fn parar(&mut self) {
        matar_grupo(self.filho.id(), libc::SIGTERM);
        let limite = Instant::now() + GRACA;
        while self.vivo() && Instant::now() < limite {
            thread::sleep(Duration::from_millis(10));
        }
        self.matar();
    }

    fn matar_arvore(&mut self) {
        matar_grupo(self.filho.id(), libc::SIGKILL);
    }
}

/// Um processo que terminou sem código de saída (Unix: morto por um sinal,
/// como o SIGSEGV de um servidor em C).
fn sinal(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(sinal) = std::os::unix::process::ExitStatusExt::signal(status) {
        return format!("terminou pelo sinal {sinal}");
    }
    let _ = status;
    "terminou sem código de saída".to_string()
}

/// Envia `sinal` ao grupo `pid` (o que criamos para o shell).
#[cfg(unix)]
fn matar_grupo(pid: u32, sinal: libc::c_int) {
    // SAFETY: kill só envia um sinal, ao grupo que criamos (pgid = pid).
    unsafe { libc::kill(-(pid as libc::pid_t), sinal) };
}

/// Para o tratador de Ctrl-C: encerra à força a árvore do shell `pid`. No
/// Windows não há o que fazer aqui: o job fecha com o `verificar` e leva a
/// árvore junto.
pub fn matar_na_saida(pid: u32) {
    #[cfg(unix)]
    matar_grupo(pid, libc::SIGKILL);
    #[cfg(windows)]
    let _ = pid;
}

#[cfg(windows)]
impl Iniciado {
    pub fn vivo(&mut self) -> bool {
        // O `Child` guarda o handle: o pid não é reusado enquanto ele existir.
        matches!(self.filho.try_wait(), Ok(None))
    }

    /// No Windows um programa de console sem janela não tem um "pedido para
    /// terminar" que atenda de forma confiável: encerra a árvore direto.
    pub fn parar(&mut self) {
        self.matar();
    }

    fn matar_arvore(&mut self) {
        self.job.encerrar();
        let _ = self.filho.kill();
    }
}
