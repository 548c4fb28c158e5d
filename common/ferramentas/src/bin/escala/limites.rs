//! Os dois recursos que dez mil conexões gastam fora da memória, e o que a
//! escala faz com cada um:
//! - descritores de arquivo: um por conexão no `carga` e um no servidor. A
//!   escala sobe o próprio limite (`ulimit -n`), que o servidor e o `carga`
//!   herdam, e para com uma explicação se não der;
//! - portas efêmeras: cada conexão do `carga` ocupa uma porta local, e quem
//!   fecha primeiro (o `carga`) a deixa 60 s em TIME-WAIT. O Linux só
//!   proíbe repetir a mesma quádrupla (origem, destino), e cada ponto inicia
//!   o servidor numa porta nova, então um ponto não colide com os
//!   anteriores; mas as portas em TIME-WAIT continuam reservadas para um
//!   `bind()` na porta 0 (o do servidor seguinte). Antes de cada ponto, a
//!   escala confere quantas há (/proc/net/sockstat) e, se a faixa de portas
//!   não tiver folga para o ponto, espera as mais velhas expirarem.

use anyhow::{bail, Result};
use ferramentas::formato::inteiro;
use ferramentas::sistema;
use std::thread;
use std::time::{Duration, Instant};

/// Descritores de arquivo que cada servidor usa por conexão: um, em todos
/// os daqui (um servidor que duplicasse cada socket precisaria de dois).
const DESCRITORES_POR_CONEXAO: u64 = 1;
/// Portas efêmeras deixadas livres além das do próximo ponto: outros
/// programas da máquina também conectam.
pub const FOLGA_DE_PORTAS: i64 = 1_000;
/// Mais que os 60 s de TIME-WAIT do Linux: a espera por portas nunca passa disso.
const ESPERA_MAXIMA_POR_PORTAS: Duration = Duration::from_secs(75);

/// Prepara a máquina para o maior ponto (`maior` conexões) e devolve a
/// faixa de portas efêmeras, se lida.
///
/// Descritores: o carga e os servidores são filhos desta escala e herdam o
/// limite, que sobe até o que o maior ponto precisa. Um ponto que ainda
/// assim não couber no limite não é medido, e a tabela diz por quê. Portas:
/// um ponto sozinho precisa caber na faixa efêmera.
pub fn preparar(maior: u64) -> Result<Option<(u32, u32)>> {
    ferramentas::limite::subir(maior * DESCRITORES_POR_CONEXAO + ferramentas::limite::FOLGA);
    ferramentas::limite::exigir(
        maior,
        &format!("o carga e cada servidor com {} conexões", inteiro(maior as f64)),
    )?;
    let portas = sistema::portas_efemeras();
    if let Some((baixa, alta)) = portas {
        let faixa = u64::from(alta - baixa + 1);
        if maior + 1 > faixa {
            bail!(
                "a faixa de portas efêmeras ({baixa}–{alta}, net.ipv4.ip_local_port_range) tem \
                 {faixa} portas, menos que as {maior} conexões do maior ponto"
            );
        }
    }
    Ok(portas)
}

/// Antes de um ponto com `conexoes` conexões: se as portas em TIME-WAIT
/// somadas às do ponto não couberem na faixa efêmera (com folga), espera
/// as mais velhas expirarem. Devolve quantas havia e os segundos esperados.
pub fn esperar_portas(conexoes: u32, portas: Option<(u32, u32)>) -> (i64, f64) {
    let (Some((baixa, alta)), Some(tcp)) = (portas, sistema::sockets_tcp()) else {
        return (0, 0.0);
    };
    let faixa = i64::from(alta) - i64::from(baixa) + 1;
    let cabe = |tw: i64| tw + i64::from(conexoes) + FOLGA_DE_PORTAS <= faixa;
    let inicio = Instant::now();
    let mut tw = tcp.time_wait;
    if !cabe(tw) {
        eprintln!(
            "escala: {} conexões em TIME-WAIT e {} a abrir não cabem nas {} portas efêmeras; \
             esperando as mais velhas expirarem (até 60 s)",
            inteiro(tw as f64),
            inteiro(f64::from(conexoes)),
            inteiro(faixa as f64)
        );
        while !cabe(tw) && inicio.elapsed() < ESPERA_MAXIMA_POR_PORTAS {
            thread::sleep(Duration::from_millis(500));
            tw = sistema::sockets_tcp().map(|t| t.time_wait).unwrap_or(0);
        }
    }
    (tcp.time_wait, inicio.elapsed().as_secs_f64())
}

/// Se o servidor não cabe no limite de arquivos abertos com `conexoes`
/// conexões, o motivo (e o `ulimit -n` que resolveria).
pub fn descritores_que_faltam(conexoes: u32) -> Option<String> {
    let precisa = DESCRITORES_POR_CONEXAO * u64::from(conexoes) + ferramentas::limite::FOLGA;
    let limite = ferramentas::limite::atual();
    (precisa > limite).then(|| {
        format!(
            "precisaria de {} descritores ({} por conexão), e o limite de arquivos abertos é {} \
             (`ulimit -Hn`: só sobe com privilégio); com `ulimit -n {precisa}` antes, seria medido",
            inteiro(precisa as f64),
            DESCRITORES_POR_CONEXAO,
            inteiro(limite as f64)
        )
    })
}
