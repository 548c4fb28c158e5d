//! O Job Object que guarda a árvore de processos do servidor iniciado, no
//! Windows (ver [`super::shell`]): todo processo que o `cmd` criar entra
//! no job; encerrar o job encerra todos, e o job fecha com o `verificar`.

use anyhow::{anyhow, Result};
use std::os::windows::io::AsRawHandle;
use std::process::Child;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Threading::{OpenThread, ResumeThread, THREAD_SUSPEND_RESUME};

/// Um Job Object; fechá-lo (o `Drop`, ou o fim do `verificar`) encerra
/// todos os processos dele.
pub struct Job(HANDLE);

// SAFETY: um HANDLE de job pode ser usado de qualquer thread.
unsafe impl Send for Job {}

impl Job {
    pub fn encerrar(&self) {
        // SAFETY: o handle é nosso e está aberto até o Drop.
        unsafe { TerminateJobObject(self.0, 1) };
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: o handle é nosso e é fechado uma vez só.
        unsafe { CloseHandle(self.0) };
    }
}

/// Põe o shell (criado suspenso) num job novo e o deixa rodar. Se algo
/// falhar, o shell é encerrado antes de qualquer processo dele existir.
pub fn por_no_job(mut filho: Child) -> Result<(Child, Job)> {
    match criar_e_incluir(&filho).and_then(|job| retomar(filho.id()).map(|()| job)) {
        Ok(job) => Ok((filho, job)),
        Err(e) => {
            let _ = filho.kill();
            let _ = filho.wait();
            Err(e)
        }
    }
}

fn criar_e_incluir(filho: &Child) -> Result<Job> {
    let erro = |chamada: &str| anyhow!("{chamada}: {}", std::io::Error::last_os_error());
    // SAFETY: argumentos nulos pedem um job anônimo com a segurança padrão.
    let job = Job(unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) });
    if job.0.is_null() {
        return Err(erro("CreateJobObject"));
    }
    // SAFETY: a struct é POD; zerada, só o campo de limites é usado.
    let mut limites: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    limites.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    let tamanho = std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32;
    // SAFETY: ponteiro e tamanho da struct local acima.
    let ok = unsafe {
        SetInformationJobObject(
            job.0,
            JobObjectExtendedLimitInformation,
            (&limites as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
            tamanho,
        )
    };
    if ok == 0 {
        return Err(erro("SetInformationJobObject"));
    }
    // SAFETY: o handle do processo pertence ao `Child`, vivo aqui.
    if unsafe { AssignProcessToJobObject(job.0, filho.as_raw_handle() as HANDLE) } == 0 {
        return Err(erro("AssignProcessToJobObject"));
    }
    Ok(job)
}

/// Retoma as threads do processo `pid` (criado suspenso). A biblioteca
/// padrão não devolve o handle da thread principal: ela é achada numa
/// fotografia das threads do sistema.
fn retomar(pid: u32) -> Result<()> {
    // SAFETY: chamadas da ToolHelp com uma struct local de tamanho
    // informado; cada handle aberto aqui é fechado aqui.
    unsafe {
        let foto = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
        if foto == INVALID_HANDLE_VALUE {
            return Err(anyhow!("CreateToolhelp32Snapshot: {}", std::io::Error::last_os_error()));
        }
        let mut entrada: THREADENTRY32 = std::mem::zeroed();
        entrada.dwSize = std::mem::size_of::<THREADENTRY32>() as u32;
        let mut retomadas = 0;
        let mut tem = Thread32First(foto, &mut entrada);
        while tem != 0 {
            if entrada.th32OwnerProcessID == pid {
                let thread = OpenThread(THREAD_SUSPEND_RESUME, 0, entrada.th32ThreadID);
                if !thread.is_null() {
                    if ResumeThread(thread) != u32::MAX {
                        retomadas += 1;
                    }
                    CloseHandle(thread);
                }
            }
            tem = Thread32Next(foto, &mut entrada);
        }
        CloseHandle(foto);
        if retomadas == 0 {
            return Err(anyhow!("o shell foi criado suspenso e não pôde ser retomado"));
        }
    }
    Ok(())
}
