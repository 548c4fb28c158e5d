//! O limite de arquivos abertos de um processo (`ulimit -n`). Cada conexão
//! TCP ocupa um descritor de arquivo em cada ponta: o gerador de carga com
//! 10.000 conexões precisa de 10.000 descritores, e o servidor também. Muitas
//! distribuições começam com 1.024. No Windows não há esse limite para
//! sockets: as funções daqui não fazem nada lá.

use anyhow::{bail, Result};

/// Folga para o que não é conexão: entrada e saída padrão, o epoll, pipes,
/// arquivos de `/proc` abertos de passagem.
pub const FOLGA: u64 = 64;

/// Sobe o limite deste processo até `desejado` e devolve o limite que ficou.
/// Os processos que ele iniciar depois herdam o limite novo.
///
/// O limite "soft" sobe sozinho até o "hard"; o "hard" só sobe com
/// privilégio (root ou CAP_SYS_RESOURCE). Sem ele, a tentativa falha e nada
/// muda.
pub fn subir(desejado: u64) -> u64 {
    #[cfg(unix)]
    {
        use rlimit::Resource;
        if let Ok((soft, hard)) = Resource::NOFILE.get() {
            if hard < desejado {
                let _ = Resource::NOFILE.set(soft, desejado);
            }
        }
    }
    rlimit::increase_nofile_limit(desejado).unwrap_or_else(|_| atual())
}

/// O limite em vigor ("soft"); `u64::MAX` onde ele não existe (Windows).
pub fn atual() -> u64 {
    #[cfg(unix)]
    {
        rlimit::Resource::NOFILE.get().map(|(soft, _)| soft).unwrap_or(0)
    }
    #[cfg(not(unix))]
    {
        u64::MAX
    }
}

/// Sobe o limite até `conexoes` + [`FOLGA`]; se não der, um erro em
/// português que diz o que fazer. `quem` completa a frase ("o carga com
/// 10.010 conexões").
pub fn exigir(conexoes: u64, quem: &str) -> Result<()> {
    let precisa = conexoes + FOLGA;
    let limite = subir(precisa);
    if limite < precisa {
        bail!(
            "o limite de arquivos abertos deste processo é {limite}, e {quem} precisa de {precisa} \
             (um descritor por conexão, mais uma folga). Suba o limite no mesmo terminal com \
             `ulimit -n {precisa}` e rode de novo; `ulimit -Hn` mostra até quanto ele sobe sem \
             ser administrador (acima disso, o administrador ajusta /etc/security/limits.conf)"
        );
    }
    Ok(())
}
