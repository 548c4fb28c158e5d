//! O que o Linux conta para a máquina inteira, e não para um processo: as
//! pilhas de kernel das threads (`/proc/meminfo`), a memória dos buffers de
//! sockets TCP e as conexões em TIME-WAIT (`/proc/net/sockstat`), a faixa de
//! portas efêmeras. Outros processos entram nessas contas: uma diferença
//! medida aqui é uma estimativa. Fora do Linux, tudo devolve `None`.

/// `KernelStack` de /proc/meminfo, em KiB: as pilhas de kernel de todas as
/// threads da máquina (16 KiB cada no x86-64).
pub fn pilhas_do_kernel_kib() -> Option<i64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    info.lines().find(|l| l.starts_with("KernelStack:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// A linha `TCP:` de /proc/net/sockstat.
#[derive(Clone, Copy, Debug, Default)]
pub struct SocketsTcp {
    /// Sockets TCP em uso (os dois lados de cada conexão local contam).
    pub em_uso: i64,
    /// Conexões em TIME-WAIT.
    pub time_wait: i64,
    /// Memória dos buffers de todos os sockets TCP, em páginas.
    pub paginas: i64,
}

pub fn sockets_tcp() -> Option<SocketsTcp> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let texto = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let linha = texto.lines().find(|l| l.starts_with("TCP:"))?;
    let campos: Vec<&str> = linha.split_whitespace().collect();
    let campo = |nome: &str| -> Option<i64> {
        let i = campos.iter().position(|c| *c == nome)?;
        campos.get(i + 1)?.parse().ok()
    };
    Some(SocketsTcp { em_uso: campo("inuse")?, time_wait: campo("tw")?, paginas: campo("mem")? })
}

/// Tamanho de uma página de memória, em KiB (4 no x86-64).
pub fn pagina_kib() -> i64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf só consulta uma constante do sistema.
        let bytes = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if bytes > 0 {
            return bytes as i64 / 1024;
        }
    }
    4
}

/// Um número de /proc/sys (ex.: `net/ipv4/tcp_tw_reuse`).
pub fn sysctl(caminho: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    Some(std::fs::read_to_string(format!("/proc/sys/{caminho}")).ok()?.trim().to_string())
}

/// A faixa de portas efêmeras (`net/ipv4/ip_local_port_range`): de onde o
/// kernel tira a porta local de cada `connect()`.
pub fn portas_efemeras() -> Option<(u32, u32)> {
    let texto = sysctl("net/ipv4/ip_local_port_range")?;
    let mut partes = texto.split_whitespace().map(|p| p.parse().ok());
    Some((partes.next()??, partes.next()??))
}
