//! As tabelas em Markdown e as metas, conferidas com os números medidos.
//! Tudo sai do resumo ([`Bancada`]), o mesmo que vai para o JSON.

use crate::curva;
use ferramentas::figuras::{Bancada, Razao};
pub use ferramentas::formato::{decimal, inteiro};
use std::fmt::Write as _;

/// A meta do custo do log: com log, ao menos esta fração da vazão sem log.
const META_DO_LOG: f64 = 0.85;
/// A meta contra a referência: cada caminho de evento sem log, ao menos esta
/// fração da vazão do seu eco de referência, com 10 e com 1.000 clientes.
const META_DA_REFERENCIA: f64 = 0.8;
/// Os clientes das metas contra a referência.
const CLIENTES_DAS_METAS: [u32; 2] = [10, 1000];

fn opcional(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

pub fn tabela(b: &Bancada) -> String {
    let mut md = String::new();
    let e = &b.execucao;
    let _ = writeln!(md, "# Bancada: vazão e latência dos servidores\n");
    let _ = writeln!(
        md,
        "Gerado por `{}` em {}. Máquina: {}. {} de {} s medidos (+{} s de aquecimento) por \
         ponto; cada número é a mediana das rodadas, e cada razão, a mediana das razões rodada a \
         rodada (entre parênteses, a menor e a maior). Mensagens de 32 bytes; o servidor e o \
         gerador de carga dividem a mesma máquina. CPU em % de um núcleo, durante a medição.\n",
        e.comando,
        ferramentas::formato::duracao(e.segundos),
        e.maquina,
        common::texto::quantidade(u64::from(e.rodadas), "rodada", "rodadas"),
        decimal(e.duracao_s, 1),
        decimal(e.aquecimento_s, 1),
    );

    let _ = writeln!(md, "## Vazão e latência, uma mensagem por vez (vai e volta), sem log\n");
    let _ = writeln!(
        md,
        "| servidor | clientes | atendidos | msg/s | p99 (µs) | erros | CPU servidor | CPU carga |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for p in &b.vai_e_volta {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            p.servidor,
            inteiro(f64::from(p.clientes)),
            inteiro(p.atendidos),
            inteiro(p.mensagens_por_s),
            inteiro(p.p99_us),
            p.erros,
            opcional(p.cpu_servidor_pct, |x| format!("{}%", inteiro(x))),
            opcional(p.cpu_carga_pct, |x| format!("{}%", inteiro(x))),
        );
    }

    let _ = writeln!(md, "\n## O custo do log (10 clientes, vai e volta)\n");
    let _ = writeln!(md, "| servidor | msg/s com log | msg/s com -q | com log ÷ com -q |");
    let _ = writeln!(md, "|---|---:|---:|---:|");
    for c in &b.custo_do_log {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            c.com_log,
            inteiro(c.com_log_por_s),
            inteiro(c.sem_log_por_s),
            formatar_razao(b.razao(&c.com_log, &c.sem_log, c.clientes, 1)),
        );
    }

    if let Some(primeiro) = b.pipeline.first() {
        let _ = writeln!(
            md,
            "\n## {} mensagens sem esperar resposta (pipeline), {} clientes, sem log\n",
            primeiro.pipeline, primeiro.clientes
        );
        let _ = writeln!(md, "| servidor | msg/s | p99 (µs) | erros | ÷ vai e volta |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        for p in &b.pipeline {
            let vai_e_volta = b.vai_e_volta(&p.servidor, p.clientes);
            let vezes = vai_e_volta.map(|v| p.mensagens_por_s / v.mensagens_por_s);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                p.servidor,
                inteiro(p.mensagens_por_s),
                inteiro(p.p99_us),
                p.erros,
                opcional(vezes, |x| format!("{}×", decimal(x, 1))),
            );
        }
    }

    if !b.parados.is_empty() {
        let _ = writeln!(
            md,
            "\n## Com {} clientes ociosos e 1 ativo (totais do processo servidor)\n",
            inteiro(f64::from(b.ociosos))
        );
        let _ = writeln!(
            md,
            "| servidor | threads | memória residente, pico (MiB) | espaço de endereços (MiB) | pilhas do kernel (MiB, estimativa) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        let mib = |x: Option<f64>| opcional(x, |x| decimal(x, 1));
        for p in &b.parados {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                p.servidor,
                opcional(p.threads.map(|t| t as f64), inteiro),
                mib(p.memoria_residente_mib),
                mib(p.espaco_de_enderecos_mib),
                mib(p.pilhas_do_kernel_mib),
            );
        }
    }
    md.push_str(&metas(b));
    md
}

fn formatar_razao(r: Option<&Razao>) -> String {
    match r {
        Some(r) => {
            format!("{}× ({}–{})", decimal(r.mediana, 2), decimal(r.menor, 2), decimal(r.maior, 2))
        }
        None => "não medido".into(),
    }
}

/// As metas de desempenho, com a razão medida e se foi atingida.
fn metas(b: &Bancada) -> String {
    let mut md = String::from("\n## Metas\n\n");
    let rodadas = b.execucao.rodadas;
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
    let mut linha = |meta: String, r: Option<&Razao>, minimo: f64| {
        let ok = match r {
            Some(r) if r.mediana >= minimo => "sim",
            Some(_) => "não",
            None => "—",
        };
        let _ = writeln!(md, "| {meta} | {} | {ok} |", formatar_razao(r));
    };
    // 0,85 e 0,8, como se escreve.
    let fracao = |x: f64| decimal(x, 2).trim_end_matches('0').to_string();
    for c in &b.custo_do_log {
        linha(
            format!(
                "{} com log ≥ {} × {}, {} clientes",
                c.com_log,
                fracao(META_DO_LOG),
                c.sem_log,
                inteiro(f64::from(c.clientes))
            ),
            b.razao(&c.com_log, &c.sem_log, c.clientes, 1),
            META_DO_LOG,
        );
    }
    // Cada caminho de evento contra o seu eco de referência, com 10 e 1.000
    // clientes. No pipeline, só o laço de eventos: ele responde de uma vez
    // às linhas que uma leitura trouxe; o async responde linha a linha, e o
    // JSON guarda a razão dele sem meta.
    for medido in curva() {
        let Some(eco) = medido.referencia() else { continue };
        let (servidor, eco) = (medido.rotulo(), eco.rotulo());
        let com_meta_no_pipeline = medido.servidor().modelo == "laço de eventos";
        for c in CLIENTES_DAS_METAS {
            linha(
                format!(
                    "{servidor} ≥ {} × {eco}, {} clientes",
                    fracao(META_DA_REFERENCIA),
                    inteiro(f64::from(c))
                ),
                b.razao(&servidor, &eco, c, 1),
                META_DA_REFERENCIA,
            );
        }
        let pipeline = b.razoes.iter().filter(|r| r.servidor == servidor && r.pipeline > 1);
        for r in pipeline.filter(|_| com_meta_no_pipeline) {
            linha(
                format!(
                    "{servidor} ≥ {} × {eco}, {} clientes × pipeline {}",
                    fracao(META_DA_REFERENCIA),
                    inteiro(f64::from(r.clientes)),
                    r.pipeline
                ),
                Some(r),
                META_DA_REFERENCIA,
            );
        }
    }
    md
}
