//! As verificações com vários clientes ao mesmo tempo: a classe do servidor
//! (serial ou concorrente), cem clientes juntos e um cliente que nunca lê.
//!
//! A classe sai da sobreposição, não de um cronômetro: um servidor serial
//! não tem como responder ao cliente B enquanto o cliente A continua
//! conectado, por mais rápida que seja a máquina, e um concorrente responde
//! a B no mesmo tempo em que respondeu a A sozinho. A janela de B é medida a
//! partir desse tempo ([`super::ritmo`]): um `time.sleep(3)` por conexão não
//! vira "serial".

use super::alvo::Alvo;
use super::conexao::{escrever_tudo, formatar_milhar, mostrar, segundos, Conexao, Resposta};
use super::verificacoes::{conectar, conferir_eco, duracao};
use super::{Avaliacao, Classe, Contexto, Falha, Sintoma};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Como começa o detalhe de uma verificação que não se aplica.
pub const NAO_SE_APLICA: &str = "não se aplica";
/// Clientes simultâneos e mensagens (no máximo) por cliente em `muitos_clientes`.
const CLIENTES: usize = 100;
const MENSAGENS: usize = 10;
/// Quanto os cem clientes têm para conectar e receber a primeira resposta:
/// a fila do `listen(1)` da disciplina transborda (ver [`um_dos_cem`]).
const PRAZO_PARA_CONECTAR: Duration = Duration::from_secs(20);
/// O espaço entre o começo de um cliente e o do próximo.
const ESPACO_ENTRE_CLIENTES: Duration = Duration::from_millis(10);
/// Quanto o cliente que não lê envia, em blocos.
const TOTAL_SEM_LER: usize = 4 << 20;
const BLOCO_SEM_LER: usize = 64 << 10;

/// Classifica o servidor; `exigida` é a classe que a `--parte` pede.
pub fn concorrencia(
    alvo: &mut Alvo,
    ctx: &Contexto,
    exigida: Option<Classe>,
) -> (Avaliacao, Option<Classe>) {
    match classificar(alvo, ctx) {
        Err(f) => (Avaliacao::falhou(f.texto, f.sintoma), None),
        Ok((classe, detalhe)) => {
            let avaliacao = match exigida {
                Some(esperada) if esperada != classe => Avaliacao::falhou(
                    format!(
                        "{}: a parte pede um servidor {}; {detalhe}",
                        classe.nome(),
                        esperada.nome()
                    ),
                    Sintoma::Nenhum,
                ),
                _ => Avaliacao::passou(format!("{}: {detalhe}", classe.nome())),
            };
            (avaliacao, Some(classe))
        }
    }
}

fn classificar(alvo: &mut Alvo, ctx: &Contexto) -> Result<(Classe, String), Falha> {
    let mut tolerada = false;
    let mut a = conectar(alvo, "do cliente A")?;
    let (resposta, tempo_a) = a.perguntar_eco(b"sou o A", &ctx.prefixo, ctx.ritmo.prazo());
    conferir_eco(&resposta, b"sou o A", ctx, &mut tolerada)
        .map_err(|f| f.com_cenario("o cliente A não foi atendido: "))?;
    let mut b = conectar(alvo, "do cliente B, com A conectado,")?;
    let (resposta, espera) =
        b.perguntar_eco(b"sou o B", &ctx.prefixo, ctx.ritmo.janela_com_a_conectado());
    if !matches!(resposta, Resposta::Nada(_)) {
        conferir_eco(&resposta, b"sou o B", ctx, &mut tolerada).map_err(|f| {
            f.com_cenario("com o cliente A conectado e ocioso, o cliente B conectou; ")
        })?;
        // A continua sendo atendido? Um servidor que larga A depois da
        // primeira resposta também responderia a B, sem ser concorrente.
        let (resposta, _) = a.perguntar_eco(b"sou o A de novo", &ctx.prefixo, ctx.ritmo.prazo());
        conferir_eco(&resposta, b"sou o A de novo", ctx, &mut tolerada).map_err(|f| {
            f.com_cenario(&format!(
                "com o cliente A conectado, o cliente B foi atendido em {}; mas A, que ficou \
                 conectado, não foi mais: ",
                duracao(espera)
            ))
        })?;
        return Ok((
            Classe::Concorrente,
            format!(
                "com o cliente A conectado e ocioso, o cliente B foi atendido em {} (A, sozinho, \
                 em {}); depois, A foi atendido de novo",
                duracao(espera),
                duracao(tempo_a)
            ),
        ));
    }
    drop(a); // A sai: num servidor serial, só agora B é aceito
    let saida_de_a = Instant::now();
    let resposta = b.ler_resposta(ctx.ritmo.prazo());
    conferir_eco(&resposta, b"sou o B", ctx, &mut tolerada).map_err(|f| {
        f.com_cenario(&format!(
            "com o cliente A conectado e ocioso, o cliente B esperou {} sem resposta; A saiu, e \
             B continuou sem ser atendido: ",
            segundos(espera)
        ))
    })?;
    Ok((
        Classe::Serial,
        format!(
            "com o cliente A conectado e ocioso, o cliente B esperou {} sem resposta (A, \
             sozinho, foi atendido em {}); A saiu, e B foi atendido {} depois",
            segundos(espera),
            duracao(tempo_a),
            duracao(saida_de_a.elapsed())
        ),
    ))
}

/// As verificações de atendimento simultâneo não se aplicam a um servidor
/// serial, e não são avaliadas sem a classe.
pub fn so_para_concorrentes(classe: Option<Classe>) -> Avaliacao {
    Avaliacao::nao_avaliada(match classe {
        Some(Classe::Serial) => format!(
            "{NAO_SE_APLICA}: o servidor é serial (atende um cliente por vez); esta \
             verificação mede o atendimento simultâneo"
        ),
        _ => "não avaliada: a concorrência do servidor não pôde ser classificada".to_string(),
    })
}

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
    let mut soma = Contas::default();
    let mut sem_conexao = 0;
    let mut reconectaram = 0;
    for c in contas {
        reconectaram += usize::from(c.reconectou);
        soma.certas += c.certas;
        soma.de_outro += c.de_outro;
        soma.erradas += c.erradas;
        soma.perdidas += c.perdidas;
        soma.tolerada |= c.tolerada;
        sem_conexao += usize::from(c.sem_conexao);
        if soma.exemplo.is_none() {
            soma.exemplo = c.exemplo;
        }
    }
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
            segundos(inicio.elapsed())
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
            segundos(inicio.elapsed())
        );
        if let Some(exemplo) = soma.exemplo {
            frase += &format!("; por exemplo, {exemplo}");
        }
        if sem_conexao > 0 {
            frase += &format!(" ({sem_conexao} clientes sem a primeira resposta)");
        }
        frase += &fila;
        let sintoma = if soma.de_outro > 0 {
            Sintoma::Errada
        } else if soma.perdidas > 0 {
            Sintoma::SemResposta
        } else {
            Sintoma::Errada
        };
        Avaliacao::falhou(frase, sintoma)
    };
    avaliacao.sem_terminador = soma.tolerada;
    avaliacao
}

pub fn cliente_que_nao_le(alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let mut tolerada = false;
    let resultado = (|| -> Result<String, Falha> {
        let surdo = conectar(alvo, "do cliente que não lê")?;
        let socket = surdo
            .socket()
            .map_err(|e| Falha::nova(format!("clonar o socket: {e}"), Sintoma::Nenhum))?;
        let enviados = Arc::new(AtomicUsize::new(0));
        let contador = Arc::clone(&enviados);
        let escritora = thread::spawn(move || {
            let linha = b"nunca leio as respostas, so escrevo\n";
            let bloco: Vec<u8> = linha.iter().copied().cycle().take(BLOCO_SEM_LER).collect();
            while contador.load(Ordering::Relaxed) < TOTAL_SEM_LER {
                // O servidor parou de ler (o buffer dele encheu): desiste.
                if escrever_tudo(&socket, &bloco, Duration::from_secs(3)).is_err() {
                    break;
                }
                contador.fetch_add(bloco.len(), Ordering::Relaxed);
            }
        });
        // Espera o envio terminar ou empacar (o servidor parou de ler).
        let limite = Instant::now() + Duration::from_secs(3);
        let mut antes = usize::MAX;
        while Instant::now() < limite && !escritora.is_finished() {
            thread::sleep(Duration::from_millis(300));
            let agora = enviados.load(Ordering::Relaxed);
            if agora == antes {
                break;
            }
            antes = agora;
        }
        let mut outro = conectar(alvo, "do outro cliente")?;
        let (resposta, espera) = outro.perguntar_eco(
            b"ainda me atende?",
            &ctx.prefixo,
            ctx.ritmo.janela_com_a_conectado(),
        );
        let mega = |n: usize| format!("{:.1} MiB", n as f64 / f64::from(1 << 20)).replace('.', ",");
        let cenario = format!(
            "um cliente enviou {} de mensagens sem ler nenhuma resposta; enquanto isso, ",
            mega(enviados.load(Ordering::Relaxed))
        );
        // Fecha os dois sentidos do socket (que a escritora também usa): a
        // escrita dela falha na hora, em vez de esperar o prazo.
        surdo.interromper();
        let _ = escritora.join();
        surdo.resetar();
        conferir_eco(&resposta, b"ainda me atende?", ctx, &mut tolerada)
            .map_err(|f| f.com_cenario(&format!("{cenario}outro cliente conectou, mas ")))?;
        Ok(format!("{cenario}outro cliente foi atendido em {}", duracao(espera)))
    })();
    super::verificacoes::avaliar(resultado, tolerada)
}
