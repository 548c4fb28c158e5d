//! A tabela (Markdown) e os números (JSON) da inundação.

use crate::medida::{Programa, Resultado, Tempos, Variante, INTERVALO};
use ferramentas::formato::{decimal, inteiro, maquina, mediana};
use serde_json::{json, Value};

/// O que a tabela diz sobre a execução.
pub struct Descricao {
    pub comando: String,
    pub segundos: f64,
    pub rodadas: u32,
    pub tempos: Tempos,
}

/// `90` µs → `0,09 ms`; `5700` → `5,7 ms`; `1260000` → `1,26 s`.
pub fn tempo(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    match us {
        0..1_000 => format!("{} ms", decimal(ms, 2)),
        1_000..10_000 => format!("{} ms", decimal(ms, 1)),
        10_000..1_000_000 => format!("{} ms", inteiro(ms)),
        1_000_000..10_000_000 => format!("{} s", decimal(ms / 1000.0, 2)),
        _ => format!("{} s", inteiro(ms / 1000.0)),
    }
}

/// `a–b` (o menor e o maior), ou um valor só quando os dois se escrevem igual.
fn faixa(valores: &[u64]) -> String {
    match (valores.iter().min(), valores.iter().max()) {
        (Some(&a), Some(&b)) if tempo(a) != tempo(b) => format!("{}–{}", tempo(a), tempo(b)),
        (Some(&a), _) => tempo(a),
        _ => "—".into(),
    }
}

fn mediana_us(valores: impl Iterator<Item = u64>) -> Option<u64> {
    let v: Vec<f64> = valores.map(|x| x as f64).collect();
    (!v.is_empty()).then(|| mediana(v) as u64)
}

/// A razão da vazão da inundação de cada rodada pela do `eco-epoll` na mesma
/// rodada: (mediana, menor, maior).
fn razao(medidas: &[Resultado], referencia: Option<&Vec<Resultado>>) -> Option<(f64, f64, f64)> {
    let razoes: Vec<f64> = medidas
        .iter()
        .zip(referencia?)
        .map(|(m, r)| m.inundacao_por_s / r.inundacao_por_s)
        .filter(|x| x.is_finite())
        .collect();
    let menor = razoes.iter().copied().reduce(f64::min)?;
    let maior = razoes.iter().copied().reduce(f64::max)?;
    Some((mediana(razoes), menor, maior))
}

fn referencia<'a>(
    variantes: &[&Variante],
    medidas: &'a [Vec<Resultado>],
) -> Option<&'a Vec<Resultado>> {
    variantes.iter().position(|v| v.programa == Programa::C).map(|i| &medidas[i])
}

/// Uma linha de progresso, depois de cada medida.
pub fn progresso(variante: &Variante, r: &Resultado) -> String {
    let opcional = |x: Option<u64>| x.map_or("—".into(), tempo);
    let mut linha = format!(
        "{:<16} {} respostas, p50 {}, p99 {}, máx. {}; inundação: {} linhas/s",
        variante.rotulo,
        inteiro(r.respostas as f64),
        opcional(r.p50_us),
        opcional(r.p99_us),
        opcional(r.maximo_us),
        inteiro(r.inundacao_por_s)
    );
    if let Some(falha) = &r.falha {
        linha += &format!(" ({falha})");
    }
    linha
}

pub fn tabela(variantes: &[&Variante], medidas: &[Vec<Resultado>], d: &Descricao) -> String {
    let segundos = decimal(d.tempos.duracao.as_secs_f64(), 1);
    // Sem o `eco-epoll` na rodada (`--so` sem ele, ou fora do Linux), a
    // coluna da razão ficaria vazia: sai, com a frase que a explica.
    let referencia = referencia(variantes, medidas);
    let ultima_coluna = if referencia.is_some() {
        " A última coluna divide as linhas da inundação respondidas por segundo pelas do \
         `eco-epoll` na mesma rodada."
    } else {
        ""
    };
    let mut t = format!(
        "# Inundação: um cliente leve enquanto {} conexões inundam o servidor\n\n\
         Gerado por `{}` em {} ({}; {}).\n\n\
         Cada conexão da inundação escreve blocos de 64 KiB de linhas de 16 bytes e lê as \
         respostas ao mesmo tempo. O cliente leve envia uma linha a cada {} ms e espera a \
         resposta: {} s com a inundação, depois de 0,5 s de aquecimento; antes, 100 respostas \
         sem inundação (\"sozinho\"). p50 é a mediana das rodadas; p99 e máximo, o menor e o \
         maior valor entre as rodadas. \"Respostas\" é quantas o cliente leve recebeu durante \
         a medida (mediana): um servidor injusto o deixa sem nenhuma enquanto a inundação dura, \
         e a espera só acaba quando ela para (e essa espera entra no máximo).{}\n\n",
        d.tempos.conexoes,
        d.comando,
        ferramentas::formato::duracao(d.segundos),
        common::texto::quantidade(u64::from(d.rodadas), "rodada", "rodadas"),
        maquina(),
        INTERVALO.as_millis(),
        segundos,
        ultima_coluna,
    );
    t += "| servidor | sozinho: p50 | respostas | inundado: p50 | p99 | máximo | inundação (linhas/s) |";
    t += if referencia.is_some() { " × eco-epoll |\n" } else { "\n" };
    t += "|---|---:|---:|---:|---:|---:|---:|";
    t += if referencia.is_some() { "---:|\n" } else { "\n" };
    for (variante, m) in variantes.iter().zip(medidas) {
        let opcional = |x: Option<u64>| x.map_or("—".into(), tempo);
        let razao = match razao(m, referencia) {
            Some((med, a, b)) if variante.programa != Programa::C => {
                format!(" {} ({}–{}) |", decimal(med, 2), decimal(a, 2), decimal(b, 2))
            }
            _ if referencia.is_some() => " — |".into(),
            _ => String::new(),
        };
        let falhas = m.iter().filter(|r| r.falha.is_some()).count();
        let rotulo = if falhas > 0 {
            format!("{} (sem uma resposta em {falhas} de {} rodadas)", variante.rotulo, m.len())
        } else {
            variante.rotulo.clone()
        };
        t += &format!(
            "| {rotulo} | {} | {} | {} | {} | {} | {} |{razao}\n",
            opcional(mediana_us(m.iter().filter_map(|r| r.sozinho_p50_us))),
            inteiro(mediana(m.iter().map(|r| r.respostas as f64).collect())),
            opcional(mediana_us(m.iter().filter_map(|r| r.p50_us))),
            faixa(&m.iter().filter_map(|r| r.p99_us).collect::<Vec<_>>()),
            faixa(&m.iter().filter_map(|r| r.maximo_us).collect::<Vec<_>>()),
            inteiro(mediana(m.iter().map(|r| r.inundacao_por_s).collect())),
        );
    }
    t
}

/// Os mesmos números, para outros programas (o relato lê este arquivo).
pub fn json(variantes: &[&Variante], medidas: &[Vec<Resultado>], d: &Descricao) -> Value {
    let referencia = referencia(variantes, medidas);
    let servidores: Vec<Value> = variantes
        .iter()
        .zip(medidas)
        .map(|(v, m)| {
            let p99: Vec<u64> = m.iter().filter_map(|r| r.p99_us).collect();
            let maximo: Vec<u64> = m.iter().filter_map(|r| r.maximo_us).collect();
            json!({
                "rotulo": v.rotulo,
                "args": v.args,
                "p50_us": mediana_us(m.iter().filter_map(|r| r.p50_us)),
                "p99_us": [p99.iter().min(), p99.iter().max()],
                "maximo_us": [maximo.iter().min(), maximo.iter().max()],
                "rodadas_sem_resposta": m.iter().filter(|r| r.falha.is_some()).count(),
                "inundacao_por_s": mediana(m.iter().map(|r| r.inundacao_por_s).collect()),
                "razao_eco_epoll": razao(m, referencia).map(|(med, a, b)| [med, a, b]),
                "rodadas": m,
            })
        })
        .collect();
    json!({
        "comando": d.comando,
        "maquina": maquina(),
        "rodadas": d.rodadas,
        "duracao_s": d.tempos.duracao.as_secs_f64(),
        "conexoes": d.tempos.conexoes,
        "intervalo_ms": INTERVALO.as_millis() as u64,
        "servidores": servidores,
    })
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn tempos_em_portugues() {
        assert_eq!(tempo(90), "0,09 ms");
        assert_eq!(tempo(5_700), "5,7 ms");
        assert_eq!(tempo(63_400), "63 ms");
        assert_eq!(tempo(1_260_000), "1,26 s");
        assert_eq!(tempo(25_000_000), "25 s");
        assert_eq!(faixa(&[5_700, 16_800]), "5,7 ms–17 ms");
        assert_eq!(faixa(&[120, 121]), "0,12 ms");
    }
}
