//! `verificar`: confere, por TCP de verdade, um servidor Echo que ele não
//! conhece (o `servidor.py` de um aluno, um em C ou Java, um dos nossos) e
//! escreve um boletim em português em dois níveis: **o que a atividade
//! pede** (decide o veredito da `--parte`) e **além da atividade** (o
//! enquadramento das mensagens, clientes que abusam: relatado com conselho,
//! contado à parte, nunca reprova a parte).
//!
//! As provas são as dos nossos testes (`teste.rs`) feitas ferramenta: cada
//! verificação abre as suas próprias conexões e tem prazo. Os prazos saem do
//! próprio servidor: a primeira verificação (`eco`) mede quanto ele leva
//! para responder a um cliente sozinho ([`ritmo`]), e toda espera seguinte é
//! medida a partir disso (um `time.sleep(2)` por mensagem não vira "serial"
//! nem "travou").
//!
//! - [`niveis`]: o que cada parte pede, e a ordem; [`rodada`]: as
//!   verificações de um servidor, uma depois da outra;
//! - [`alvo`]: iniciar, reiniciar e encerrar o servidor (ou achar um já rodando);
//!   [`shell`]: o comando pelo shell e a árvore de processos dele (no
//!   Windows, num Job Object: `job`);
//! - [`conexao`] e [`resposta`]: o cliente cru e tolerante (aceita resposta
//!   sem `\n`);
//! - [`verificacoes`], [`enquadramento`], [`concorrencia`], [`muitos`] e
//!   [`inundacao`]: as verificações;
//! - [`diagnostico`]: os erros típicos de aluno, nomeados (porta fixa,
//!   `target=atender(...)`, `input()`, `Address already in use`);
//! - [`boletim`], [`explicacoes`] e [`formato`]: o boletim, o JSON e o
//!   porquê de cada falha;
//! - [`turma`]: uma turma inteira num comando.

pub mod alvo;
pub mod boletim;
pub mod concorrencia;
pub mod conexao;
pub mod diagnostico;
pub mod enquadramento;
pub mod explicacoes;
pub mod formato;
pub mod inundacao;
#[cfg(windows)]
pub mod job;
pub mod muitos;
pub mod niveis;
pub mod resposta;
pub mod ritmo;
pub mod rodada;
pub mod shell;
pub mod turma;
pub mod verificacoes;

pub use niveis::{classe_exigida, nivel, ordem, Nivel, IDS, SO_CONCORRENTES};
pub use rodada::{preparar_alvo, verificar};

use alvo::Queda;
use diagnostico::Diagnostico;
use ritmo::Ritmo;
use serde::Serialize;
use std::time::Duration;

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

/// O que se pediu ao `verificar`.
#[derive(Clone, Debug)]
pub struct Pedido {
    pub host: String,
    pub porta: u16,
    /// `--iniciar "CMD"`.
    pub iniciar: Option<String>,
    /// `--parte N`: o veredito de qual parte.
    pub parte: Option<u8>,
    /// Onde o comando roda (a pasta da entrega, na `turma`); `None`: aqui.
    pub pasta: Option<std::path::PathBuf>,
    /// Tempo máximo da verificação inteira: passado dele, as verificações
    /// que faltam ficam "não avaliadas" (a `turma` não trava num aluno).
    pub limite: Option<Duration>,
}

/// O que o sintoma de uma falha foi: escolhe a explicação que combina com
/// o que aconteceu (fechar sem responder não é cair).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sintoma {
    #[default]
    Nenhum,
    /// Nada chegou no prazo.
    SemResposta,
    /// O servidor fechou a conexão sem responder.
    Fechou,
    /// A leitura falhou (RST: o socket do servidor foi fechado com dados
    /// não lidos, ou o processo caiu).
    Resetou,
    /// Chegou uma resposta, mas não a esperada.
    Errada,
    /// Uma linha `Erro: ...` para uma mensagem válida.
    Recusou,
    /// Respostas partidas ou grudadas: o servidor trata cada `recv()` como
    /// uma mensagem.
    Enquadramento,
    /// Uma espera além do razoável (mas com resposta).
    Lenta,
}

/// Uma verificação feita (ou não).
#[derive(Clone, Debug)]
pub struct Resultado {
    pub id: &'static str,
    pub nivel: Nivel,
    /// `None`: não avaliada (o motivo no `detalhe`).
    pub ok: Option<bool>,
    /// O que foi observado: bytes enviados e recebidos, tempos.
    pub detalhe: String,
    pub sintoma: Sintoma,
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
    /// Os erros típicos nomeados nesta verificação.
    pub diagnosticos: Vec<Diagnostico>,
    /// Quanto a verificação levou (com o reinício do servidor).
    pub duracao: Duration,
}

/// O resultado de tudo, para o boletim e o JSON.
#[derive(Clone, Debug)]
pub struct Relatorio {
    pub alvo: String,
    pub iniciado: bool,
    pub parte: Option<u8>,
    pub classe: Option<Classe>,
    pub ritmo: Option<Ritmo>,
    /// O prefixo que o servidor usa (quando não é `Echo: `).
    pub prefixo: Vec<u8>,
    /// A porta fixa no código do servidor, se ele ignorou a do `{porta}`.
    pub porta_fixa: Option<u16>,
    /// Os erros típicos nomeados ao longo da verificação, sem repetição.
    pub diagnosticos: Vec<Diagnostico>,
    pub resultados: Vec<Resultado>,
    pub duracao: Duration,
}

impl Relatorio {
    /// A parte foi cumprida? Todas as do nível "atividade" passaram (as que
    /// não se aplicam a um servidor serial não contam). Sem `--parte`: `None`.
    pub fn cumpre(&self) -> Option<bool> {
        self.parte?;
        Some(
            self.resultados
                .iter()
                .filter(|r| r.nivel == Nivel::Atividade)
                .all(|r| r.ok == Some(true) || (r.ok.is_none() && nao_se_aplica(r))),
        )
    }

    /// Quantas passaram, de quantas, no nível `nivel` (as que não se
    /// aplicam ficam fora da conta).
    pub fn contagem(&self, nivel: Nivel) -> (usize, usize) {
        let contam: Vec<&Resultado> =
            self.resultados.iter().filter(|r| r.nivel == nivel && !nao_se_aplica(r)).collect();
        (contam.iter().filter(|r| r.ok == Some(true)).count(), contam.len())
    }
}

/// A verificação não se aplica a este servidor (as de atendimento
/// simultâneo num servidor serial): não conta nem a favor nem contra.
pub fn nao_se_aplica(r: &Resultado) -> bool {
    r.ok.is_none() && r.detalhe.starts_with(concorrencia::NAO_SE_APLICA)
}

/// Como uma verificação terminou, antes de saber o nível.
#[derive(Debug, Default)]
pub struct Avaliacao {
    pub ok: Option<bool>,
    pub detalhe: String,
    pub sintoma: Sintoma,
    pub sem_terminador: bool,
}

impl Avaliacao {
    pub fn passou(detalhe: impl Into<String>) -> Avaliacao {
        Avaliacao { ok: Some(true), detalhe: detalhe.into(), ..Avaliacao::default() }
    }
    pub fn falhou(detalhe: impl Into<String>, sintoma: Sintoma) -> Avaliacao {
        Avaliacao { ok: Some(false), detalhe: detalhe.into(), sintoma, ..Avaliacao::default() }
    }
    /// Não avaliada: um pré-requisito falhou, ou não se aplica.
    pub fn nao_avaliada(detalhe: impl Into<String>) -> Avaliacao {
        Avaliacao { ok: None, detalhe: detalhe.into(), ..Avaliacao::default() }
    }
}

/// Uma falha de um passo de verificação: o que foi observado e o sintoma.
#[derive(Debug)]
pub struct Falha {
    pub texto: String,
    pub sintoma: Sintoma,
}

impl Falha {
    pub fn nova(texto: impl Into<String>, sintoma: Sintoma) -> Falha {
        Falha { texto: texto.into(), sintoma }
    }
    /// O mesmo sintoma, com o cenário antes do texto.
    pub fn com_cenario(self, cenario: &str) -> Falha {
        Falha { texto: format!("{cenario}{}", self.texto), sintoma: self.sintoma }
    }
}

/// Um passo que pode reprovar a verificação.
pub type Passo<T> = std::result::Result<T, Falha>;

/// O que as verificações sabem do servidor depois do `eco`.
#[derive(Clone, Debug)]
pub struct Contexto {
    pub ritmo: Ritmo,
    /// O prefixo das respostas: `Echo: `, ou o que o servidor usa (as outras
    /// verificações o aceitam, para o prefixo errado ser apontado uma vez só).
    pub prefixo: Vec<u8>,
}

impl Default for Contexto {
    fn default() -> Contexto {
        Contexto { ritmo: Ritmo::desconhecido(), prefixo: PREFIXO.to_vec() }
    }
}

/// O prefixo que a atividade pede.
pub const PREFIXO: &[u8] = b"Echo: ";

/// Resultados e relatórios de mentira, para os testes de unidade.
#[cfg(test)]
pub(crate) mod exemplo {
    use super::*;

    pub fn resultado(id: &'static str, ok: Option<bool>, detalhe: &str) -> Resultado {
        Resultado {
            id,
            nivel: nivel(id, Some(3)),
            ok,
            detalhe: detalhe.to_string(),
            sintoma: Sintoma::Nenhum,
            sem_terminador: false,
            queda: None,
            erro_escrito: None,
            classe: None,
            classe_exigida: None,
            diagnosticos: Vec::new(),
            duracao: Duration::ZERO,
        }
    }

    pub fn relatorio(parte: Option<u8>, resultados: Vec<Resultado>) -> Relatorio {
        Relatorio {
            alvo: String::new(),
            iniciado: true,
            parte,
            classe: None,
            ritmo: None,
            prefixo: PREFIXO.to_vec(),
            porta_fixa: None,
            diagnosticos: Vec::new(),
            resultados,
            duracao: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod testes {
    use super::exemplo::{relatorio, resultado};
    use super::*;

    #[test]
    fn so_o_nivel_atividade_decide_e_o_que_nao_se_aplica_nao_conta() {
        let alem_falhou = vec![
            resultado("eco", Some(true), ""),
            resultado("muitos_clientes", None, "não se aplica: o servidor é serial"),
            resultado("mensagem_grande", Some(false), ""),
            resultado("cliente_que_nao_le", None, "não se aplica: o servidor é serial"),
        ];
        let r = relatorio(Some(3), alem_falhou);
        assert_eq!(r.cumpre(), Some(true));
        assert_eq!((r.contagem(Nivel::Atividade), r.contagem(Nivel::Alem)), ((1, 1), (0, 1)));
        // Não avaliada por outro motivo (o eco não veio) reprova; sem
        // --parte, não há veredito.
        let sem_eco = vec![resultado("acentos", None, "não avaliada: o servidor não respondeu")];
        assert_eq!(relatorio(Some(1), sem_eco).cumpre(), Some(false));
        assert_eq!(relatorio(None, vec![]).cumpre(), None);
    }
}
