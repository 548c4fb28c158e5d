//! Das linhas impressas pelos processos às respostas da atividade: quando
//! cada cliente conectou, enviou, recebeu e saiu; quanto esperou; se o
//! atendimento foi serial ou sobreposto. Todos os instantes de um cliente
//! vêm do relógio dele (`--tempo`).

use super::execucao::{Executado, Resultado};
use super::ordem::{desfecho, do_servidor, enviada, horario, ms_do_dia};
use anyhow::{bail, Result};
use apoio::frases::{
    CONECTADO, CONECTADO_AO_SERVIDOR, CONECTANDO_A, CONEXAO_ENCERRADA, CONEXOES_ATIVAS,
    DO_SERVIDOR, ERRO_NA_CONEXAO, NAO_CONECTOU, RECEBIDO, RESPOSTA, SERVIDOR_ENCERROU,
};
use common::protocolo::PREFIXO_ECO;
use common::tempo::sem_carimbo;
use std::time::Duration;

/// O que um cliente viveu, em tempos relativos ao início do cenário.
#[derive(Debug, Default)]
pub struct Cliente {
    pub numero: usize,
    pub pid: u32,
    /// Quando imprimiu `Conectando a ...`, logo antes do `connect()`.
    pub inicio: Duration,
    /// Quando o `connect()` voltou (`Conectado ao servidor Echo`).
    pub conectado: Option<Duration>,
    /// (instante, mensagem) de cada envio.
    pub envios: Vec<(Duration, String)>,
    /// (instante, linha depois de "Resposta: ") de cada resposta.
    pub respostas: Vec<(Duration, String)>,
    /// Para cada envio, quando o servidor registrou `Recebido` dessa
    /// mensagem (o `read()` dele a entregou); `None` sem esse registro.
    pub lidas: Vec<Option<Duration>>,
    /// Quando a conexão foi fechada (`Conexão encerrada`, impresso depois do
    /// fechamento) ou perdida; sem isso, o fim do processo.
    pub desconectado: Option<Duration>,
    /// Quando o processo terminou.
    pub fim: Duration,
    pub codigo: Option<i32>,
    /// Uma recusa ou erro relatado pelo cliente.
    pub problema: Option<String>,
}

impl Cliente {
    /// Espera pela primeira resposta: do primeiro envio à primeira resposta.
    pub fn primeira_espera(&self) -> Option<Duration> {
        Some(self.respostas.first()?.0.saturating_sub(self.envios.first()?.0))
    }

    /// Quanto o `connect()` levou: do `Conectando` ao `Conectado`.
    pub fn tempo_de_conexao(&self) -> Option<Duration> {
        Some(self.conectado?.saturating_sub(self.inicio))
    }

    /// Fim da conexão (ou do processo, se não houve conexão).
    pub fn saida(&self) -> Duration {
        self.desconectado.unwrap_or(self.fim)
    }

    /// Intervalos em que o cliente esperava uma resposta: (envio, quando o
    /// servidor leu a mensagem, se se sabe, resposta).
    pub fn esperas(&self) -> impl Iterator<Item = Espera> + '_ {
        self.envios.iter().enumerate().map(|(k, (envio, _))| {
            // Uma resposta (ou a saída) nunca antes do envio: com os carimbos em
            // milissegundos, os dois podem empatar ou inverter por arredondamento.
            let resposta = self.respostas.get(k).map(|r| r.0).unwrap_or(self.saida()).max(*envio);
            let lida = self.lidas.get(k).copied().flatten().map(|l| l.clamp(*envio, resposta));
            Espera { envio: *envio, lida, resposta }
        })
    }

    /// Quanto a primeira mensagem ficou sem ser lida pelo servidor.
    pub fn primeira_nao_lida(&self) -> Option<Duration> {
        let espera = self.esperas().next()?;
        Some(espera.lida?.saturating_sub(espera.envio))
    }
}

/// Uma espera por resposta, vista pelo cliente, com o instante em que o
/// servidor leu a mensagem: antes dele, a mensagem estava no buffer do
/// socket, com o servidor ocupado com outra coisa; depois, o servidor
/// já a tinha e preparava a resposta.
#[derive(Clone, Copy, Debug)]
pub struct Espera {
    pub envio: Duration,
    pub lida: Option<Duration>,
    pub resposta: Duration,
}

/// O que o servidor mostrou.
#[derive(Debug, Default)]
pub struct Servidor {
    pub pid: u32,
    /// Maior número de conexões que o programa servidor atendia ao mesmo
    /// tempo (aceitas e ainda não encerradas), segundo o log dele.
    pub max_ativas: usize,
}

pub struct Analise {
    pub clientes: Vec<Cliente>,
    pub servidor: Servidor,
}

/// Os instantes do cenário contam a partir do `Conectando` do primeiro cliente.
pub fn analisar(resultado: &Resultado) -> Result<Analise> {
    let zero = resultado
        .clientes
        .iter()
        .filter_map(|c| c.linhas.first().and_then(|l| horario(&l.texto)))
        .fold(f64::INFINITY, f64::min);
    let zero = if zero.is_finite() { zero } else { ms_do_dia(resultado.servidor.inicio) };
    let relativo = |t: f64| Duration::from_secs_f64(((t - zero).max(0.0)) / 1000.0);
    let clientes = resultado
        .clientes
        .iter()
        .enumerate()
        .map(|(k, c)| cliente(k + 1, c, &relativo))
        .collect::<Result<Vec<_>>>()?;
    let clientes = marcar_leituras(clientes, &resultado.servidor, &relativo);
    Ok(Analise {
        clientes,
        servidor: Servidor {
            pid: resultado.servidor.pid,
            max_ativas: max_ativas(&resultado.servidor),
        },
    })
}

fn cliente(numero: usize, c: &Executado, relativo: &dyn Fn(f64) -> Duration) -> Result<Cliente> {
    let fim = relativo(ms_do_dia(c.fim));
    let mut cliente = Cliente {
        numero,
        pid: c.pid,
        inicio: relativo(ms_do_dia(c.inicio)),
        fim,
        codigo: c.codigo,
        ..Default::default()
    };
    for linha in &c.linhas {
        let t = horario(&linha.texto).map(relativo).unwrap_or(fim);
        let texto = sem_carimbo(&linha.texto);
        if texto.starts_with(CONECTANDO_A) {
            cliente.inicio = t;
        } else if texto == CONECTADO_AO_SERVIDOR {
            cliente.conectado = Some(t);
        } else if let Some(m) = enviada(&linha.texto) {
            cliente.envios.push((t, m.to_string()));
        } else if let Some(r) = texto.strip_prefix(RESPOSTA) {
            cliente.respostas.push((t, r.to_string()));
        } else if texto.starts_with(CONEXAO_ENCERRADA) || texto.starts_with(SERVIDOR_ENCERROU) {
            cliente.desconectado.get_or_insert(t);
            if texto.starts_with(SERVIDOR_ENCERROU) {
                cliente.problema = Some(texto.to_string());
            }
        } else if texto.starts_with(DO_SERVIDOR)
            || texto.starts_with(ERRO_NA_CONEXAO)
            || texto.starts_with(NAO_CONECTOU)
        {
            cliente.problema = Some(texto.to_string());
        }
    }
    for (k, (_, resposta)) in cliente.respostas.iter().enumerate() {
        match cliente.envios.get(k) {
            Some((_, enviada)) if *resposta == format!("{PREFIXO_ECO}{enviada}") => {}
            _ => bail!("eco errado para o cliente {numero}: recebeu {resposta:?}"),
        }
    }
    Ok(cliente)
}

/// Para cada mensagem enviada, o primeiro `Recebido` dela no log do servidor
/// que não veio antes do envio (com a margem do relógio de 1 ms). As
/// mensagens do cenário são únicas ("olá, sou o cliente 2"), então o texto
/// basta para saber de quem é.
fn marcar_leituras(
    mut clientes: Vec<Cliente>,
    servidor: &Executado,
    relativo: &dyn Fn(f64) -> Duration,
) -> Vec<Cliente> {
    let mut recebidas: Vec<(Duration, &str, bool)> = servidor
        .linhas
        .iter()
        .filter_map(|linha| {
            let t = relativo(horario(&linha.texto)?);
            Some((t, do_servidor(&linha.texto).1.strip_prefix(RECEBIDO)?, false))
        })
        .collect();
    for cliente in &mut clientes {
        cliente.lidas = cliente
            .envios
            .iter()
            .map(|(envio, mensagem)| {
                let (t, _, usada) = recebidas.iter_mut().find(|(t, m, usada)| {
                    !*usada && m == mensagem && *t + Duration::from_millis(1) >= *envio
                })?;
                *usada = true;
                Some(*t)
            })
            .collect();
    }
    clientes
}

/// O maior número de conexões abertas ao mesmo tempo, segundo o log.
fn max_ativas(servidor: &Executado) -> usize {
    let mut ativas: i64 = 0;
    let mut maximo = 0;
    for linha in &servidor.linhas {
        let (_, resto) = do_servidor(&linha.texto);
        if let Some(n) = resto.split(CONEXOES_ATIVAS).nth(1) {
            // Parte 4: o próprio servidor conta.
            let n: usize = n.trim_end_matches(')').parse().unwrap_or(0);
            maximo = maximo.max(n);
        } else if resto.starts_with(CONECTADO) {
            ativas += 1;
            maximo = maximo.max(ativas as usize);
        } else if desfecho(resto) {
            ativas -= 1;
        }
    }
    maximo
}

/// Margem para comparar instantes de processos diferentes (cada um lê o
/// relógio com 1 ms de resolução, e o escalonador atrasa um pouco cada um).
const MARGEM: Duration = Duration::from_millis(100);

/// Houve atendimento sobreposto, visto pelos clientes? Um cliente recebeu
/// uma resposta enquanto outro, já atendido antes, continuava conectado (com
/// folga de [`MARGEM`] antes de ele sair). Num servidor serial isso não
/// acontece: o segundo só é aceito quando o primeiro sai.
pub fn sobreposicao(clientes: &[Cliente]) -> Option<(usize, usize)> {
    for a in clientes {
        for b in clientes {
            if a.numero == b.numero {
                continue;
            }
            let Some((primeira_a, _)) = a.respostas.first() else { continue };
            if b.respostas.iter().any(|(t, _)| *t > *primeira_a && *t + MARGEM < a.saida()) {
                return Some((a.numero, b.numero));
            }
        }
    }
    None
}
