//! Das linhas impressas pelos processos às respostas da atividade: quando
//! cada cliente conectou, enviou, recebeu e saiu; quanto esperou; se o
//! atendimento foi serial ou sobreposto.

use crate::execucao::{Evento, Origem, Tipo};
use anyhow::{bail, Result};
use std::time::Duration;

/// O que um cliente viveu, em tempos relativos ao início do cenário.
#[derive(Debug, Default)]
pub struct Cliente {
    pub numero: usize,
    pub pid: u32,
    pub inicio: Duration,
    /// Quando imprimiu "Conectado ao servidor Echo" (o connect() voltou).
    pub conectado: Option<Duration>,
    /// (instante, mensagem) de cada envio.
    pub envios: Vec<(Duration, String)>,
    /// (instante, linha depois de "Resposta: ") de cada resposta.
    pub respostas: Vec<(Duration, String)>,
    /// Quando o processo terminou.
    pub fim: Duration,
    /// Quando a conexão foi fechada ("Conexão encerrada", impresso depois
    /// do fechamento) ou perdida; sem isso, o fim do processo.
    pub desconectado: Option<Duration>,
    pub codigo: Option<i32>,
    /// Uma recusa ou erro relatado pelo cliente.
    pub problema: Option<String>,
}

impl Cliente {
    /// Espera pela primeira resposta: do primeiro envio à primeira resposta.
    pub fn primeira_espera(&self) -> Option<Duration> {
        Some(self.respostas.first()?.0.saturating_sub(self.envios.first()?.0))
    }

    /// Quanto o `connect()` levou (do início do processo à conexão).
    pub fn tempo_de_conexao(&self) -> Option<Duration> {
        Some(self.conectado?.saturating_sub(self.inicio))
    }

    /// Fim da conexão (ou do processo, se não houve conexão).
    pub fn saida(&self) -> Duration {
        self.desconectado.unwrap_or(self.fim)
    }

    /// Intervalos em que o cliente esperava uma resposta.
    pub fn esperas(&self) -> impl Iterator<Item = (Duration, Duration)> + '_ {
        self.envios.iter().enumerate().map(|(k, (envio, _))| {
            let resposta = self.respostas.get(k).map(|r| r.0).unwrap_or(self.saida());
            (*envio, resposta)
        })
    }
}

/// O que o servidor mostrou.
#[derive(Debug, Default)]
pub struct Servidor {
    pub pid: u32,
    /// Maior número de conexões que o programa servidor atendia ao mesmo
    /// tempo (aceitas e ainda não encerradas).
    pub max_ativas: usize,
}

pub struct Analise {
    pub clientes: Vec<Cliente>,
    pub servidor: Servidor,
}

/// Tira o `[hh:mm:ss.mmm] ` do começo, se houver.
pub fn sem_horario(linha: &str) -> &str {
    let b = linha.as_bytes();
    if b.len() >= 15 && b[0] == b'[' && b[13] == b']' && b[14] == b' ' {
        &linha[15..]
    } else {
        linha
    }
}

pub fn analisar(eventos: &[Evento], quantos: usize) -> Result<Analise> {
    let mut clientes: Vec<Cliente> =
        (1..=quantos).map(|numero| Cliente { numero, ..Default::default() }).collect();
    let mut servidor = Servidor::default();
    let mut ativas: i64 = 0;
    for evento in eventos {
        match evento.origem {
            Origem::Servidor => match &evento.tipo {
                Tipo::Iniciou(pid) => servidor.pid = *pid,
                Tipo::Saida(linha) => {
                    let linha = sem_horario(linha);
                    if let Some(n) = linha.split("conexões ativas: ").nth(1) {
                        // Parte 4: o próprio servidor conta.
                        let n: usize = n.trim_end_matches(')').parse().unwrap_or(0);
                        servidor.max_ativas = servidor.max_ativas.max(n);
                    } else if linha.contains("Conectado") {
                        ativas += 1;
                        servidor.max_ativas = servidor.max_ativas.max(ativas as usize);
                    } else if e_desfecho(linha) {
                        ativas -= 1;
                    }
                }
                _ => {}
            },
            Origem::Cliente(n) => {
                let cliente = &mut clientes[n - 1];
                let t = evento.t;
                match &evento.tipo {
                    Tipo::Iniciou(pid) => {
                        cliente.pid = *pid;
                        cliente.inicio = t;
                    }
                    Tipo::Terminou(codigo) => {
                        cliente.fim = t;
                        cliente.codigo = *codigo;
                    }
                    Tipo::Saida(linha) => {
                        let linha = sem_horario(linha);
                        if linha == "Conectado ao servidor Echo" {
                            cliente.conectado = Some(t);
                        } else if let Some(m) = linha.strip_prefix("Digite uma mensagem: ") {
                            let m = m.trim();
                            if !m.is_empty() && !m.eq_ignore_ascii_case("sair") {
                                cliente.envios.push((t, m.to_string()));
                            }
                        } else if linha.starts_with("Conexão encerrada")
                            || linha.starts_with("O servidor encerrou")
                        {
                            cliente.desconectado.get_or_insert(t);
                            if linha.starts_with("O servidor") {
                                cliente.problema = Some(linha.to_string());
                            }
                        } else if let Some(r) = linha.strip_prefix("Resposta: ") {
                            cliente.respostas.push((t, r.to_string()));
                        } else if linha.starts_with("Servidor: ")
                            || linha.starts_with("Erro na conexão")
                        {
                            cliente.problema = Some(linha.to_string());
                        }
                    }
                    Tipo::Erro(linha) => {
                        let linha = sem_horario(linha);
                        if linha.starts_with("Não foi possível conectar") {
                            cliente.problema = Some(linha.to_string());
                        }
                    }
                }
            }
        }
    }
    for cliente in &clientes {
        for (k, (_, resposta)) in cliente.respostas.iter().enumerate() {
            match cliente.envios.get(k) {
                Some((_, enviada)) if *resposta == format!("Echo: {enviada}") => {}
                _ => bail!("eco errado para o cliente {}: recebeu {resposta:?}", cliente.numero),
            }
        }
    }
    Ok(Analise { clientes, servidor })
}

/// Linhas do servidor que encerram uma conexão (todas as partes).
fn e_desfecho(linha: &str) -> bool {
    [
        "(ficou ",
        "Cliente desconectou",
        "Cliente saiu no meio",
        "Conexão com o cliente falhou",
        "Mensagem maior que",
    ]
    .iter()
    .any(|p| linha.contains(p))
}

/// Margem para comparar instantes medidos em processos diferentes: as
/// linhas chegam ao cenário por pipes, com atrasos de escalonamento.
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
