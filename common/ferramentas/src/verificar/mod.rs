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
//! - [`alvo`]: iniciar, reiniciar e encerrar o servidor (ou achar um já rodando);
//!   [`shell`]: o comando pelo shell e a árvore de processos dele (no
//!   Windows, num Job Object: `job`);
//! - [`conexao`]: o cliente cru e tolerante (aceita resposta sem `\n`);
//! - [`verificacoes`], [`enquadramento`], [`concorrencia`] e [`inundacao`]: as verificações;
//! - [`diagnostico`]: os erros típicos de aluno, nomeados (porta fixa,
//!   `target=atender(...)`, `input()`, `Address already in use`);
//! - [`boletim`] e [`explicacoes`]: o boletim, o JSON e o porquê de cada falha;
//! - [`turma`]: uma turma inteira num comando.

pub mod alvo;
pub mod boletim;
pub mod concorrencia;
pub mod conexao;
pub mod diagnostico;
pub mod enquadramento;
pub mod explicacoes;
pub mod inundacao;
#[cfg(windows)]
pub mod job;
pub mod ritmo;
pub mod shell;
pub mod turma;
pub mod verificacoes;

use alvo::{Alvo, Queda};
use anyhow::Result;
use diagnostico::Diagnostico;
use ritmo::Ritmo;
use serde::Serialize;
use std::time::{Duration, Instant};

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

/// Acha (ou inicia) o alvo: o erro diz por que ele não pôde ser alcançado.
pub fn preparar_alvo(pedido: &Pedido) -> Result<Alvo> {
    match &pedido.iniciar {
        Some(comando) => {
            Alvo::iniciar(comando, &pedido.host, pedido.porta, pedido.pasta.as_deref())
        }
        None => Alvo::existente(&pedido.host, pedido.porta),
    }
}

/// Roda as verificações em ordem; `a_cada` recebe cada resultado assim que
/// ele sai (o boletim aparece aos poucos, e quem espera vê o progresso).
pub fn verificar(pedido: &Pedido, mut alvo: Alvo, mut a_cada: impl FnMut(&Resultado)) -> Relatorio {
    let inicio = Instant::now();
    let exigida = classe_exigida(pedido.parte);
    let fonte = diagnostico::Fonte::do_comando(pedido.iniciar.as_deref(), pedido.pasta.as_deref());
    let mut contexto = Contexto::default();
    let mut classe = None;
    let mut ritmo = None;
    // O motivo de as próximas não serem avaliadas (o eco não veio).
    let mut sem_eco: Option<String> = None;
    let mut resultados: Vec<Resultado> = Vec::new();
    let mut diagnosticos: Vec<Diagnostico> = Vec::new();
    for id in ordem(pedido.parte) {
        let comeco = Instant::now();
        let esgotado = pedido.limite.is_some_and(|l| inicio.elapsed() >= l);
        let preparado = if esgotado || sem_eco.is_some() { Ok(()) } else { alvo.preparar() };
        let marca = alvo.marca();
        let avaliacao = if esgotado {
            Avaliacao::nao_avaliada("não avaliada: o tempo da verificação deste servidor acabou")
        } else if let Some(motivo) = &sem_eco {
            Avaliacao::nao_avaliada(format!("não avaliada: {motivo}"))
        } else if let Err(e) = preparado {
            Avaliacao::nao_avaliada(format!("não avaliada: {e:#}"))
        } else {
            match id {
                "eco" => {
                    let (avaliacao, medido) = verificacoes::eco(&mut alvo);
                    match medido {
                        Ok(novo) => {
                            ritmo = Some(novo.ritmo);
                            contexto = novo;
                        }
                        Err(motivo) => sem_eco = Some(motivo),
                    }
                    avaliacao
                }
                "concorrencia" => {
                    let (avaliacao, medida) =
                        concorrencia::concorrencia(&mut alvo, &contexto, exigida);
                    classe = medida;
                    avaliacao
                }
                id if SO_CONCORRENTES.contains(&id) && classe != Some(Classe::Concorrente) => {
                    concorrencia::so_para_concorrentes(classe)
                }
                "muitos_clientes" => concorrencia::muitos_clientes(&mut alvo, &contexto),
                "cliente_que_nao_le" => concorrencia::cliente_que_nao_le(&mut alvo, &contexto),
                "cliente_que_inunda" => inundacao::cliente_que_inunda(&mut alvo, &contexto),
                _ => verificacoes::rodar(id, &mut alvo, &contexto),
            }
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
        let mut resultado = Resultado {
            id,
            nivel: nivel(id, pedido.parte),
            ok: avaliacao.ok,
            detalhe: avaliacao.detalhe,
            sintoma: avaliacao.sintoma,
            sem_terminador: avaliacao.sem_terminador,
            queda,
            erro_escrito,
            classe: if id == "concorrencia" { classe } else { None },
            classe_exigida: if id == "concorrencia" { exigida } else { None },
            diagnosticos: Vec::new(),
            duracao: comeco.elapsed(),
        };
        // O que o alvo descobriu ao (re)iniciar, e o que esta verificação
        // revela de um erro típico: nomeado uma vez, onde apareceu.
        let mut novos = alvo.diagnosticos();
        novos.extend(diagnostico::do_resultado(&resultado, &contexto, &fonte));
        for d in novos {
            if !diagnosticos.iter().any(|j| j.id == d.id) {
                diagnosticos.push(d.clone());
                resultado.diagnosticos.push(d);
            }
        }
        a_cada(&resultado);
        resultados.push(resultado);
    }
    let iniciado = pedido.iniciar.is_some();
    let descricao = alvo.descricao();
    let porta_fixa = alvo.porta_fixa();
    alvo.encerrar();
    Relatorio {
        alvo: descricao,
        iniciado,
        parte: pedido.parte,
        classe,
        ritmo,
        prefixo: contexto.prefixo,
        porta_fixa,
        diagnosticos,
        resultados,
        duracao: inicio.elapsed(),
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
    }
}
