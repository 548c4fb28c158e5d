//! O ritmo do servidor: quanto ele leva para responder a um cliente
//! sozinho, medido antes de tudo (na verificação `eco`), e as esperas que
//! saem dele.
//!
//! Um prazo fixo julga mal os servidores que a própria atividade sugere: um
//! `time.sleep(3)` no começo de cada atendimento responde ao segundo cliente
//! em 3 s, e uma janela de 3 s o chamaria de serial; um `time.sleep(2)` por
//! mensagem estoura qualquer prazo pensado para milissegundos. Aqui cada
//! espera é uma folga fixa (para uma máquina carregada) mais um múltiplo do
//! que o servidor mostrou sozinho.

use serde::Serialize;
use std::time::Duration;

/// Acima disto, o servidor é "lento" (um `sleep` no atendimento): o boletim
/// diz isso uma vez, e as esperas crescem com ele.
pub const LENTO: Duration = Duration::from_millis(300);

/// Quanto o servidor levou, sozinho.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Ritmo {
    /// Do `connect()` à primeira resposta (inclui o `accept()` e o que o
    /// servidor faz ao receber um cliente, como um `sleep` por conexão).
    #[serde(serialize_with = "em_ms", rename = "primeira_resposta_ms")]
    pub primeira: Duration,
    /// Uma mensagem seguinte, na mesma conexão (um `sleep` por mensagem).
    #[serde(serialize_with = "em_ms", rename = "resposta_seguinte_ms")]
    pub seguinte: Duration,
}

fn em_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 10_000.0).round() / 10.0)
}

impl Ritmo {
    /// Antes da medida: um servidor rápido.
    pub fn desconhecido() -> Ritmo {
        Ritmo { primeira: Duration::ZERO, seguinte: Duration::ZERO }
    }

    /// O maior dos dois tempos.
    pub fn maior(&self) -> Duration {
        self.primeira.max(self.seguinte)
    }

    pub fn lento(&self) -> bool {
        self.maior() >= LENTO
    }

    /// Prazo de uma resposta: 5 s de folga (uma máquina carregada; um
    /// servidor saudável responde em milissegundos) mais três vezes o que o
    /// servidor levou sozinho.
    pub fn prazo(&self) -> Duration {
        Duration::from_secs(5) + self.maior() * 3
    }

    /// Prazo das coletas de além da atividade (o enquadramento): 2 s de
    /// folga, mais duas vezes o tempo do servidor. Ali um servidor que não
    /// responde costuma ter perdido a thread do cliente, e esperar mais não
    /// muda o veredito.
    pub fn prazo_curto(&self) -> Duration {
        Duration::from_secs(2) + self.maior() * 2
    }

    /// Quanto o cliente B espera, com A conectado, antes de concluir que o
    /// servidor não o atende: 2 s mais três vezes a primeira resposta de um
    /// cliente sozinho (num servidor concorrente, B leva o mesmo que A).
    pub fn janela_com_a_conectado(&self) -> Duration {
        Duration::from_secs(2) + self.primeira * 3
    }

    /// Prazo da resposta à mensagem `i` (a partir de 0) de uma conexão
    /// nova: 2 s mais três vezes o que o servidor levou sozinho para ela. A
    /// primeira inclui o atendimento de um cliente novo (um `time.sleep(3)`
    /// por conexão); as seguintes, o de uma mensagem.
    pub fn prazo_da_mensagem(&self, i: usize) -> Duration {
        let sozinho = if i == 0 { self.primeira } else { self.seguinte };
        Duration::from_secs(2) + sozinho * 3
    }

    /// O silêncio que encerra uma coleta de respostas: se outra resposta
    /// vier, vem no máximo um "tempo de resposta" depois da anterior.
    pub fn silencio(&self) -> Duration {
        Duration::from_millis(700) + self.seguinte * 3 / 2
    }

    /// Quantas mensagens por cliente uma verificação de carga manda: dez num
    /// servidor rápido, menos num lento (cada uma custa um `sleep`).
    pub fn mensagens(&self, maximo: usize) -> usize {
        if self.seguinte.is_zero() {
            return maximo;
        }
        let cabem = (Duration::from_secs(4).as_secs_f64() / self.seguinte.as_secs_f64()) as usize;
        cabem.clamp(2, maximo)
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn as_janelas_crescem_com_o_servidor() {
        let rapido =
            Ritmo { primeira: Duration::from_millis(1), seguinte: Duration::from_millis(1) };
        let por_conexao = Ritmo { primeira: Duration::from_secs(3), seguinte: Duration::ZERO };
        // A janela de B com A conectado cobre com folga os 3 s de um
        // `time.sleep(3)` por conexão (a antiga, fixa, era de 3 s).
        assert!(por_conexao.janela_com_a_conectado() >= Duration::from_secs(9));
        assert!(rapido.janela_com_a_conectado() < Duration::from_secs(3));
        assert!(por_conexao.lento() && !rapido.lento());
        let por_mensagem =
            Ritmo { primeira: Duration::from_secs(2), seguinte: Duration::from_secs(2) };
        assert_eq!((rapido.mensagens(10), por_mensagem.mensagens(10)), (10, 2));
        // A primeira mensagem de uma conexão nova espera o sleep por conexão
        // (um prazo fixo de 2 s reprovava a inundação de um servidor justo).
        assert!(por_conexao.prazo_da_mensagem(0) >= Duration::from_secs(9));
        assert!(por_conexao.prazo_da_mensagem(1) < Duration::from_secs(3));
        assert!(por_mensagem.prazo_da_mensagem(7) >= Duration::from_secs(6));
    }
}
