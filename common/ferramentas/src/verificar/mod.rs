//! `verificar`: confere, por TCP de verdade, um servidor Echo que ele não
//! conhece (o `servidor.py` de um aluno, um em C ou Java, um dos nossos) e
//! escreve um boletim em português: o que passou, o que falhou, o que foi
//! observado, por que importa e o que mudar.
//!
//! As provas são as dos nossos testes (`teste.rs`) feitas ferramenta: cada
//! verificação abre as suas próprias conexões, tem prazo e não depende das
//! outras; com `--iniciar`, o servidor é reiniciado entre elas, para uma
//! queda não esconder o resto.
//!
//! - [`alvo`]: iniciar, reiniciar e encerrar o servidor (ou achar um já rodando);
//!   [`shell`]: o comando pelo shell e a árvore de processos dele (no
//!   Windows, num Job Object: `job`);
//! - [`conexao`]: o cliente cru e tolerante (aceita resposta sem `\n`);
//! - [`verificacoes`] e [`concorrencia`]: as verificações, na ordem de [`IDS`];
//! - [`boletim`] e [`explicacoes`]: o boletim, o JSON e o porquê de cada falha.

pub mod alvo;
pub mod boletim;
pub mod concorrencia;
pub mod conexao;
pub mod explicacoes;
#[cfg(windows)]
pub mod job;
pub mod shell;
pub mod verificacoes;

use alvo::{Alvo, Queda};
use anyhow::Result;
use serde::Serialize;

/// As verificações, na ordem em que rodam (e aparecem no boletim).
pub const IDS: [&str; 12] = [
    "eco",
    "acentos",
    "volta_ao_accept",
    "fecha_quando_o_cliente_sai",
    "sobrevive_a_reset",
    "mensagem_em_pedacos",
    "duas_mensagens_juntas",
    "bytes_invalidos",
    "mensagem_grande",
    "concorrencia",
    "muitos_clientes",
    "cliente_que_nao_le",
];

/// O básico do protocolo, exigido desde a Parte 1: responder, voltar ao
/// `accept()`, fechar o socket e enquadrar as mensagens (TCP não tem fronteiras).
const BASICO: [&str; 6] = [
    "eco",
    "acentos",
    "volta_ao_accept",
    "fecha_quando_o_cliente_sai",
    "mensagem_em_pedacos",
    "duas_mensagens_juntas",
];

/// Como o servidor atende dois clientes ao mesmo tempo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Classe {
    /// Um cliente por vez: o segundo espera o primeiro sair.
    Serial,
    /// O segundo é atendido com o primeiro ainda conectado.
    Concorrente,
}

impl Classe {
    pub fn nome(self) -> &'static str {
        match self {
            Classe::Serial => "serial",
            Classe::Concorrente => "concorrente",
        }
    }
}

/// O que a Parte `parte` da atividade exige: as verificações e a classe.
/// Partes 1 e 2: o básico (a 2 também o servidor serial, cuja espera ela
/// observa); Partes 3 e 4: tudo, concorrente, e robusto (o checklist da
/// Parte 3: o erro de um cliente não derruba o servidor).
pub fn exigencias(parte: u8) -> (Vec<&'static str>, Option<Classe>) {
    match parte {
        1 => (BASICO.to_vec(), None),
        2 => {
            let mut ids = BASICO.to_vec();
            ids.push("concorrencia");
            (ids, Some(Classe::Serial))
        }
        _ => (IDS.to_vec(), Some(Classe::Concorrente)),
    }
}

/// O que se pediu ao `verificar`.
#[derive(Clone, Debug)]
pub struct Pedido {
    pub host: String,
    pub porta: u16,
    /// `--iniciar "CMD"`.
    pub iniciar: Option<String>,
    /// `--parte N`: o que é exigido.
    pub parte: Option<u8>,
}

/// Uma verificação feita (ou não).
#[derive(Clone, Debug)]
pub struct Resultado {
    pub id: &'static str,
    /// `None`: não se aplica, ou não rodou (o motivo no `detalhe`).
    pub ok: Option<bool>,
    /// O que foi observado: bytes enviados e recebidos, tempos.
    pub detalhe: String,
    /// Exigida pela `--parte` pedida.
    pub exigida: bool,
    /// Alguma resposta só contou por tolerância: veio sem o `\n` final.
    pub sem_terminador: bool,
    /// O servidor caiu (ou terminou) durante esta verificação.
    pub queda: Option<Queda>,
    /// Numa falha sem queda: o erro que o servidor escreveu (ex.: o
    /// traceback de uma thread que morreu).
    pub erro_escrito: Option<String>,
    /// Só em `concorrencia`: a classe medida, e a que a `--parte` exige.
    pub classe: Option<Classe>,
    pub classe_exigida: Option<Classe>,
}

/// O resultado de tudo, para o boletim e o JSON.
#[derive(Clone, Debug)]
pub struct Relatorio {
    pub alvo: String,
    pub iniciado: bool,
    pub parte: Option<u8>,
    pub classe: Option<Classe>,
    pub resultados: Vec<Resultado>,
}

impl Relatorio {
    /// Todas as exigidas passaram (sem `--parte`, nada é exigido).
    pub fn aprovado(&self) -> bool {
        self.resultados.iter().filter(|r| r.exigida).all(|r| r.ok == Some(true))
    }
}

/// Como uma verificação terminou, antes de saber se era exigida.
#[derive(Debug)]
pub struct Avaliacao {
    pub ok: Option<bool>,
    pub detalhe: String,
    pub sem_terminador: bool,
}

impl Avaliacao {
    pub fn passou(detalhe: impl Into<String>) -> Avaliacao {
        Avaliacao { ok: Some(true), detalhe: detalhe.into(), sem_terminador: false }
    }
    pub fn falhou(detalhe: impl Into<String>) -> Avaliacao {
        Avaliacao { ok: Some(false), detalhe: detalhe.into(), sem_terminador: false }
    }
    pub fn nao_se_aplica(detalhe: impl Into<String>) -> Avaliacao {
        Avaliacao { ok: None, detalhe: detalhe.into(), sem_terminador: false }
    }
}

/// Acha (ou inicia) o alvo: o erro diz por que ele não pôde ser alcançado.
pub fn preparar_alvo(pedido: &Pedido) -> Result<Alvo> {
    match &pedido.iniciar {
        Some(comando) => Alvo::iniciar(comando, &pedido.host, pedido.porta),
        None => Alvo::existente(&pedido.host, pedido.porta),
    }
}

/// Roda as verificações em ordem; `a_cada` recebe cada resultado assim que
/// ele sai (o boletim aparece aos poucos, e quem espera vê o progresso).
pub fn verificar(pedido: &Pedido, mut alvo: Alvo, mut a_cada: impl FnMut(&Resultado)) -> Relatorio {
    let (exigidas, classe_exigida) = match pedido.parte {
        Some(parte) => exigencias(parte),
        None => (Vec::new(), None),
    };
    let mut classe = None;
    let mut resultados = Vec::new();
    for id in IDS {
        let preparado = alvo.preparar();
        let marca = alvo.marca();
        let avaliacao = match preparado {
            Err(e) => Avaliacao::nao_se_aplica(format!("não rodou: {e:#}")),
            Ok(()) => match id {
                "concorrencia" => {
                    let (avaliacao, medida) = concorrencia::concorrencia(&mut alvo, classe_exigida);
                    classe = medida;
                    avaliacao
                }
                "muitos_clientes" | "cliente_que_nao_le" if classe != Some(Classe::Concorrente) => {
                    concorrencia::so_para_concorrentes(classe)
                }
                "muitos_clientes" => concorrencia::muitos_clientes(&mut alvo),
                "cliente_que_nao_le" => concorrencia::cliente_que_nao_le(&mut alvo),
                _ => verificacoes::rodar(id, &mut alvo),
            },
        };
        if avaliacao.ok == Some(false) {
            // Uma falha pode ser o servidor saindo: dá tempo de ver a queda
            // (senão o reinício da próxima verificação a esconderia).
            alvo.terminou_em(std::time::Duration::from_secs(1));
        }
        let queda = alvo.queda();
        let erro_escrito = match (&queda, avaliacao.ok) {
            (None, Some(false)) => alvo.erro_escrito(marca),
            _ => None,
        };
        let resultado = Resultado {
            id,
            ok: avaliacao.ok,
            detalhe: avaliacao.detalhe,
            exigida: exigidas.contains(&id),
            sem_terminador: avaliacao.sem_terminador,
            queda,
            erro_escrito,
            classe: if id == "concorrencia" { classe } else { None },
            classe_exigida: if id == "concorrencia" { classe_exigida } else { None },
        };
        a_cada(&resultado);
        resultados.push(resultado);
    }
    let iniciado = pedido.iniciar.is_some();
    let descricao = alvo.descricao();
    alvo.encerrar();
    Relatorio { alvo: descricao, iniciado, parte: pedido.parte, classe, resultados }
}
