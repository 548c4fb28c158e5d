//! Os dois níveis do boletim: o que a atividade pede em cada parte (decide
//! o veredito) e o que vai além dela (relatado à parte, nunca reprova), e a
//! ordem em que as verificações rodam.

use super::Classe;
use serde::Serialize;

/// Todas as verificações, na ordem canônica: primeiro o que a atividade
/// pede (o eco mede o ritmo do servidor; a concorrência vem logo depois,
/// porque é o que as Partes 3 e 4 pedem), depois o que vai além dela.
pub const IDS: [&str; 14] = [
    "eco",
    "concorrencia",
    "acentos",
    "volta_ao_accept",
    "fecha_quando_o_cliente_sai",
    "sobrevive_a_reset",
    "muitos_clientes",
    "mensagem_em_pedacos",
    "duas_mensagens_juntas",
    "mensagem_grande",
    "bytes_invalidos",
    "caractere_na_fronteira",
    "cliente_que_nao_le",
    "cliente_que_inunda",
];

/// O que as Partes 1 e 2 pedem: responder, voltar ao `accept()`, fechar o
/// socket; e a classe do servidor (a Parte 2 observa o serial).
const PEDE_A_PARTE_1: [&str; 5] =
    ["eco", "concorrencia", "acentos", "volta_ao_accept", "fecha_quando_o_cliente_sai"];
/// As Partes 3 e 4 acrescentam o aceite da Parte 3: concorrente, estável
/// com quedas abruptas e com muitas conexões simultâneas.
const PEDE_A_PARTE_3: [&str; 7] = [
    "eco",
    "concorrencia",
    "acentos",
    "volta_ao_accept",
    "fecha_quando_o_cliente_sai",
    "sobrevive_a_reset",
    "muitos_clientes",
];

/// As que medem o atendimento simultâneo: só para um servidor concorrente.
pub const SO_CONCORRENTES: [&str; 3] =
    ["muitos_clientes", "cliente_que_nao_le", "cliente_que_inunda"];

/// O nível de uma verificação para a parte pedida.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Nivel {
    /// O que a atividade pede: decide o veredito da parte.
    Atividade,
    /// Além da atividade: relatado e contado à parte, nunca reprova.
    Alem,
}

/// O nível de `id` na Parte `parte` (sem parte: a atividade inteira, como
/// nas Partes 3 e 4).
pub fn nivel(id: &str, parte: Option<u8>) -> Nivel {
    let pede: &[&str] = match parte {
        Some(1 | 2) => &PEDE_A_PARTE_1,
        _ => &PEDE_A_PARTE_3,
    };
    if pede.contains(&id) {
        Nivel::Atividade
    } else {
        Nivel::Alem
    }
}

/// A ordem em que as verificações rodam (e aparecem): as do nível
/// "atividade" primeiro, cada grupo na ordem canônica.
pub fn ordem(parte: Option<u8>) -> Vec<&'static str> {
    let mut ids: Vec<&str> =
        IDS.iter().copied().filter(|id| nivel(id, parte) == Nivel::Atividade).collect();
    ids.extend(IDS.iter().copied().filter(|id| nivel(id, parte) == Nivel::Alem));
    ids
}

/// A classe que a Parte `parte` exige: a 2 observa o servidor serial, a 3 e
/// a 4 pedem um concorrente; a 1 aceita qualquer uma.
pub fn classe_exigida(parte: Option<u8>) -> Option<Classe> {
    match parte {
        Some(2) => Some(Classe::Serial),
        Some(3 | 4) => Some(Classe::Concorrente),
        _ => None,
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn as_partes_1_e_2_pedem_menos_e_o_resto_vai_alem() {
        let pede = |parte| {
            ordem(parte).into_iter().filter(|id| nivel(id, parte) == Nivel::Atividade).count()
        };
        assert_eq!((pede(Some(1)), pede(Some(2)), pede(Some(3)), pede(None)), (5, 5, 7, 7));
        assert_eq!(nivel("sobrevive_a_reset", Some(2)), Nivel::Alem);
        assert_eq!(nivel("sobrevive_a_reset", Some(4)), Nivel::Atividade);
        assert_eq!(nivel("caractere_na_fronteira", Some(3)), Nivel::Alem);
        // As do nível "atividade" rodam primeiro, e a concorrência logo
        // depois do eco (que mede o ritmo).
        assert_eq!(&ordem(Some(3))[..2], ["eco", "concorrencia"]);
        assert_eq!(ordem(Some(2))[5], "sobrevive_a_reset");
        assert_eq!(ordem(None).len(), IDS.len());
    }

    #[test]
    fn a_classe_exigida_por_parte() {
        assert_eq!(classe_exigida(Some(1)), None);
        assert_eq!(classe_exigida(Some(2)), Some(Classe::Serial));
        assert_eq!(classe_exigida(Some(4)), Some(Classe::Concorrente));
        assert_eq!(classe_exigida(None), None);
    }
}
