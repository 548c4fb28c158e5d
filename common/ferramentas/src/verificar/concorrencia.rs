//! As verificações com vários clientes ao mesmo tempo: a classe do servidor
//! (serial ou concorrente), cem clientes juntos e um cliente que nunca lê.
//!
//! A classe sai da ordem dos eventos, não de um cronômetro fino: um servidor
//! serial não tem como responder ao cliente B enquanto o cliente A continua
//! conectado, por mais rápida que seja a máquina; um concorrente responde em
//! milissegundos. A janela de espera é larga para uma máquina carregada.

use super::alvo::Alvo;
use super::conexao::{escrever_tudo, formatar_milhar, mostrar, segundos, Conexao, Resposta};
use super::verificacoes::{conectar, conferir_eco, duracao, PRAZO_DE_RESPOSTA};
use super::{Avaliacao, Classe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Quanto B espera, com A conectado e ocioso: um servidor concorrente
/// responde em milissegundos (a referência é 1 s; a janela dá folga para uma
/// máquina carregada); um serial não responde nunca.
const JANELA_COM_A_CONECTADO: Duration = Duration::from_secs(3);
/// Resposta abaixo disto: concorrente e rápido; acima, concorrente e lento.
const REFERENCIA: Duration = Duration::from_secs(1);
/// Quanto B ainda espera depois que A sai (um servidor serial o atende agora).
const ESPERA_DEPOIS_DE_A: Duration = Duration::from_secs(10);
/// Clientes simultâneos e mensagens por cliente em `muitos_clientes`.
const CLIENTES: usize = 100;
const MENSAGENS: usize = 10;
/// Prazo total de `muitos_clientes` (conexões e conversas).
const PRAZO_DOS_MUITOS: Duration = Duration::from_secs(30);
/// Quanto o cliente que não lê envia, em blocos.
const TOTAL_SEM_LER: usize = 4 << 20;
const BLOCO_SEM_LER: usize = 64 << 10;
/// Prazo do outro cliente, enquanto o que não lê ocupa o servidor.
const PRAZO_DO_OUTRO: Duration = Duration::from_secs(2);

/// Classifica o servidor; `exigida` é a classe que a `--parte` pede.
pub fn concorrencia(alvo: &mut Alvo, exigida: Option<Classe>) -> (Avaliacao, Option<Classe>) {
    match classificar(alvo) {
        Err(motivo) => (Avaliacao::falhou(motivo), None),
        Ok((classe, detalhe)) => {
            let avaliacao = match exigida {
                Some(esperada) if esperada != classe => Avaliacao::falhou(format!(
                    "{}: esperava um servidor {}; {detalhe}",
                    classe.nome(),
                    esperada.nome()
                )),
                _ => Avaliacao::passou(format!("{}: {detalhe}", classe.nome())),
            };
            (avaliacao, Some(classe))
        }
    }
}

fn classificar(alvo: &mut Alvo) -> Result<(Classe, String), String> {
    let mut tolerada = false;
    let mut a = conectar(alvo, "do cliente A")?;
    let resposta = a.perguntar(b"sou o A", PRAZO_DE_RESPOSTA);
    conferir_eco(&resposta, b"sou o A", &mut tolerada)
        .map_err(|e| format!("o cliente A não foi atendido: {e}"))?;
    let mut b = conectar(alvo, "do cliente B, com A conectado,")?;
    let inicio = Instant::now();
    let resposta = b.perguntar(b"sou o B", JANELA_COM_A_CONECTADO);
    let espera = inicio.elapsed();
    if !matches!(resposta, Resposta::Nada) {
        conferir_eco(&resposta, b"sou o B", &mut tolerada).map_err(|e| {
            format!("com o cliente A conectado e ocioso, o cliente B conectou; {e}")
        })?;
        let lento = if espera > REFERENCIA { " (mais de 1 s: concorrente, mas lento)" } else { "" };
        return Ok((
            Classe::Concorrente,
            format!(
                "com o cliente A conectado e ocioso, o cliente B foi atendido em {}{lento}",
                duracao(espera)
            ),
        ));
    }
    drop(a); // A sai: num servidor serial, só agora B é aceito
    let saida_de_a = Instant::now();
    let resposta = b.ler_resposta(ESPERA_DEPOIS_DE_A);
    conferir_eco(&resposta, b"sou o B", &mut tolerada).map_err(|e| {
        format!(
            "com o cliente A conectado e ocioso, o cliente B não foi atendido em {}; nem depois \
             que A saiu: {e}",
            segundos(JANELA_COM_A_CONECTADO)
        )
    })?;
    Ok((
        Classe::Serial,
        format!(
            "com o cliente A conectado e ocioso, o cliente B esperou {} sem resposta; A saiu, \
             e B foi atendido {} depois (esperou {} ao todo)",
            segundos(JANELA_COM_A_CONECTADO),
            duracao(saida_de_a.elapsed()),
            segundos(inicio.elapsed())
        ),
    ))
}

/// `muitos_clientes` e `cliente_que_nao_le` medem o atendimento simultâneo:
/// não se aplicam a um servidor serial (nem a um que não foi classificado).
pub fn so_para_concorrentes(classe: Option<Classe>) -> Avaliacao {
    Avaliacao::nao_se_aplica(match classe {
        Some(Classe::Serial) => {
            "não se aplica: o servidor é serial (atende um cliente por vez); esta verificação \
             mede o atendimento simultâneo"
        }
        _ => "não rodou: a concorrência do servidor não pôde ser classificada",
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
    tolerada: bool,
    exemplo: Option<String>,
}

/// A mensagem `j` do cliente `i`.
fn mensagem(i: usize, j: usize) -> String {
    format!("cliente {i} mensagem {j}")
}

/// A resposta à mensagem `j` do cliente `i` (enviada antes se `enviar`),
/// anotada em `contas`; `false` se não veio resposta nenhuma (o cliente
/// desiste das restantes).
fn conversar(
    c: &mut Conexao,
    (i, j): (usize, usize),
    enviar: bool,
    limite: Instant,
    contas: &mut Contas,
) -> bool {
    let mensagem = mensagem(i, j);
    let prazo = limite.saturating_duration_since(Instant::now()).min(PRAZO_DE_RESPOSTA * 2);
    let resposta =
        if enviar { c.perguntar(mensagem.as_bytes(), prazo) } else { c.ler_resposta(prazo) };
    let mut tolerada = false;
    if conferir_eco(&resposta, mensagem.as_bytes(), &mut tolerada).is_ok() {
        contas.certas += 1;
        contas.tolerada |= tolerada;
        return true;
    }
    let Some(bytes) = resposta.bytes() else {
        contas.perdidas += MENSAGENS - j;
        contas.exemplo.get_or_insert(format!(
            "o cliente {i} enviou \"{mensagem}\\n\": {}",
            resposta.descrever(prazo)
        ));
        return false;
    };
    let de_outro = bytes.starts_with(b"Echo: cliente ")
        && !bytes.starts_with(format!("Echo: cliente {i} ").as_bytes());
    if de_outro {
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

pub fn muitos_clientes(alvo: &mut Alvo) -> Avaliacao {
    let inicio = Instant::now();
    let mut conexoes = Vec::new();
    let mut sem_conexao = Vec::new();
    // Um cliente de cada vez conecta, envia a primeira mensagem e espera o
    // primeiro byte da resposta: assim ele já foi aceito quando o próximo
    // conecta. Com cem connect() de uma vez, a fila do listen() (1 no
    // servidor da disciplina) transbordaria, e no Linux cada SYN que não
    // cabe só é repetido 1 s depois (e 3 s, 7 s...). O resto da resposta é
    // lido depois, junto com as outras (uma resposta sem \n espera um
    // silêncio, e cem silêncios em fila somariam quase um minuto).
    let limite = inicio + PRAZO_DOS_MUITOS;
    for i in 0..CLIENTES {
        if Instant::now() >= limite {
            sem_conexao.push(format!("o cliente {i} não chegou a conectar: prazo esgotado"));
            continue;
        }
        match conectar(alvo, &format!("do cliente {i}")) {
            Ok(mut c) => {
                let prazo = limite.saturating_duration_since(Instant::now()).min(PRAZO_DE_RESPOSTA);
                let enviada = c.enviar(format!("{}\n", mensagem(i, 0)).as_bytes(), prazo);
                match enviada.map(|()| c.esperar_bytes(prazo)) {
                    Ok(true) => conexoes.push((i, c)),
                    _ => sem_conexao.push(format!(
                        "o cliente {i} enviou \"{}\\n\" e não recebeu nada em {}",
                        mensagem(i, 0),
                        segundos(prazo)
                    )),
                }
            }
            Err(e) => sem_conexao.push(e),
        }
    }
    // Conectados os cem, as outras mensagens correm ao mesmo tempo, quando a
    // largada vira `true`.
    let limite = Instant::now() + PRAZO_DOS_MUITOS;
    let largada = Arc::new((Mutex::new(false), Condvar::new()));
    let mut threads = Vec::new();
    for (i, mut c) in conexoes {
        let largada = Arc::clone(&largada);
        let criada = thread::Builder::new().stack_size(256 << 10).spawn(move || {
            esperar_largada(&largada, limite);
            let mut contas = Contas::default();
            for j in 0..MENSAGENS {
                if !conversar(&mut c, (i, j), j > 0, limite, &mut contas) {
                    break;
                }
            }
            contas
        });
        match criada {
            Ok(t) => threads.push(t),
            Err(e) => sem_conexao.push(format!("criar a thread do cliente {i} falhou: {e}")),
        }
    }
    *largada.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
    largada.1.notify_all();
    let mut total = Contas::default();
    for t in threads {
        let contas =
            t.join().unwrap_or_else(|_| Contas { perdidas: MENSAGENS, ..Contas::default() });
        total.certas += contas.certas;
        total.de_outro += contas.de_outro;
        total.erradas += contas.erradas;
        total.perdidas += contas.perdidas;
        total.tolerada |= contas.tolerada;
        if total.exemplo.is_none() {
            total.exemplo = contas.exemplo;
        }
    }
    total.perdidas += sem_conexao.len() * MENSAGENS;
    let esperadas = CLIENTES * MENSAGENS;
    let cenario = format!(
        "{CLIENTES} clientes conectados ao mesmo tempo, {MENSAGENS} mensagens únicas cada, uma \
         por vez (as {} últimas de todos juntas)",
        MENSAGENS - 1
    );
    let mut avaliacao = if total.certas == esperadas {
        Avaliacao::passou(format!(
            "{cenario}: as {} respostas certas, cada uma para quem enviou (em {})",
            formatar_milhar(esperadas),
            segundos(inicio.elapsed())
        ))
    } else {
        let mut partes = vec![format!("{} certas", formatar_milhar(total.certas))];
        if total.de_outro > 0 {
            partes.push(format!("{} com a mensagem de outro cliente", total.de_outro));
        }
        if total.erradas > 0 {
            partes.push(format!("{} erradas", total.erradas));
        }
        if total.perdidas > 0 {
            partes.push(format!("{} sem resposta", total.perdidas));
        }
        let mut frase = format!(
            "{cenario}: das {} respostas, {}",
            formatar_milhar(esperadas),
            partes.join(", ")
        );
        if let Some(exemplo) = total.exemplo.or(sem_conexao.first().cloned()) {
            frase += &format!("; por exemplo, {exemplo}");
        }
        if !sem_conexao.is_empty() {
            frase += &format!(" ({} clientes sem a primeira resposta)", sem_conexao.len());
        }
        Avaliacao::falhou(frase)
    };
    avaliacao.sem_terminador = total.tolerada;
    avaliacao
}

/// Espera a largada (ou o `limite`, se ela nunca vier).
fn esperar_largada(largada: &(Mutex<bool>, Condvar), limite: Instant) {
    let mut dada = largada.0.lock().unwrap_or_else(|e| e.into_inner());
    while !*dada && Instant::now() < limite {
        let resta = limite.saturating_duration_since(Instant::now());
        dada = largada.1.wait_timeout(dada, resta).unwrap_or_else(|e| e.into_inner()).0;
    }
}

pub fn cliente_que_nao_le(alvo: &mut Alvo) -> Avaliacao {
    let mut tolerada = false;
    let resultado = (|| -> Result<String, String> {
        let surdo = conectar(alvo, "do cliente que não lê")?;
        let socket = surdo.socket().map_err(|e| format!("clonar o socket: {e}"))?;
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
        let inicio = Instant::now();
        let resposta = outro.perguntar(b"ainda me atende?", PRAZO_DO_OUTRO);
        let espera = inicio.elapsed();
        let mega = |n: usize| format!("{:.1} MiB", n as f64 / f64::from(1 << 20)).replace('.', ",");
        let cenario = format!(
            "um cliente enviou {} de mensagens sem ler nenhuma resposta",
            mega(enviados.load(Ordering::Relaxed))
        );
        // Fecha os dois sentidos do socket (que a escritora também usa): a
        // escrita dela falha na hora, em vez de esperar o prazo.
        surdo.interromper();
        let _ = escritora.join();
        surdo.resetar();
        conferir_eco(&resposta, b"ainda me atende?", &mut tolerada)
            .map_err(|e| format!("{cenario}; enquanto isso, outro cliente conectou, mas {e}"))?;
        Ok(format!("{cenario}; enquanto isso, outro cliente foi atendido em {}", duracao(espera)))
    })();
    let mut avaliacao = match resultado {
        Ok(detalhe) => Avaliacao::passou(detalhe),
        Err(detalhe) => Avaliacao::falhou(detalhe),
    };
    avaliacao.sem_terminador = tolerada;
    avaliacao
}
