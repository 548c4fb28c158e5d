//! O que o `/proc` do Linux diz de um processo: o tempo de CPU
//! (`/proc/<pid>/stat`) e os campos de `/proc/<pid>/status` (memória,
//! threads). Um lugar só para ler esses arquivos: o servidor medido pela
//! `bancada` ([`crate::processo::Processo::cpu_s`]) e o próprio `carga`
//! ([`cpu_do_processo`]) contam a CPU do mesmo jeito.
//!
//! Fora do Linux, tudo devolve `None`: sob o Wine, `/proc/<pid>` é o `/proc`
//! do Linux hospedeiro, e o pid do Windows seria o de outro processo
//! qualquer.

/// Tempo de CPU (usuário + sistema) do processo `pid`, em segundos.
pub fn cpu_s(pid: u32) -> Option<f64> {
    cpu_em(&format!("/proc/{pid}/stat"))
}

/// Tempo de CPU (usuário + sistema) deste processo, em segundos.
pub fn cpu_do_processo() -> Option<f64> {
    cpu_em("/proc/self/stat")
}

fn cpu_em(caminho: &str) -> Option<f64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let stat = std::fs::read_to_string(caminho).ok()?;
    cpu_do_stat(&stat)
}

/// Os campos 14 (`utime`) e 15 (`stime`) de uma linha de `/proc/<pid>/stat`,
/// em segundos. O nome do programa (campo 2, entre parênteses) pode ter
/// espaços e parênteses: os campos são contados depois do último `)`.
fn cpu_do_stat(stat: &str) -> Option<f64> {
    let campos: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = campos.get(11)?.parse::<f64>().ok()? + campos.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ é 100 nas arquiteturas Linux comuns
}

/// Um campo numérico de `/proc/<pid>/status` (ex.: `VmHWM:` em KiB,
/// `Threads:`).
pub fn campo_de_status(pid: u32, campo: &str) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(campo))?.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn cpu_conta_os_campos_depois_do_nome_do_programa() {
        // utime = 250 e stime = 50 ticks; o nome tem espaço e parênteses.
        let stat = "4242 (um (nome) estranho) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0";
        assert_eq!(cpu_do_stat(stat), Some(3.0));
        assert_eq!(cpu_do_stat("4242 (curto) S 1"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn este_processo_tem_cpu_e_threads() {
        assert!(cpu_do_processo().is_some_and(|s| s >= 0.0));
        let threads = campo_de_status(std::process::id(), "Threads:");
        assert!(threads.is_some_and(|n| n >= 1), "{threads:?}");
    }
}
