//! A conferência da ordem causal das transcrições do `cenario`, usada pelos
//! testes do `cenario` e do `RELATO.md`.

use apoio::frases::{CONECTADO_COM, CONECTANDO_A, DESCONECTOU, DIGITE, RECEBIDO, RESPOSTA};
use common::protocolo::PREFIXO_ECO;
use common::tempo::{sem_carimbo as sem_horario, Carimbo};

/// Confere as regras da ordem causal numa transcrição do `cenario` (linhas
/// `[servidor]  ...`, `[cliente K] ...`, `[cenario]   ...`): nenhuma resposta
/// antes de o servidor registrar a mensagem; o `Cliente desconectou` de um
/// cliente depois do `sair` dele; o `Conectado com` da Parte 1 depois do
/// `Conectando a`; e a hora de cada processo nunca voltando. Falha o teste
/// mostrando a transcrição.
pub fn conferir_ordem_causal(transcricao: &str) {
    use std::collections::HashMap;
    // (quem: None = servidor, Some(k) = cliente k; texto como foi escrito)
    type Linha = (Option<usize>, String);
    let linhas: Vec<Linha> = transcricao
        .lines()
        .filter_map(|l| {
            if let Some(texto) = l.strip_prefix("[servidor]  ") {
                Some((None, texto.to_string()))
            } else {
                let resto = l.strip_prefix("[cliente ")?;
                let (k, texto) = resto.split_once("] ")?;
                Some((Some(k.parse().ok()?), texto.to_string()))
            }
        })
        .collect();
    let horario = Carimbo::ler;
    let posicao = |pred: &dyn Fn(&Linha) -> bool| linhas.iter().position(pred);
    let mut numero_no_servidor = HashMap::new();
    for (i, (quem, texto)) in linhas.iter().enumerate() {
        let Some(k) = quem else { continue };
        let texto = sem_horario(texto);
        if let Some(mensagem) =
            texto.strip_prefix(RESPOSTA).and_then(|r| r.strip_prefix(PREFIXO_ECO))
        {
            let recebido =
                posicao(&|(q, t)| q.is_none() && t.ends_with(&format!("{RECEBIDO}{mensagem}")))
                    .unwrap_or_else(|| {
                        panic!("o servidor não registrou {mensagem:?}\n{transcricao}")
                    });
            assert!(recebido < i, "resposta antes do Recebido de {mensagem:?}\n{transcricao}");
            let linha = sem_horario(&linhas[recebido].1);
            if let Some(resto) = linha.strip_prefix("[cliente ") {
                numero_no_servidor.insert(*k, resto.split(' ').next().unwrap_or("").to_string());
            }
        }
    }
    for (k, n) in &numero_no_servidor {
        let Some(sair) = posicao(&|(q, t)| {
            *q == Some(*k) && sem_horario(t).ends_with(&format!("{DIGITE} sair"))
        }) else {
            continue; // este cliente não saiu por conta própria
        };
        let saiu = posicao(&|(q, t)| {
            q.is_none()
                && sem_horario(t).starts_with(&format!("[cliente {n} "))
                && t.contains(DESCONECTOU)
        })
        .unwrap_or_else(|| panic!("sem a desconexão do cliente {k}\n{transcricao}"));
        assert!(sair < saiu, "Cliente desconectou antes do sair do cliente {k}\n{transcricao}");
    }
    if numero_no_servidor.is_empty() {
        // Parte 1: um cliente só, sem número no log do servidor.
        let sair = posicao(&|(q, t)| q.is_some() && t.ends_with(&format!("{DIGITE} sair")));
        let saiu = posicao(&|(q, t)| q.is_none() && t == DESCONECTOU);
        assert!(
            sair.zip(saiu).is_some_and(|(a, b)| a < b),
            "sair e desconexão fora de ordem\n{transcricao}"
        );
        let conectando = posicao(&|(q, t)| q.is_some() && sem_horario(t).starts_with(CONECTANDO_A));
        let conectado = posicao(&|(q, t)| q.is_none() && t.starts_with(CONECTADO_COM));
        assert!(conectando < conectado, "Conectado com antes de Conectando a\n{transcricao}");
    }
    let mut ultima: HashMap<Option<usize>, u32> = HashMap::new();
    for (quem, texto) in &linhas {
        if let Some(t) = horario(texto) {
            let anterior = ultima.insert(*quem, t).unwrap_or(0);
            assert!(t >= anterior, "a hora de {quem:?} voltou em {texto:?}\n{transcricao}");
        }
    }
}
