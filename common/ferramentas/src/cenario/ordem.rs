//! A transcrição intercalada em ordem causal.
//!
//! Cada processo escreve as suas linhas num pipe próprio, e a ordem em que
//! elas chegam ao `cenario` depende do escalonador: a resposta do cliente
//! pode chegar antes da linha `Recebido` do servidor que a causou. Por isso
//! a ordem não é a de chegada. As regras:
//!
//! 1. as linhas de um processo ficam na ordem em que ele as escreveu (a
//!    saída padrão e a de erros vêm do mesmo pipe);
//! 2. entre processos, vale o relógio de cada um: a hora que ele imprimiu
//!    (`[hh:mm:ss.mmm]`), tomada no momento do evento, ou, numa linha sem
//!    hora (o banner, o servidor da Parte 1), a hora em que ela chegou aqui,
//!    que é sempre depois de o processo escrevê-la; e nenhuma linha fica
//!    com hora maior que a de uma linha que tem de vir depois dela (ver
//!    [`horas_que_so_crescem`]);
//! 3. o que o protocolo torna causal é respeitado mesmo dentro do mesmo
//!    milissegundo: o envio de uma mensagem vem antes do `Recebido` dela no
//!    servidor, que vem antes da resposta no cliente; o `Conectando` do
//!    cliente vem antes do `Conectado` no servidor; o `sair` do cliente vem
//!    antes do `Cliente desconectou`;
//! 4. no mesmo milissegundo, sem regra que decida, o `Conectando` de um
//!    cliente vem antes das linhas do servidor que se seguem ao seu começo
//!    (ver [`posto`]).

use super::execucao::{Executado, Resultado};
use apoio::frases::{
    cliente_saiu, encerra_conexao, AGUARDANDO_CONEXAO, AGUARDANDO_CONEXOES, CLIENTE, CONECTADO,
    CONECTADO_COM, CONECTANDO_A, CONEXAO_ENCERRADA, DIGITE, RECEBIDO, RESPOSTA,
};
use chrono::{DateTime, Local, Timelike};
use common::protocolo::PREFIXO_ECO;
use common::tempo::{sem_carimbo, Carimbo};
use std::collections::HashMap;
use std::time::SystemTime;

/// Quem escreveu a linha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origem {
    Servidor,
    /// Número do cliente no cenário, a partir de 1.
    Cliente(usize),
    /// O próprio cenário (o Ctrl-C que ele enviou, a conexão de teste).
    Cenario,
}

/// Uma linha da transcrição, já no seu lugar.
#[derive(Clone, Debug)]
pub struct Evento {
    pub origem: Origem,
    /// A linha como o processo a escreveu.
    pub texto: String,
}

const DIA_MS: f64 = 86_400_000.0;

/// Milissegundos desde a meia-noite local de um instante.
pub fn ms_do_dia(instante: SystemTime) -> f64 {
    let local: DateTime<Local> = instante.into();
    f64::from(local.num_seconds_from_midnight()) * 1000.0
        + f64::from(local.nanosecond() % 1_000_000_000) / 1e6
}

/// A hora `[hh:mm:ss.mmm]` do começo da linha, em milissegundos do dia
/// (lida por [`Carimbo::ler`], ao lado de quem a imprime), como `f64` para
/// as contas com [`ms_do_dia`].
pub fn horario(linha: &str) -> Option<f64> {
    Carimbo::ler(linha).map(f64::from)
}

/// Uma linha, com a sua hora já escolhida.
struct Item {
    texto: String,
    t: f64,
    chegada: f64,
}

fn itens(executado: &Executado, referencia: f64) -> Vec<Item> {
    // Um cenário dura segundos; se passar da meia-noite, as horas são
    // trazidas para perto da referência.
    let perto = |t: f64| {
        if t < referencia - DIA_MS / 2.0 {
            t + DIA_MS
        } else if t > referencia + DIA_MS / 2.0 {
            t - DIA_MS
        } else {
            t
        }
    };
    executado
        .linhas
        .iter()
        .filter(|l| !l.texto.trim().is_empty())
        .map(|l| {
            let chegada = perto(ms_do_dia(l.chegada));
            let t = horario(&l.texto).map(perto).unwrap_or(chegada);
            Item { texto: l.texto.clone(), t, chegada }
        })
        .collect()
}

/// O que uma linha do servidor diz, sem a hora: de qual cliente (o número
/// que o servidor deu, a partir da Parte 2) e o resto.
pub fn do_servidor(linha: &str) -> (Option<u64>, &str) {
    let linha = sem_carimbo(linha);
    if let Some(resto) = linha.strip_prefix(CLIENTE) {
        let numero = resto.split(' ').next().and_then(|n| n.parse().ok());
        if let Some(fim) = resto.find("] ") {
            return (numero, &resto[fim + 2..]);
        }
    }
    (None, linha)
}

/// Linhas do servidor que encerram uma conexão (todas as partes).
pub fn desfecho(resto: &str) -> bool {
    encerra_conexao(resto)
}

/// A mensagem de uma linha `Digite uma mensagem: ...` de um cliente, se
/// ela foi de fato enviada (não vazia, não `sair`).
pub fn enviada(linha_do_cliente: &str) -> Option<&str> {
    let m = sem_carimbo(linha_do_cliente).strip_prefix(DIGITE)?.trim();
    (!m.is_empty() && !m.eq_ignore_ascii_case("sair")).then_some(m)
}

/// Junta as linhas de todos os processos em ordem causal.
pub fn ordenar(resultado: &Resultado) -> Vec<Evento> {
    let referencia = ms_do_dia(resultado.servidor.inicio);
    let mut fluxos: Vec<(Origem, Vec<Item>)> =
        vec![(Origem::Servidor, itens(&resultado.servidor, referencia))];
    for (k, cliente) in resultado.clientes.iter().enumerate() {
        fluxos.push((Origem::Cliente(k + 1), itens(cliente, referencia)));
    }
    let notas = Executado { linhas: resultado.notas.clone(), ..resultado.servidor.clone() };
    fluxos.push((Origem::Cenario, itens(&notas, referencia)));
    let antes = dependencias(&fluxos);
    horas_que_so_crescem(&mut fluxos, &antes);
    // O começo do servidor: até o primeiro `Aguardando conexão...` (Partes
    // 1 e 2) ou `Aguardando conexões...` (Partes 3 e 4).
    let inicio_do_servidor = fluxos[0]
        .1
        .iter()
        .position(|l| {
            let texto = sem_carimbo(&l.texto);
            texto.starts_with(AGUARDANDO_CONEXAO) || texto.starts_with(AGUARDANDO_CONEXOES)
        })
        .unwrap_or(0);

    // Junta os fluxos: a cada passo, entre as próximas linhas de cada
    // processo cujas causas já saíram, a de hora menor.
    let mut proxima = vec![0usize; fluxos.len()];
    let mut saida = Vec::new();
    loop {
        let pronta = |f: usize| {
            let i = proxima[f];
            i < fluxos[f].1.len()
                && antes
                    .get(&(f, i))
                    .is_none_or(|causas| causas.iter().all(|&(g, j)| proxima[g] > j))
        };
        let chave = |f: usize| {
            let item = &fluxos[f].1[proxima[f]];
            (
                item.t,
                posto(fluxos[f].0, proxima[f] <= inicio_do_servidor, &item.texto),
                item.chegada,
            )
        };
        let menor = |candidatas: &mut dyn Iterator<Item = usize>| {
            candidatas.min_by(|&a, &b| chave(a).partial_cmp(&chave(b)).expect("horas finitas"))
        };
        let escolhida = menor(&mut (0..fluxos.len()).filter(|&f| pronta(f)))
            // Nenhuma pronta: só se as regras se contradissessem (um
            // roteiro estranho); segue pela hora.
            .or_else(|| menor(&mut (0..fluxos.len()).filter(|&f| proxima[f] < fluxos[f].1.len())));
        let Some(f) = escolhida else { break };
        let item = &fluxos[f].1[proxima[f]];
        saida.push(Evento { origem: fluxos[f].0, texto: item.texto.clone() });
        proxima[f] += 1;
    }
    saida
}

/// Baixa a hora de cada linha até a menor hora do que tem de vir depois
/// dela: a linha seguinte do mesmo processo (escrita depois) e as linhas de
/// outros processos que ela causa (regra 3).
///
/// Por quê: a hora de chegada de uma linha sem hora atrasa quando a máquina
/// está ocupada e o `cenario` lê o pipe tarde. O banner do servidor, lido aos
/// .130, seguraria atrás de si o `Aguardando conexões...` de .121 (o servidor
/// o escreveu depois do banner), e as linhas de .130 dos clientes passariam
/// na frente dele: uma linha de hora menor depois de uma de hora maior. Com
/// o ajuste, as horas só crescem ao longo de cada processo e de cada regra;
/// então a junção, que sempre escolhe a menor hora entre as linhas prontas,
/// escreve as horas em ordem crescente: uma linha nunca sai depois de outra
/// de hora maior. A hora impressa de uma linha só baixaria se o que vem
/// depois dela tivesse hora menor: o processo voltando no relógio, ou uma
/// regra contra o relógio (uma causa com hora depois do efeito). Num
/// relógio só, nenhum dos dois acontece, e a conferência dos testes
/// ([`super::ordem_causal::conferir_ordem_causal`]) o confere.
fn horas_que_so_crescem(
    fluxos: &mut [(Origem, Vec<Item>)],
    antes: &HashMap<(usize, usize), Vec<(usize, usize)>>,
) {
    // Cada volta leva a hora menor um passo adiante (ao longo de um processo
    // inteiro, ou por uma regra); as horas só baixam, até parar de mudar.
    // Nunca são precisas mais voltas que linhas.
    let linhas: usize = fluxos.iter().map(|(_, itens)| itens.len()).sum();
    for _ in 0..=linhas {
        let mut mudou = false;
        for (_, itens) in fluxos.iter_mut() {
            for i in (1..itens.len()).rev() {
                if itens[i].t < itens[i - 1].t {
                    itens[i - 1].t = itens[i].t;
                    mudou = true;
                }
            }
        }
        for (&(f, i), causas) in antes {
            let t = fluxos[f].1[i].t;
            for &(g, j) in causas {
                if t < fluxos[g].1[j].t {
                    fluxos[g].1[j].t = t;
                    mudou = true;
                }
            }
        }
        if !mudou {
            break;
        }
    }
}

/// O desempate entre linhas do mesmo milissegundo: primeiro o começo do
/// servidor (o banner e o primeiro `Aguardando conexão...`), depois o
/// `Conectando a` de um cliente, depois o resto: nenhuma linha do servidor
/// com hora causa o `Conectando` de um cliente, então, no mesmo
/// milissegundo, o `Conectando` vem antes.
fn posto(origem: Origem, comeco_do_servidor: bool, texto: &str) -> u8 {
    match origem {
        Origem::Servidor if comeco_do_servidor => 0,
        Origem::Cliente(_) if sem_carimbo(texto).starts_with(CONECTANDO_A) => 1,
        _ => 2,
    }
}

/// As regras causais do protocolo: para cada linha (fluxo, índice), as
/// linhas de outros processos que têm de vir antes dela.
fn dependencias(fluxos: &[(Origem, Vec<Item>)]) -> HashMap<(usize, usize), Vec<(usize, usize)>> {
    let mut antes: HashMap<(usize, usize), Vec<(usize, usize)>> = HashMap::new();
    let servidor = &fluxos[0].1;

    // As conexões do servidor: pelo número que ele dá ao cliente (Parte 2
    // em diante) ou, sem número (Parte 1), uma depois da outra.
    let mut conexao_de_cada_linha: Vec<Option<u64>> = Vec::with_capacity(servidor.len());
    let mut atual: Option<u64> = None;
    let mut seguinte = 0;
    for item in servidor {
        let (numero, resto) = do_servidor(&item.texto);
        let conexao = match numero {
            Some(n) => Some(n),
            None if resto.starts_with(CONECTADO_COM) => {
                seguinte += 1;
                atual = Some(seguinte);
                atual
            }
            None if desfecho(resto) => atual.take(),
            None => atual,
        };
        conexao_de_cada_linha.push(conexao);
    }

    // Cada `Recebido` do servidor casa com o envio de um cliente (as
    // mensagens do roteiro são únicas) e diz de quem é aquela conexão.
    let mut usado: HashMap<(usize, usize), bool> = HashMap::new();
    let mut cliente_da_conexao: HashMap<u64, usize> = HashMap::new();
    for (j, item) in servidor.iter().enumerate() {
        let (_, resto) = do_servidor(&item.texto);
        let Some(mensagem) = resto.strip_prefix(RECEBIDO) else { continue };
        let envio = (1..fluxos.len()).filter(|&f| fluxos[f].0 != Origem::Cenario).find_map(|f| {
            fluxos[f].1.iter().enumerate().find_map(|(i, l)| {
                (enviada(&l.texto) == Some(mensagem) && !usado.contains_key(&(f, i)))
                    .then_some((f, i))
            })
        });
        let Some((f, i)) = envio else { continue };
        usado.insert((f, i), true);
        antes.entry((0, j)).or_default().push((f, i));
        if let Some(conexao) = conexao_de_cada_linha[j] {
            cliente_da_conexao.insert(conexao, f);
        }
        // A resposta a essa mensagem, no cliente, vem depois do `Recebido`.
        let eco = format!("{RESPOSTA}{PREFIXO_ECO}{mensagem}");
        if let Some(r) = fluxos[f].1.iter().position(|l| sem_carimbo(&l.texto) == eco) {
            antes.entry((f, r)).or_default().push((0, j));
        }
    }

    // Conexão e desconexão de cada cliente identificado.
    for (j, item) in servidor.iter().enumerate() {
        let (_, resto) = do_servidor(&item.texto);
        let Some(f) = conexao_de_cada_linha[j].and_then(|c| cliente_da_conexao.get(&c)) else {
            continue;
        };
        let cliente = &fluxos[*f].1;
        if resto.starts_with(CONECTADO) {
            if let Some(i) =
                cliente.iter().position(|l| sem_carimbo(&l.texto).starts_with(CONECTANDO_A))
            {
                antes.entry((0, j)).or_default().push((*f, i));
            }
        } else if cliente_saiu(resto) {
            let saiu = cliente.iter().position(|l| {
                let l = sem_carimbo(&l.texto);
                l.trim_start_matches(DIGITE).trim().eq_ignore_ascii_case("sair")
                    || l.trim_end() == DIGITE.trim_end()
                    || l.starts_with(CONEXAO_ENCERRADA)
            });
            if let Some(i) = saiu {
                antes.entry((0, j)).or_default().push((*f, i));
            }
        }
    }
    antes
}
