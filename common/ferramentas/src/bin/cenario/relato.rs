//! `cenario --relato RELATO.md`: refaz os blocos gerados do relato. Cada
//! cenário da atividade roda de novo e vira o seu bloco (entre
//! `<!-- cenario:ID -->` e `<!-- /cenario:ID -->`); o bloco das medidas
//! (`<!-- escala:modelos -->`) vem da última execução completa da escala,
//! gravada em `figuras/escala.json`.

use crate::{rodar, Cenario, Relatorio};
use anyhow::Result;
use ferramentas::cenario::execucao::Foto;
use ferramentas::figuras;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// O que um bloco do relato mostra de um cenário.
#[derive(Clone, Copy)]
struct Partes {
    transcricao: bool,
    linha_do_tempo: bool,
    respostas: bool,
    /// Nas respostas, também a linha de cada cliente (senão, só as gerais).
    cada_cliente: bool,
}

const TUDO: Partes =
    Partes { transcricao: true, linha_do_tempo: true, respostas: true, cada_cliente: true };
/// A transcrição (e as fotografias) e as respostas, sem a linha do tempo.
const SEM_LINHA_DO_TEMPO: Partes = Partes { linha_do_tempo: false, ..TUDO };
/// A transcrição e só as conclusões gerais (sem a frase de cada cliente).
const SEM_CADA_CLIENTE: Partes = Partes { linha_do_tempo: false, cada_cliente: false, ..TUDO };
const SEM_TRANSCRICAO: Partes = Partes { transcricao: false, ..TUDO };

/// Os cenários do relato: identificador do bloco, o cenário e o que o bloco
/// mostra (as fotografias do `ss` sempre entram).
fn cenarios_do_relato() -> Vec<(&'static str, Cenario, Partes)> {
    let segundos = |s: f64| Foto::Em(Duration::from_secs_f64(s));
    vec![
        ("parte1", Cenario::da_parte(1), SEM_LINHA_DO_TEMPO),
        ("parte2", Cenario::da_parte(2), TUDO),
        (
            "fila",
            Cenario {
                clientes: 4,
                backlog: Some(1),
                fotos: vec![segundos(1.0)],
                ..Cenario::da_parte(2)
            },
            Partes { transcricao: false, ..SEM_CADA_CLIENTE },
        ),
        ("parte3", Cenario { atraso: Some(2000), ..Cenario::da_parte(3) }, SEM_TRANSCRICAO),
        ("parte4", Cenario { fotos: vec![Foto::Fim], ..Cenario::da_parte(4) }, SEM_CADA_CLIENTE),
        (
            "desligamento",
            Cenario { clientes: 1, meia_linha: true, ctrl_c: Some(1.2), ..Cenario::da_parte(4) },
            SEM_CADA_CLIENTE,
        ),
    ]
}

/// O texto de um bloco do relato. `ja_dito` guarda os tipos de conclusão
/// dos blocos anteriores (serial, sobreposto): uma que se repete vem na
/// forma curta, para o relato não dizer a mesma frase duas vezes.
fn bloco(
    cenario: &Cenario,
    relatorio: &Relatorio,
    partes: Partes,
    ja_dito: &mut Vec<&'static str>,
) -> String {
    let mut texto = format!("Gerado por `{}`:\n\n", cenario.comando());
    if partes.transcricao {
        texto += &format!("```text\n{}```\n\n", relatorio.transcricao);
    }
    if !relatorio.fotos.is_empty() {
        texto += &format!("```text\n{}```\n\n", relatorio.fotos);
    }
    if partes.linha_do_tempo {
        texto += &format!("```text\n{}```\n\n", relatorio.linha_do_tempo);
    }
    if partes.respostas {
        let respostas = &relatorio.respostas;
        let por_cliente: &[String] = if partes.cada_cliente { &respostas.por_cliente } else { &[] };
        let tipo = respostas.conclusao.as_ref().and_then(|c| c.tipo);
        let repetida = tipo.is_some_and(|t| ja_dito.contains(&t));
        ja_dito.extend(tipo);
        let conclusoes = respostas.conclusoes(repetida);
        for linha in por_cliente.iter().map(String::as_str).chain(conclusoes) {
            texto += &format!("- {linha}\n");
        }
    }
    // Sem linha em branco antes do marcador de fim do bloco.
    texto.truncate(texto.trim_end().len());
    texto.push('\n');
    texto
}

pub fn atualizar(arquivo: &Path, parar: &Arc<AtomicBool>) -> Result<()> {
    let mut blocos = Vec::new();
    let mut ja_dito = Vec::new();
    for (id, cenario, partes) in cenarios_do_relato() {
        eprintln!("cenario: rodando {} ({})...", id, cenario.comando());
        let relatorio = rodar(&cenario, parar)?;
        blocos.push((format!("cenario:{id}"), bloco(&cenario, &relatorio, partes, &mut ja_dito)));
    }
    // A comparação dos modelos vem da última execução completa da escala
    // (medir de novo leva uns 10 min: `just escala --gravar`).
    let raiz = arquivo.parent().unwrap_or(Path::new("."));
    let escala = raiz.join(figuras::ESCALA_JSON);
    if !escala.exists() {
        eprintln!("cenario: {} não existe: o bloco das medidas fica como está", escala.display());
    } else {
        let bloco = ferramentas::relato::modelos_da_escala(&figuras::ler(&escala)?)?;
        blocos.push(("escala:modelos".to_string(), bloco));
    }
    ferramentas::relato::atualizar(arquivo, &blocos)?;
    eprintln!("cenario: {} atualizado", arquivo.display());
    Ok(())
}
