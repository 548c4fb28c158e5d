//! Das medidas de cada rodada aos números das tabelas: as medianas de cada
//! ponto e as razões rodada a rodada. É o que vai para `bancada.json`, e de
//! onde saem a tabela ([`crate::tabela`]) e o gráfico ([`crate::grafico`]).

use crate::medida::{Carga, Medida};
use crate::{com_log, curva, Medidas, OCIOSOS};
use ferramentas::figuras::{
    Bancada, CustoDoLog, Execucao, Parado, PontoDaBancada, PontoDoPipeline, Razao,
};
use ferramentas::formato::mediana;
use ferramentas::medidos::Medido;

/// Clientes das razões contra as referências (as metas usam 10 e 1.000).
const CLIENTES_DAS_RAZOES: [u32; 3] = [10, 100, 1000];

/// A carga de vai e volta com `clientes` conexões ativas.
fn carga_de_vai_e_volta(clientes: u32) -> Carga {
    Carga { clientes, pipeline: 1, ociosos: 0 }
}

/// A carga com 16 mensagens sem esperar resposta, 10 clientes.
const PIPELINE: Carga = Carga { clientes: 10, pipeline: 16, ociosos: 0 };

/// Medianas de um ponto.
struct Resumo {
    vazao: f64,
    p99: f64,
    atendidos: f64,
    erros: u64,
    /// % de um núcleo.
    cpu_servidor: Option<f64>,
    cpu_carga: Option<f64>,
}

fn resumo(medidas: &[Medida]) -> Resumo {
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
/// rodada, lado a lado): a mediana, a menor e a maior.
fn razao(medidas: &Medidas, a: Medido, b: Medido, carga: Carga) -> Option<Razao> {
    let ma = medidas.get(&(a, carga))?;
    let mb = medidas.get(&(b, carga))?;
    let razoes: Vec<f64> = ma
        .iter()
        .zip(mb)
        .map(|(x, y)| x.carga.mensagens_por_s / y.carga.mensagens_por_s)
        .filter(|r| r.is_finite())
        .collect();
    let menor = razoes.iter().copied().reduce(f64::min)?;
    let maior = razoes.iter().copied().reduce(f64::max)?;
    Some(Razao {
        servidor: a.rotulo(),
        referencia: b.rotulo(),
        clientes: carga.clientes,
        pipeline: carga.pipeline,
        mediana: mediana(razoes),
        menor,
        maior,
    })
}

/// Os pontos de `medidas` com a carga `escolhida`, na ordem das tabelas.
fn com_a_carga(
    medidas: &Medidas,
    escolhida: impl Fn(&Medido, &Carga) -> bool,
) -> impl Iterator<Item = (&Medido, &Carga, &Vec<Medida>)> {
    medidas.iter().filter(move |((v, c), _)| escolhida(v, c)).map(|((v, c), l)| (v, c, l))
}

pub fn resumir(medidas: &Medidas, execucao: Execucao) -> Bancada {
    let vai_e_volta_sem_log =
        |v: &Medido, c: &Carga| !v.com_log && *c == carga_de_vai_e_volta(c.clientes);
    let vai_e_volta: Vec<PontoDaBancada> = com_a_carga(medidas, vai_e_volta_sem_log)
        .map(|(v, c, lista)| {
            let r = resumo(lista);
            PontoDaBancada {
                servidor: v.rotulo(),
                clientes: c.clientes,
                atendidos: r.atendidos,
                mensagens_por_s: r.vazao,
                p99_us: r.p99,
                erros: r.erros,
                cpu_servidor_pct: r.cpu_servidor,
                cpu_carga_pct: r.cpu_carga,
            }
        })
        .collect();

    let dez = carga_de_vai_e_volta(10);
    let mut razoes = Vec::new();
    let mut custo_do_log = Vec::new();
    for com in com_log() {
        let sem = Medido { com_log: false, ..com };
        let (Some(a), Some(b)) = (medidas.get(&(com, dez)), medidas.get(&(sem, dez))) else {
            continue;
        };
        custo_do_log.push(CustoDoLog {
            com_log: com.rotulo(),
            sem_log: sem.rotulo(),
            clientes: dez.clientes,
            com_log_por_s: resumo(a).vazao,
            sem_log_por_s: resumo(b).vazao,
        });
        razoes.extend(razao(medidas, com, sem, dez));
    }
    for servidor in curva() {
        let Some(referencia) = servidor.referencia() else { continue };
        for c in CLIENTES_DAS_RAZOES {
            razoes.extend(razao(medidas, servidor, referencia, carga_de_vai_e_volta(c)));
        }
        razoes.extend(razao(medidas, servidor, referencia, PIPELINE));
    }

    let pipeline = com_a_carga(medidas, |_, c| *c == PIPELINE)
        .map(|(v, c, lista)| {
            let r = resumo(lista);
            PontoDoPipeline {
                servidor: v.rotulo(),
                clientes: c.clientes,
                pipeline: c.pipeline,
                mensagens_por_s: r.vazao,
                p99_us: r.p99,
                erros: r.erros,
            }
        })
        .collect();

    let parados = Carga { clientes: 1, pipeline: 1, ociosos: OCIOSOS };
    let mib = |kib: Option<f64>| kib.map(|k| k / 1024.0);
    let parados = com_a_carga(medidas, |_, c| *c == parados)
        .map(|(v, _, lista)| {
            let m = &lista[0];
            Parado {
                servidor: v.rotulo(),
                threads: m.threads,
                memoria_residente_mib: mib(m.memoria_kib.map(|k| k as f64)),
                espaco_de_enderecos_mib: mib(m.virtual_kib.map(|k| k as f64)),
                pilhas_do_kernel_mib: mib(m.pilhas_do_kernel_kib.map(|k| k as f64)),
            }
        })
        .collect();

    Bancada { execucao, vai_e_volta, custo_do_log, pipeline, ociosos: OCIOSOS, parados, razoes }
}
