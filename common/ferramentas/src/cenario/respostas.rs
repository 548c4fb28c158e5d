//! As respostas às perguntas da atividade, medidas, em frases que o aluno
//! assinaria: uma por cliente e uma por conclusão.

use super::analise::{sobreposicao, Analise, Cliente};
use super::desenho::{medida, segundos};
use common::texto::quantidade;
use std::fmt::Write as _;
use std::time::Duration;

/// As respostas às perguntas da atividade, medidas, como o aluno as
/// escreveria: uma frase por cliente e uma por conclusão, cada fato dito
/// uma vez só.
pub fn respostas(analise: &Analise, codigo_do_servidor: Option<i32>) -> Respostas {
    let clientes = &analise.clientes;
    let mut linhas = Vec::new();

    for c in clientes {
        if let Some(problema) = &c.problema {
            linhas.push(if problema.contains("Aviso:") {
                format!(
                    "O servidor encerrou a conexão do cliente {} com um aviso: \"{problema}\".",
                    c.numero
                )
            } else {
                format!(
                    "O cliente {} não foi atendido normalmente; ele relatou: \"{problema}\".",
                    c.numero
                )
            });
        }
    }

    for c in clientes {
        if let Some(t) = c.tempo_de_conexao().filter(|t| *t > Duration::from_millis(500)) {
            linhas.push(format!(
                "O `connect()` do cliente {} levou {}: com a fila de conexões cheia, o Linux \
                 descartou o SYN dele, e o `connect()` só voltou quando um SYN reenviado \
                 encontrou lugar na fila.",
                c.numero,
                medida(t)
            ));
        }
    }

    let max_ativas = analise.servidor.max_ativas;
    let conexoes = quantidade(max_ativas as u64, "conexão", "conexões");
    // Com um cliente só (e sem a conexão de teste), não há o que concluir.
    let conclusao = match sobreposicao(clientes) {
        Some((a, b)) => Some(Conclusao {
            tipo: Some("sobreposto"),
            longa: format!(
                "O atendimento foi sobreposto: o cliente {b} recebeu resposta enquanto o \
                 cliente {a}, já atendido, continuava conectado; o servidor chegou a atender \
                 {conexoes} ao mesmo tempo."
            ),
            curta: format!("De novo, o atendimento foi sobreposto ({conexoes} ao mesmo tempo)."),
        }),
        None if clientes.len() > 1 && max_ativas <= 1 => Some(Conclusao {
            tipo: Some("serial"),
            longa: "O atendimento foi serial: o servidor nunca atendeu duas conexões ao mesmo \
                    tempo; cada cliente só foi aceito depois de o anterior sair."
                .to_string(),
            curta: "De novo, o atendimento foi serial.".to_string(),
        }),
        None if clientes.len() > 1 => Some(Conclusao::uma_so(format!(
            "O servidor chegou a atender {conexoes} ao mesmo tempo, mas nenhum cliente recebeu \
             resposta enquanto outro continuava conectado (roteiro curto demais para sobrepor)."
        ))),
        None if max_ativas > 1 => Some(Conclusao::uma_so(format!(
            "Com a conexão de teste, o servidor chegou a atender {conexoes} ao mesmo tempo."
        ))),
        None => None,
    };
    let final_ = codigo_do_servidor
        .map(|codigo| format!("Depois do Ctrl-C, o servidor terminou com código {codigo}."));
    Respostas {
        por_cliente: clientes.iter().map(frase_do_cliente).collect(),
        gerais: linhas,
        conclusao,
        final_,
    }
}

/// A conclusão de um cenário (serial ou sobreposto), com uma forma curta
/// para quando um bloco anterior do relato já tirou a mesma (`tipo`).
pub struct Conclusao {
    /// "serial" ou "sobreposto"; `None` numa conclusão que não se repete.
    pub tipo: Option<&'static str>,
    pub longa: String,
    pub curta: String,
}

impl Conclusao {
    fn uma_so(frase: String) -> Self {
        Conclusao { tipo: None, curta: frase.clone(), longa: frase }
    }
}

/// As respostas de um cenário: uma frase por cliente, as gerais (recusas,
/// SYN descartados), a conclusão e, com Ctrl-C, o código de saída.
pub struct Respostas {
    pub por_cliente: Vec<String>,
    pub gerais: Vec<String>,
    pub conclusao: Option<Conclusao>,
    pub final_: Option<String>,
}

impl Respostas {
    /// As linhas depois das de cada cliente; `curta` escolhe a forma curta
    /// da conclusão.
    pub fn conclusoes(&self, curta: bool) -> Vec<&str> {
        let conclusao = self.conclusao.as_ref().map(|c| if curta { &c.curta } else { &c.longa });
        self.gerais.iter().chain(conclusao).chain(&self.final_).map(String::as_str).collect()
    }
}

/// "O cliente 2 conectou em menos de 2 ms e esperou 2,80 s pela primeira
/// resposta: a mensagem ficou no buffer do socket, sem ser lida, até +3,00 s;
/// ficou conectado de +0,20 s a +3,00 s, recebeu 1 resposta e saiu com
/// código 0."
fn frase_do_cliente(c: &Cliente) -> String {
    let mut frase = format!("O cliente {} ", c.numero);
    match c.tempo_de_conexao() {
        Some(t) => {
            let _ = write!(frase, "conectou em {}", medida(t));
        }
        None => frase.push_str("não conseguiu conectar"),
    }
    if let (Some(espera), Some(primeira)) = (c.primeira_espera(), c.esperas().next()) {
        if espera < Duration::from_millis(10) {
            let _ = write!(frase, " e recebeu a primeira resposta em {}", medida(espera));
        } else {
            let _ = write!(frase, " e esperou {} pela primeira resposta", medida(espera));
            // De quem foi a demora: da mensagem sem ser lida ou do próprio servidor.
            if let Some(nao_lida) = c.primeira_nao_lida() {
                let preparo = espera.saturating_sub(nao_lida);
                if preparo < Duration::from_millis(10) {
                    let _ = write!(
                        frase,
                        ": a mensagem ficou no buffer do socket, sem ser lida, até +{} s",
                        segundos(primeira.envio + nao_lida)
                    );
                } else if nao_lida < Duration::from_millis(10) {
                    let _ = write!(
                        frase,
                        ": o servidor leu a mensagem em {} e levou o resto para responder",
                        medida(nao_lida)
                    );
                } else {
                    let _ =
                        write!(frase, ", {} dele com a mensagem sem ser lida", medida(nao_lida));
                }
            }
        }
    }
    let _ = write!(
        frase,
        "; ficou conectado de +{} s a +{} s, recebeu {}",
        segundos(c.conectado.unwrap_or(c.inicio)),
        segundos(c.saida()),
        quantidade(c.respostas.len() as u64, "resposta", "respostas"),
    );
    match c.codigo {
        Some(n) => {
            let _ = write!(frase, " e saiu com código {n}");
        }
        None => frase.push_str(" e não se sabe o código de saída"),
    }
    frase.push('.');
    frase
}
