//! O gráfico SVG: memória por conexão e vazão das conexões ativas contra o
//! número de conexões abertas.

use anyhow::{anyhow, Result};
use ferramentas::figuras::Escala;
use ferramentas::formato::inteiro;
use std::path::Path;

/// Menor valor desenhado no eixo logarítmico da memória: uma diferença
/// nula ou negativa (ruído, com poucas conexões) fica no pé do gráfico.
const PISO_KIB: f64 = 0.05;

pub fn desenhar(c: &Escala, arquivo: &Path) -> Result<()> {
    let ativas = c.ativas;
    use plotters::prelude::*;
    let raiz = SVGBackend::new(arquivo, (1000, 460)).into_drawing_area();
    raiz.fill(&WHITE).map_err(|e| anyhow!("desenhar: {e}"))?;
    let (titulo, corpo) = raiz.split_vertically(40);
    titulo
        .titled(
            &format!(
                "Mediana de {} por ponto, servidor iniciado do zero, {ativas} conexões ativas; {}",
                common::texto::quantidade(u64::from(c.execucao.rodadas), "rodada", "rodadas"),
                c.execucao.maquina
            ),
            ("sans-serif", 15),
        )
        .map_err(|e| anyhow!("desenhar: {e}"))?;
    let (esquerda, direita) = corpo.split_horizontally(500);
    let cores = [RED, BLUE, RGBColor(230, 140, 0), GREEN, BLACK, RGBColor(150, 60, 170)];
    // Os servidores, na ordem da medida.
    let mut servidores: Vec<&str> = Vec::new();
    for p in &c.pontos {
        if !servidores.contains(&p.servidor.as_str()) {
            servidores.push(&p.servidor);
        }
    }
    // Por servidor: (conexões, KiB por conexão, msg/s) de cada ponto medido.
    type Serie = (usize, Vec<(f64, f64, f64)>);
    let series: Vec<Serie> = servidores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let pontos = c
                .pontos
                .iter()
                .filter(|p| p.servidor == *s)
                .filter_map(|p| {
                    let m = p.medida.as_ref()?;
                    let kib = m.memoria_por_conexao_kib?;
                    Some((f64::from(p.conexoes), kib.max(PISO_KIB), m.mensagens_por_s))
                })
                .collect();
            (i, pontos)
        })
        .filter(|(_, p): &Serie| !p.is_empty())
        .collect();
    let todos = || series.iter().flat_map(|(_, p)| p.iter());
    let min_x = todos().map(|p| p.0).fold(f64::INFINITY, f64::min).min(10.0);
    let max_x = todos().map(|p| p.0).fold(min_x * 10.0, f64::max);
    let max_kib = todos().map(|p| p.1).fold(1.0, f64::max) * 2.0;
    let max_vazao = todos().map(|p| p.2).fold(1.0, f64::max) * 1.1;
    let erro = |e: DrawingAreaErrorKind<_>| anyhow!("desenhar: {e:?}");
    let inteiro = |v: &f64| inteiro(*v);
    let kib = |v: &f64| ferramentas::formato::kib(*v);
    let eixo_x = (min_x * 0.8..max_x * 1.25).log_scale();

    let mut memoria = ChartBuilder::on(&esquerda)
        .caption("memória residente do servidor por conexão", ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(eixo_x.clone(), (PISO_KIB..max_kib).log_scale())
        .map_err(erro)?;
    memoria
        .configure_mesh()
        .x_desc("conexões abertas (escala logarítmica)")
        .y_desc("KiB por conexão (escala logarítmica)")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&kib)
        .draw()
        .map_err(erro)?;
    let mut vazao = ChartBuilder::on(&direita)
        .caption(format!("vazão das {ativas} conexões ativas"), ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(eixo_x, 0.0..max_vazao)
        .map_err(erro)?;
    vazao
        .configure_mesh()
        .x_desc("conexões abertas (escala logarítmica)")
        .y_desc("mensagens por segundo")
        .x_label_formatter(&inteiro)
        .y_label_formatter(&inteiro)
        .draw()
        .map_err(erro)?;
    for (i, pontos) in &series {
        let cor = cores[*i % cores.len()];
        let rotulo = servidores[*i].to_string();
        memoria
            .draw_series(LineSeries::new(pontos.iter().map(|p| (p.0, p.1)), cor.stroke_width(2)))
            .map_err(erro)?;
        memoria
            .draw_series(pontos.iter().map(|p| Circle::new((p.0, p.1), 3, cor.filled())))
            .map_err(erro)?;
        // A legenda fica no painel da vazão, embaixo, onde não há linhas.
        vazao
            .draw_series(LineSeries::new(pontos.iter().map(|p| (p.0, p.2)), cor.stroke_width(2)))
            .map_err(erro)?
            .label(rotulo)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], cor.stroke_width(2)));
        vazao
            .draw_series(pontos.iter().map(|p| Circle::new((p.0, p.2), 3, cor.filled())))
            .map_err(erro)?;
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
