//! O gráfico SVG: vazão e latência p99 contra o número de clientes.

use crate::curva;
use anyhow::{anyhow, Result};
use ferramentas::figuras::Bancada;
use std::path::Path;

pub fn desenhar(b: &Bancada, arquivo: &Path) -> Result<()> {
    use plotters::prelude::*;
    let raiz = SVGBackend::new(arquivo, (1000, 460)).into_drawing_area();
    raiz.fill(&WHITE).map_err(|e| anyhow!("desenhar: {e}"))?;
    let (titulo, corpo) = raiz.split_vertically(40);
    titulo
        .titled(
            &format!(
                "Mediana de {} por ponto, {}",
                common::texto::quantidade(u64::from(b.execucao.rodadas), "rodada", "rodadas"),
                b.execucao.maquina
            ),
            ("sans-serif", 15),
        )
        .map_err(|e| anyhow!("desenhar: {e}"))?;
    let (esquerda, direita) = corpo.split_horizontally(500);
    let cores = [
        RGBColor(120, 120, 120),
        RED,
        BLUE,
        RGBColor(230, 140, 0),
        GREEN,
        BLACK,
        RGBColor(150, 60, 170),
    ];
    // Por servidor da curva: (clientes, msg/s, p99 µs) de cada ponto.
    let curva = curva();
    type Serie = (usize, Vec<(f64, f64, f64)>);
    let series: Vec<Serie> = curva
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let rotulo = m.rotulo();
            let pontos = b
                .vai_e_volta
                .iter()
                .filter(|p| p.servidor == rotulo)
                .map(|p| (f64::from(p.clientes), p.mensagens_por_s.max(1.0), p.p99_us.max(1.0)))
                .collect();
            (i, pontos)
        })
        .filter(|(_, p): &Serie| !p.is_empty())
        .collect();
    let max_clientes = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).fold(2.0, f64::max);
    let max_vazao =
        series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(1.0, f64::max) * 1.1;
    let max_p99 = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.2)).fold(10.0, f64::max) * 2.0;
    let erro = |e: DrawingAreaErrorKind<_>| anyhow!("desenhar: {e:?}");
    let inteiro = |v: &f64| crate::tabela::inteiro(*v);

    let mut vazao = ChartBuilder::on(&esquerda)
        .caption("vazão × clientes (sem log)", ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((0.8..max_clientes * 1.25).log_scale(), 0.0..max_vazao)
        .map_err(erro)?;
    vazao
        .configure_mesh()
        .x_desc("clientes (escala logarítmica)")
        .y_desc("mensagens por segundo")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&inteiro)
        .draw()
        .map_err(erro)?;
    let mut p99 = ChartBuilder::on(&direita)
        .caption("latência p99 × clientes (sem a parte2)", ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((0.8..max_clientes * 1.25).log_scale(), (1.0..max_p99).log_scale())
        .map_err(erro)?;
    p99.configure_mesh()
        .x_desc("clientes (escala logarítmica)")
        .y_desc("p99 (µs, escala logarítmica)")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&inteiro)
        .draw()
        .map_err(erro)?;
    for (i, pontos) in &series {
        let cor = cores[*i % cores.len()];
        let rotulo = curva[*i].rotulo();
        vazao
            .draw_series(LineSeries::new(pontos.iter().map(|p| (p.0, p.1)), cor.stroke_width(2)))
            .map_err(erro)?
            .label(rotulo)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], cor.stroke_width(2)));
        // A latência da parte2 é só a do único cliente atendido: os outros
        // esperam a vez a medição inteira. No gráfico ela pareceria a melhor.
        if curva[*i].servidor().concorrente() {
            p99.draw_series(LineSeries::new(
                pontos.iter().map(|p| (p.0, p.2)),
                cor.stroke_width(2),
            ))
            .map_err(erro)?;
        }
    }
    vazao
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(erro)?;
    raiz.present().map_err(|e| anyhow!("escrever o SVG: {e}"))?;
    Ok(())
}
