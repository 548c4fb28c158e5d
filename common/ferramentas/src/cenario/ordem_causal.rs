//! A conferência da ordem causal de uma transcrição pronta do `cenario`
//! (a saída de [`super::desenho::transcricao`]), usada pelos testes do
//! `cenario` e do `RELATO.md`. Lê as linhas com as mesmas funções que as
//! puseram em ordem ([`do_servidor`], [`horario`], e o inverso do rótulo de
//! cada linha, [`ler_linha_da_transcricao`]): uma regra de leitura só, dos
//! dois lados.

use super::desenho::ler_linha_da_transcricao;
use super::ordem::{do_servidor, horario, Origem};
use apoio::frases::{CONECTADO_COM, CONECTANDO_A, DESCONECTOU, DIGITE, RECEBIDO, RESPOSTA};
use common::protocolo::PREFIXO_ECO;
use common::tempo::sem_carimbo;
use std::collections::HashMap;

/// Confere as regras da ordem causal numa transcrição do `cenario` (linhas
/// `[servidor]  ...`, `[cliente K] ...`, `[cenario]   ...`): nenhuma resposta
/// antes de o servidor registrar a mensagem; o `Cliente desconectou` de um
/// cliente depois do `sair` dele; o `Conectado com` da Parte 1 depois do
/// `Conectando a`; e a hora nunca voltando, de linha a linha. Falha o teste
/// mostrando a transcrição.
pub fn conferir_ordem_causal(transcricao: &str) {
    let linhas: Vec<(Origem, &str)> =
        transcricao.lines().filter_map(ler_linha_da_transcricao).collect();
    let posicao =
        |pred: &dyn Fn(Origem, &str) -> bool| linhas.iter().position(|(o, t)| pred(*o, t));
    let do_servidor_com = |o: Origem, t: &str, pred: &dyn Fn(Option<u64>, &str) -> bool| {
        o == Origem::Servidor && {
            let (numero, resto) = do_servidor(t);
            pred(numero, resto)
        }
    };
    let sair = format!("{DIGITE}sair");

    // Cada resposta vem depois do `Recebido` da mensagem no servidor, que diz
    // também o número que o servidor deu ao cliente (Parte 2 em diante).
    let mut numero_no_servidor: HashMap<usize, u64> = HashMap::new();
    for (i, (origem, texto)) in linhas.iter().enumerate() {
        let Origem::Cliente(k) = origem else { continue };
        let eco =
            sem_carimbo(texto).strip_prefix(RESPOSTA).and_then(|r| r.strip_prefix(PREFIXO_ECO));
        let Some(mensagem) = eco else { continue };
        let recebido = posicao(&|o, t| {
            do_servidor_com(o, t, &|_, resto| resto.strip_prefix(RECEBIDO) == Some(mensagem))
        })
        .unwrap_or_else(|| panic!("o servidor não registrou {mensagem:?}\n{transcricao}"));
        assert!(recebido < i, "resposta antes do Recebido de {mensagem:?}\n{transcricao}");
        if let (Some(n), _) = do_servidor(linhas[recebido].1) {
            numero_no_servidor.insert(*k, n);
        }
    }

    // O `sair` de um cliente vem antes do `Cliente desconectou` dele.
    for (k, n) in &numero_no_servidor {
        let Some(saiu_do_cliente) =
            posicao(&|o, t| o == Origem::Cliente(*k) && sem_carimbo(t).ends_with(&sair))
        else {
            continue; // este cliente não saiu por conta própria
        };
        let desconectou = posicao(&|o, t| {
            do_servidor_com(o, t, &|numero, resto| {
                numero == Some(*n) && resto.starts_with(DESCONECTOU)
            })
        })
        .unwrap_or_else(|| panic!("sem a desconexão do cliente {k}\n{transcricao}"));
        assert!(
            saiu_do_cliente < desconectou,
            "Cliente desconectou antes do sair do cliente {k}\n{transcricao}"
        );
    }

    if numero_no_servidor.is_empty() {
        // Parte 1: um cliente só, sem número no log do servidor.
        let cliente = |o: Origem| matches!(o, Origem::Cliente(_));
        let saiu_do_cliente = posicao(&|o, t| cliente(o) && sem_carimbo(t).ends_with(&sair));
        let desconectou = posicao(&|o, t| do_servidor_com(o, t, &|_, resto| resto == DESCONECTOU));
        assert!(
            saiu_do_cliente.zip(desconectou).is_some_and(|(a, b)| a < b),
            "sair e desconexão fora de ordem\n{transcricao}"
        );
        let conectando = posicao(&|o, t| cliente(o) && sem_carimbo(t).starts_with(CONECTANDO_A));
        let conectado =
            posicao(&|o, t| do_servidor_com(o, t, &|_, resto| resto.starts_with(CONECTADO_COM)));
        assert!(conectando < conectado, "Conectado com antes de Conectando a\n{transcricao}");
    }

    // A hora nunca volta, de um processo ao seguinte também: nenhuma linha
    // sai depois de outra de hora maior (a hora de cada processo e as
    // regras acima concordam com o relógio; ver `ordem::horas_que_so_crescem`).
    let mut ultima: Option<(f64, &str)> = None;
    for (_, texto) in &linhas {
        if let Some(t) = horario(texto) {
            if let Some((anterior, linha)) = ultima {
                assert!(
                    t >= anterior,
                    "a hora voltou: {texto:?} depois de {linha:?}\n{transcricao}"
                );
            }
            ultima = Some((t, texto));
        }
    }
}
