//! Uma rodada de verificações num servidor: cada uma na ordem dos níveis,
//! com o servidor preparado antes (reiniciado se preciso), e o que cada uma
//! revela (o ritmo, o prefixo, a classe, os erros típicos) passado às
//! seguintes.

use super::alvo::Alvo;
use super::diagnostico::{self, Diagnostico, Fonte};
use super::ritmo::Ritmo;
use super::{classe_exigida, concorrencia, inundacao, nivel, ordem, verificacoes};
use super::{Avaliacao, Classe, Contexto, Pedido, Relatorio, Resultado, SO_CONCORRENTES};
use anyhow::Result;
use std::time::{Duration, Instant};

/// Acha (ou inicia) o alvo: o erro diz por que ele não pôde ser alcançado.
pub fn preparar_alvo(pedido: &Pedido) -> Result<Alvo> {
    match &pedido.iniciar {
        Some(comando) => {
            Alvo::iniciar(comando, &pedido.host, pedido.porta, pedido.pasta.as_deref())
        }
        None => Alvo::existente(&pedido.host, pedido.porta),
    }
}

/// O que a rodada já sabe do servidor, das verificações anteriores.
struct Sabido {
    exigida: Option<Classe>,
    contexto: Contexto,
    ritmo: Option<Ritmo>,
    classe: Option<Classe>,
    /// O motivo de as próximas não serem avaliadas (o eco não veio).
    sem_eco: Option<String>,
}

/// Roda as verificações em ordem; `a_cada` recebe cada resultado assim que
/// ele sai (o boletim aparece aos poucos, e quem espera vê o progresso).
pub fn verificar(pedido: &Pedido, mut alvo: Alvo, mut a_cada: impl FnMut(&Resultado)) -> Relatorio {
    let inicio = Instant::now();
    let fonte = Fonte::do_comando(pedido.iniciar.as_deref(), pedido.pasta.as_deref());
    let mut sabido = Sabido {
        exigida: classe_exigida(pedido.parte),
        contexto: Contexto::default(),
        ritmo: None,
        classe: None,
        sem_eco: None,
    };
    let mut resultados: Vec<Resultado> = Vec::new();
    let mut diagnosticos: Vec<Diagnostico> = Vec::new();
    for id in ordem(pedido.parte) {
        let comeco = Instant::now();
        let esgotado = pedido.limite.is_some_and(|l| inicio.elapsed() >= l);
        let preparado = if esgotado || sabido.sem_eco.is_some() { Ok(()) } else { alvo.preparar() };
        let marca = alvo.marca();
        let avaliacao = if esgotado {
            Avaliacao::nao_avaliada("não avaliada: o tempo da verificação deste servidor acabou")
        } else if let Some(motivo) = &sabido.sem_eco {
            Avaliacao::nao_avaliada(format!("não avaliada: {motivo}"))
        } else if let Err(e) = preparado {
            Avaliacao::nao_avaliada(format!("não avaliada: {e:#}"))
        } else {
            avaliar(id, &mut alvo, &mut sabido)
        };
        if avaliacao.ok == Some(false) {
            // Uma falha pode ser o servidor saindo: dá tempo de ver a queda
            // (senão o reinício da próxima verificação a esconderia).
            alvo.terminou_em(Duration::from_millis(500));
        }
        let queda = alvo.queda();
        let erro_escrito = match (&queda, avaliacao.ok) {
            (None, Some(false)) => alvo.erro_escrito(marca),
            _ => None,
        };
        let e_a_concorrencia = id == "concorrencia";
        let mut resultado = Resultado {
            id,
            nivel: nivel(id, pedido.parte),
            ok: avaliacao.ok,
            detalhe: avaliacao.detalhe,
            sintoma: avaliacao.sintoma,
            sem_terminador: avaliacao.sem_terminador,
            queda,
            erro_escrito,
            classe: if e_a_concorrencia { sabido.classe } else { None },
            classe_exigida: if e_a_concorrencia { sabido.exigida } else { None },
            diagnosticos: Vec::new(),
            duracao: comeco.elapsed(),
        };
        // O que o alvo descobriu ao (re)iniciar, e o que esta verificação
        // revela de um erro típico: nomeado uma vez, onde apareceu.
        let mut novos = alvo.diagnosticos();
        novos.extend(diagnostico::do_resultado(&resultado, &sabido.contexto, &fonte));
        for d in novos {
            if !diagnosticos.iter().any(|j| j.id == d.id) {
                diagnosticos.push(d.clone());
                resultado.diagnosticos.push(d);
            }
        }
        a_cada(&resultado);
        resultados.push(resultado);
    }
    let descricao = alvo.descricao();
    let porta_fixa = alvo.porta_fixa();
    alvo.encerrar();
    Relatorio {
        alvo: descricao,
        iniciado: pedido.iniciar.is_some(),
        parte: pedido.parte,
        classe: sabido.classe,
        ritmo: sabido.ritmo,
        prefixo: sabido.contexto.prefixo,
        porta_fixa,
        diagnosticos,
        resultados,
        duracao: inicio.elapsed(),
    }
}

/// Roda a verificação `id` num servidor já preparado, e guarda o que ela
/// revela para as seguintes.
fn avaliar(id: &'static str, alvo: &mut Alvo, sabido: &mut Sabido) -> Avaliacao {
    let ctx = &sabido.contexto;
    match id {
        "eco" => {
            let (avaliacao, medido) = verificacoes::eco(alvo);
            match medido {
                Ok(novo) => {
                    sabido.ritmo = Some(novo.ritmo);
                    sabido.contexto = novo;
                }
                Err(motivo) => sabido.sem_eco = Some(motivo),
            }
            avaliacao
        }
        "concorrencia" => {
            let (avaliacao, medida) = concorrencia::concorrencia(alvo, ctx, sabido.exigida);
            sabido.classe = medida;
            avaliacao
        }
        id if SO_CONCORRENTES.contains(&id) && sabido.classe != Some(Classe::Concorrente) => {
            concorrencia::so_para_concorrentes(sabido.classe)
        }
        "muitos_clientes" => super::muitos::muitos_clientes(alvo, ctx),
        "cliente_que_nao_le" => concorrencia::cliente_que_nao_le(alvo, ctx),
        "cliente_que_inunda" => inundacao::cliente_que_inunda(alvo, ctx),
        _ => verificacoes::rodar(id, alvo, ctx),
    }
}
