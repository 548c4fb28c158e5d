//! As tabelas em Markdown e as metas, conferidas com os números medidos.

use crate::medida::{Carga, Medida, Tempos, Variante};
use crate::{Medidas, COM_LOG, CURVA, OCIOSOS, PARADOS};
pub use ferramentas::formato::{decimal, inteiro, maquina, mediana};
use std::fmt::Write as _;

/// O que vai no cabeçalho: como e onde a medida foi feita.
pub struct Descricao {
    pub comando: String,
    pub segundos: f64,
    pub rodadas: u32,
    pub tempos: Tempos,
    pub maquina: String,
}

/// Medianas de um ponto.
pub struct Resumo {
    pub vazao: f64,
    pub p99: f64,
    pub atendidos: f64,
    pub erros: u64,
    /// % de um núcleo.
    pub cpu_servidor: Option<f64>,
    pub cpu_carga: Option<f64>,
}

pub fn resumo(medidas: &[Medida]) -> Resumo {
    let vazao = mediana(medidas.iter().map(|m| m.carga.mensagens_por_s).collect());
    let p99 = mediana(medidas.iter().map(|m| m.carga.p99_us as f64).collect());
    let atendidos = mediana(medidas.iter().map(|m| m.carga.contas.atendidos as f64).collect());
    let erros = medidas.iter().map(|m| m.carga.erros()).sum();
    let porcento = |f: &dyn Fn(&Medida) -> Option<f64>| {
        let v: Vec<f64> =
            medidas.iter().filter_map(|m| f(m).map(|cpu| 100.0 * cpu / m.relogio_s)).collect();
        (!v.is_empty()).then(|| mediana(v))
    };
    Resumo {
        vazao,
        p99,
        atendidos,
        erros,
        cpu_servidor: porcento(&|m| m.cpu_servidor_s),
        cpu_carga: porcento(&|m| m.carga.cpu_s),
    }
}

/// A razão de vazão `a / b` rodada a rodada (os dois medidos na mesma
/// rodada, lado a lado): (mediana, menor, maior).
pub fn razao(
    medidas: &Medidas,
    a: &Variante,
    b: &Variante,
    carga: Carga,
) -> Option<(f64, f64, f64)> {
    let ma = medidas.get(&(*a, carga))?;
    let mb = medidas.get(&(*b, carga))?;
    let razoes: Vec<f64> = ma
        .iter()
        .zip(mb)
        .map(|(x, y)| x.carga.mensagens_por_s / y.carga.mensagens_por_s)
        .filter(|r| r.is_finite())
        .collect();
    if razoes.is_empty() {
        return None;
    }
    let menor = razoes.iter().copied().fold(f64::INFINITY, f64::min);
    let maior = razoes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((mediana(razoes), menor, maior))
}

fn opcional(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

fn variante(rotulo: &str) -> Option<&'static Variante> {
    CURVA.iter().chain(COM_LOG).chain(PARADOS).find(|v| v.rotulo == rotulo)
}

fn vai_e_volta(clientes: u32) -> Carga {
    Carga { clientes, pipeline: 1, ociosos: 0 }
}

pub fn tabela(medidas: &Medidas, d: &Descricao) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Bancada: vazão e latência dos servidores\n");
    let _ = writeln!(
        md,
        "Gerado por `{}` em {}. Máquina: {}. {} de {} s medidos (+{} s de aquecimento) por \
         ponto; cada número é a mediana das rodadas, e cada razão, a mediana das razões rodada a \
         rodada (entre parênteses, a menor e a maior). Mensagens de 32 bytes; o servidor e o \
         gerador de carga dividem a mesma máquina. CPU em % de um núcleo, durante a medição.\n",
        d.comando,
        ferramentas::formato::duracao(d.segundos),
        d.maquina,
        common::texto::quantidade(u64::from(d.rodadas), "rodada", "rodadas"),
        decimal(d.tempos.duracao, 1),
        decimal(d.tempos.aquecimento, 1),
    );

    let _ = writeln!(md, "## Vazão e latência, uma mensagem por vez (vai e volta), sem log\n");
    let _ = writeln!(
        md,
        "| servidor | clientes | atendidos | msg/s | p99 (µs) | erros | CPU servidor | CPU carga |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((v, carga), lista) in
        medidas.iter().filter(|((v, c), _)| CURVA.contains(v) && c.pipeline == 1 && c.ociosos == 0)
    {
        let r = resumo(lista);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            v.rotulo,
            inteiro(f64::from(carga.clientes)),
            inteiro(r.atendidos),
            inteiro(r.vazao),
            inteiro(r.p99),
            r.erros,
            opcional(r.cpu_servidor, |x| format!("{}%", inteiro(x))),
            opcional(r.cpu_carga, |x| format!("{}%", inteiro(x))),
        );
    }

    let dez = vai_e_volta(10);
    let _ = writeln!(md, "\n## O custo do log (10 clientes, vai e volta)\n");
    let _ = writeln!(md, "| servidor | msg/s com log | msg/s com -q | com log ÷ com -q |");
    let _ = writeln!(md, "|---|---:|---:|---:|");
    for com_log in COM_LOG {
        let Some(sem_log) = variante(&format!("{} -q", com_log.rotulo)) else { continue };
        let (Some(a), Some(b)) = (medidas.get(&(*com_log, dez)), medidas.get(&(*sem_log, dez)))
        else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            com_log.rotulo,
            inteiro(resumo(a).vazao),
            inteiro(resumo(b).vazao),
            formatar_razao(razao(medidas, com_log, sem_log, dez)),
        );
    }

    let pipeline = Carga { clientes: 10, pipeline: 16, ociosos: 0 };
    if medidas.keys().any(|(_, c)| *c == pipeline) {
        let _ = writeln!(
            md,
            "\n## 16 mensagens sem esperar resposta (pipeline), 10 clientes, sem log\n"
        );
        let _ = writeln!(md, "| servidor | msg/s | p99 (µs) | erros | ÷ vai e volta |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        for ((v, _), lista) in medidas.iter().filter(|(k, _)| k.1 == pipeline) {
            let r = resumo(lista);
            let vezes = medidas.get(&(*v, dez)).map(|l| r.vazao / resumo(l).vazao);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                v.rotulo,
                inteiro(r.vazao),
                inteiro(r.p99),
                r.erros,
                opcional(vezes, |x| format!("{}×", decimal(x, 1))),
            );
        }
    }

    let parados = Carga { clientes: 1, pipeline: 1, ociosos: OCIOSOS };
    if medidas.keys().any(|(_, c)| *c == parados) {
        let _ = writeln!(
            md,
            "\n## Com {} clientes ociosos e 1 ativo (totais do processo servidor)\n",
            inteiro(f64::from(OCIOSOS))
        );
        let _ = writeln!(
            md,
            "| servidor | threads | memória residente, pico (MiB) | espaço de endereços (MiB) | pilhas do kernel (MiB, estimativa) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        let mib = |k: Option<i64>| opcional(k.map(|k| k as f64 / 1024.0), |x| decimal(x, 1));
        for ((v, _), lista) in medidas.iter().filter(|(k, _)| k.1 == parados) {
            let m = &lista[0];
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                v.rotulo,
                opcional(m.threads.map(|t| t as f64), inteiro),
                mib(m.memoria_kib.map(|k| k as i64)),
                mib(m.virtual_kib.map(|k| k as i64)),
                mib(m.pilhas_do_kernel_kib),
            );
        }
    }
    md.push_str(&metas(medidas, d.rodadas));
    md
}

fn formatar_razao(r: Option<(f64, f64, f64)>) -> String {
    match r {
        Some((m, menor, maior)) => {
            format!("{}× ({}–{})", decimal(m, 2), decimal(menor, 2), decimal(maior, 2))
        }
        None => "não medido".into(),
    }
}

/// As metas de desempenho, com a razão medida e se foi atingida.
fn metas(medidas: &Medidas, rodadas: u32) -> String {
    let mut md = String::from("\n## Metas\n\n");
    if rodadas < 5 {
        // A execução rápida existe para ver a bancada funcionar; numa máquina
        // compartilhada, a razão de uma rodada varia mais que a margem da meta.
        let _ = writeln!(
            md,
            "Com {} só, uma razão varia de uma execução para outra mais que a margem de \
             cada meta: aqui um \"não\" não quer dizer nada. As metas valem para a execução \
             completa (`--gravar`, 5 rodadas).\n",
            common::texto::quantidade(u64::from(rodadas), "rodada", "rodadas")
        );
    }
    md.push_str("| meta | medido | ok? |\n|---|---|---|\n");
    let mut linha = |meta: String, r: Option<(f64, f64, f64)>, minimo: f64| {
        let ok = match r {
            Some((m, _, _)) if m >= minimo => "sim",
            Some(_) => "não",
            None => "—",
        };
        let _ = writeln!(md, "| {meta} | {} | {ok} |", formatar_razao(r));
    };
    let dez = vai_e_volta(10);
    for com_log in COM_LOG {
        if let Some(sem_log) = variante(&format!("{} -q", com_log.rotulo)) {
            linha(
                format!("{} com log ≥ 0,85 × {}, 10 clientes", com_log.rotulo, sem_log.rotulo),
                razao(medidas, com_log, sem_log, dez),
                0.85,
            );
        }
    }
    let pares = [("parte3-poll -q", "eco-mio"), ("parte3-async -q", "eco-tokio")];
    for (servidor, referencia) in pares {
        let (Some(a), Some(b)) = (variante(servidor), variante(referencia)) else { continue };
        for c in [10, 100, 1000] {
            let carga = vai_e_volta(c);
            linha(
                format!("{servidor} ≥ 0,95 × {referencia}, {} clientes", inteiro(f64::from(c))),
                razao(medidas, a, b, carga),
                0.95,
            );
        }
    }
    if let (Some(a), Some(b)) = (variante("parte3-poll -q"), variante("eco-mio")) {
        let carga = Carga { clientes: 10, pipeline: 16, ociosos: 0 };
        linha(
            "parte3-poll -q ≥ 0,8 × eco-mio, 10 clientes × pipeline 16".into(),
            razao(medidas, a, b, carga),
            0.8,
        );
    }
    md
}
