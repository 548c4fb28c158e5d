//! `muitos_clientes`: cem clientes conectados ao mesmo tempo, cada um com
//! as suas mensagens únicas; toda resposta precisa ser certa e ir para quem
//! enviou (um dado compartilhado sem trava troca as conversas).

use super::conexao::Conexao;
use super::formato::{formatar_milhar, mostrar, segundos};
use super::verificacoes::conferir_eco;
use super::{alvo::Alvo, Avaliacao, Contexto, Sintoma};
use std::net::SocketAddr;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// Clientes simultâneos e mensagens (no máximo) por cliente em `muitos_clientes`.
const CLIENTES: usize = 100;
const MENSAGENS: usize = 10;
/// Quanto os cem clientes têm para conectar e receber a primeira resposta:
/// a fila do `listen(1)` da disciplina transborda (ver [`um_dos_cem`]).
const PRAZO_PARA_CONECTAR: Duration = Duration::from_secs(20);
/// O espaço entre o começo de um cliente e o do próximo.
const ESPACO_ENTRE_CLIENTES: Duration = Duration::from_millis(10);

/// O que um dos cem clientes viu.
#[derive(Default)]
struct Contas {
    certas: usize,
    /// Respostas com a mensagem de outro cliente (ex.: um dado compartilhado).
    de_outro: usize,
    erradas: usize,
    perdidas: usize,
    /// Não conectou (ou não recebeu a primeira resposta).
    sem_conexao: bool,
    /// Precisou reconectar para receber a primeira resposta.
    reconectou: bool,
    tolerada: bool,
    exemplo: Option<String>,
}

/// A mensagem `j` do cliente `i`.
fn mensagem(i: usize, j: usize) -> String {
    format!("cliente {i} mensagem {j}")
}

/// Envia a mensagem `j` do cliente `i`, espera a resposta até `prazo` e a
/// anota em `contas`; `false` se não veio resposta nenhuma (o cliente
/// desiste das restantes).
fn conversar(
    c: &mut Conexao,
    (i, j): (usize, usize),
    total: usize,
    ctx: &Contexto,
    prazo: Duration,
    contas: &mut Contas,
) -> bool {
    let mensagem = mensagem(i, j);
    let (resposta, _) = c.perguntar_eco(mensagem.as_bytes(), &ctx.prefixo, prazo);
    let mut tolerada = false;
    if conferir_eco(&resposta, mensagem.as_bytes(), ctx, &mut tolerada).is_ok() {
        contas.certas += 1;
        contas.tolerada |= tolerada;
        return true;
    }
    let Some(bytes) = resposta.bytes() else {
        contas.perdidas += total - j;
        contas.exemplo.get_or_insert(format!(
            "o cliente {i} enviou \"{mensagem}\\n\": {}",
            resposta.descrever()
        ));
        return false;
    };
    let mut proprio = ctx.prefixo.clone();
    proprio.extend_from_slice(format!("cliente {i} ").as_bytes());
    let mut de_cliente = ctx.prefixo.clone();
    de_cliente.extend_from_slice(b"cliente ");
    if bytes.starts_with(&de_cliente) && !bytes.starts_with(&proprio) {
        contas.de_outro += 1;
    } else {
        contas.erradas += 1;
    }
    contas.exemplo.get_or_insert(format!(
        "o cliente {i} enviou \"{mensagem}\\n\" e recebeu \"{}\"",
        mostrar(bytes)
    ));
    true
}

/// Uma conexão nova com o primeiro dos `enderecos` que aceitar.
fn conectar_em(enderecos: &[SocketAddr]) -> std::io::Result<Conexao> {
    let mut ultimo = std::io::Error::from(std::io::ErrorKind::NotFound);
    for endereco in enderecos {
        match Conexao::conectar(*endereco, super::alvo::PRAZO_DE_CONEXAO) {
            Ok(c) => return Ok(c),
            Err(e) => ultimo = e,
        }
    }
    Err(ultimo)
}

/// Conecta com novas tentativas até `limite`: numa fila de `listen(1)`
/// cheia, o Windows recusa (RST) e o Linux deixa o SYN sem resposta.
fn conectar_insistindo(enderecos: &[SocketAddr], limite: Instant) -> std::io::Result<Conexao> {
    loop {
        match conectar_em(enderecos) {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() >= limite => return Err(e),
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Um dos cem: conecta, conversa a primeira mensagem, espera a largada (os
/// cem conectados) e conversa as outras, todos ao mesmo tempo.
///
/// Os cem começam espaçados de 10 ms (1 s ao todo), e quem não recebe a
/// primeira resposta em pouco tempo reconecta (até 3 vezes, até o
/// `limite`): na fila de um `listen(1)` cheia, o Linux descarta o ACK que
/// completa a conexão; o cliente se acha conectado, mas o servidor só o
/// aceita quando uma retransmissão chega com a fila livre, e elas se
/// espaçam em dobro (0,2 s, 0,4 s, ... 12,8 s).
fn um_dos_cem(
    i: usize,
    total: usize,
    enderecos: &[SocketAddr],
    ctx: &Contexto,
    largada: &Barrier,
    limite: Instant,
) -> Contas {
    let mut contas = Contas::default();
    thread::sleep(ESPACO_ENTRE_CLIENTES * i as u32);
    let paciencia = Duration::from_secs(3) + ctx.ritmo.maior() * 2;
    let mut conectado = None;
    for tentativa in 1..=3 {
        let mut c = match conectar_insistindo(enderecos, limite) {
            Ok(c) => c,
            Err(e) => {
                contas.perdidas = total;
                contas.exemplo = Some(format!(
                    "o cliente {i} não conectou em {}: {}",
                    segundos(PRAZO_PARA_CONECTAR),
                    common::erros::descrever(&e)
                ));
                break;
            }
        };
        let resta = limite.saturating_duration_since(Instant::now());
        let prazo = if tentativa == 3 { resta } else { paciencia.min(resta) };
        let mut ensaio = Contas::default();
        let respondeu = conversar(&mut c, (i, 0), total, ctx, prazo, &mut ensaio);
        let sem_resposta = !respondeu && ensaio.certas + ensaio.de_outro + ensaio.erradas == 0;
        if sem_resposta && tentativa < 3 && Instant::now() < limite {
            contas.reconectou = true;
            continue;
        }
        contas.certas += ensaio.certas;
        contas.de_outro += ensaio.de_outro;
        contas.erradas += ensaio.erradas;
        contas.perdidas += ensaio.perdidas;
        contas.tolerada |= ensaio.tolerada;
        contas.exemplo = ensaio.exemplo;
        conectado = respondeu.then_some(c);
        break;
    }
    contas.sem_conexao = conectado.is_none();
    largada.wait();
    if let Some(c) = conectado.as_mut() {
        for j in 1..total {
            if !conversar(c, (i, j), total, ctx, ctx.ritmo.prazo(), &mut contas) {
                break;
            }
        }
    }
    contas
}

pub fn muitos_clientes(alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let inicio = Instant::now();
    let total = ctx.ritmo.mensagens(MENSAGENS);
    let limite = inicio + PRAZO_PARA_CONECTAR + ctx.ritmo.prazo();
    // Os cem conectam juntos (cada um na sua thread); depois da primeira
    // resposta de todos, as outras mensagens correm ao mesmo tempo.
    let largada = Barrier::new(CLIENTES);
    // Os endereços, não o alvo: as threads só conectam (e o alvo guarda o
    // processo do servidor, que não se divide entre threads no Windows).
    let enderecos = alvo.enderecos().unwrap_or_default();
    let contas: Vec<Contas> = thread::scope(|escopo| {
        let enderecos = &enderecos[..];
        let largada = &largada;
        let threads: Vec<_> = (0..CLIENTES)
            .map(|i| {
                thread::Builder::new().stack_size(256 << 10).spawn_scoped(escopo, move || {
                    um_dos_cem(i, total, enderecos, ctx, largada, limite)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| match t {
                Ok(t) => {
                    t.join().unwrap_or_else(|_| Contas { perdidas: total, ..Contas::default() })
                }
                // Sem a thread, a barreira nunca completaria: não acontece
                // com 100 threads de 256 KiB, mas a conta fica honesta.
                Err(_) => Contas { perdidas: total, sem_conexao: true, ..Contas::default() },
            })
            .collect()
    });
    avaliar(somar(contas), total, inicio.elapsed())
}

/// O que os cem viram, somado.
#[derive(Default)]
struct Soma {
    contas: Contas,
    /// Clientes sem a primeira resposta.
    sem_conexao: usize,
    /// Clientes que só foram atendidos depois de reconectar.
    reconectaram: usize,
}

fn somar(contas: Vec<Contas>) -> Soma {
    let mut soma = Soma::default();
    for c in contas {
        soma.reconectaram += usize::from(c.reconectou);
        soma.sem_conexao += usize::from(c.sem_conexao);
        let s = &mut soma.contas;
        s.certas += c.certas;
        s.de_outro += c.de_outro;
        s.erradas += c.erradas;
        s.perdidas += c.perdidas;
        s.tolerada |= c.tolerada;
        if s.exemplo.is_none() {
            s.exemplo = c.exemplo;
        }
    }
    soma
}

/// O veredito dos cem: todas as respostas certas e cada uma para quem
/// enviou; senão, quantas de cada tipo, com um exemplo.
fn avaliar(soma: Soma, total: usize, tempo: Duration) -> Avaliacao {
    let Soma { contas: soma, sem_conexao, reconectaram } = soma;
    let esperadas = CLIENTES * total;
    let cenario = format!(
        "{CLIENTES} clientes conectados ao mesmo tempo, {total} mensagens únicas cada, uma por \
         vez (as {} últimas de todos juntas)",
        total - 1
    );
    let fila = if reconectaram > 0 {
        format!(
            "; {reconectaram} clientes só foram atendidos depois de reconectar (a fila do \
             listen() transbordou; com listen(1), como no servidor.py da disciplina, o Linux \
             guarda só 2 conexões completas à espera do accept())"
        )
    } else {
        String::new()
    };
    let mut avaliacao = if soma.certas == esperadas {
        Avaliacao::passou(format!(
            "{cenario}: as {} respostas certas, cada uma para quem enviou (em {}){fila}",
            formatar_milhar(esperadas),
            segundos(tempo)
        ))
    } else {
        let mut partes = vec![format!("{} certas", formatar_milhar(soma.certas))];
        if soma.de_outro > 0 {
            partes.push(format!("{} com a mensagem de outro cliente", soma.de_outro));
        }
        if soma.erradas > 0 {
            partes.push(format!("{} erradas", soma.erradas));
        }
        if soma.perdidas > 0 {
            partes.push(format!("{} sem resposta", formatar_milhar(soma.perdidas)));
        }
        let mut frase = format!(
            "{cenario}: das {} respostas, {} (em {})",
            formatar_milhar(esperadas),
            partes.join(", "),
            segundos(tempo)
        );
        if let Some(exemplo) = soma.exemplo {
            frase += &format!("; por exemplo, {exemplo}");
        }
        if sem_conexao > 0 {
            frase += &format!(" ({sem_conexao} clientes sem a primeira resposta)");
        }
        frase += &fila;
        // Uma resposta de outro cliente é o sintoma mais grave (um dado
        // compartilhado), mesmo que outras tenham se perdido.
        let sintoma = if soma.de_outro == 0 && soma.perdidas > 0 {
            Sintoma::SemResposta
        } else {
            Sintoma::Errada
        };
        Avaliacao::falhou(frase, sintoma)
    };
    avaliacao.sem_terminador = soma.tolerada;
    avaliacao
}

#[cfg(test)]
mod testes {
    use super::*;

    fn contas(certas: usize, de_outro: usize, perdidas: usize) -> Contas {
        Contas { certas, de_outro, perdidas, ..Contas::default() }
    }

    #[test]
    fn todas_certas_passa_e_a_fila_que_transbordou_e_contada() {
        let mut cem: Vec<Contas> = (0..CLIENTES).map(|_| contas(3, 0, 0)).collect();
        cem[7].reconectou = true;
        let a = avaliar(somar(cem), 3, Duration::from_millis(1_500));
        assert_eq!(a.ok, Some(true), "{}", a.detalhe);
        assert!(a.detalhe.contains("as 300 respostas certas"), "{}", a.detalhe);
        assert!(a.detalhe.contains("1 clientes só foram atendidos depois de reconectar"));
    }

    #[test]
    fn a_mensagem_de_outro_cliente_e_o_sintoma_mesmo_com_perdas() {
        let mut cem: Vec<Contas> = (0..CLIENTES).map(|_| contas(2, 0, 0)).collect();
        cem[0] = contas(1, 1, 0);
        cem[0].exemplo = Some("o cliente 0 enviou \"cliente 0 mensagem 1\\n\"".into());
        cem[1] = contas(0, 0, 2);
        cem[1].sem_conexao = true;
        let a = avaliar(somar(cem), 2, Duration::from_secs(2));
        assert_eq!((a.ok, a.sintoma), (Some(false), Sintoma::Errada));
        for trecho in [
            "das 200 respostas, 197 certas, 1 com a mensagem de outro cliente, 2 sem resposta",
            "por exemplo, o cliente 0 enviou",
            "(1 clientes sem a primeira resposta)",
        ] {
            assert!(a.detalhe.contains(trecho), "falta {trecho:?}: {}", a.detalhe);
        }
        let so_perdas = avaliar(somar(vec![contas(0, 0, 2)]), 2, Duration::ZERO);
        assert_eq!(so_perdas.sintoma, Sintoma::SemResposta);
    }
}
