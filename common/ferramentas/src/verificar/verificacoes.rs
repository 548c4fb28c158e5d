//! As verificações de um cliente por vez: o eco, os bytes, o enquadramento
//! das mensagens e a robustez diante de um cliente que cai ou abusa.
//!
//! Cada uma abre as suas conexões, tem prazo em cada espera e descreve o que
//! observou: os bytes enviados e recebidos e os tempos, para o aluno poder
//! refazer a experiência à mão.

use super::alvo::Alvo;
use super::conexao::{mostrar, segundos, Coleta, Conexao, Resposta};
use super::Avaliacao;
use std::thread;
use std::time::{Duration, Instant};

/// Quanto esperar uma resposta: folga larga para uma máquina carregada; um
/// servidor saudável responde em milissegundos.
pub const PRAZO_DE_RESPOSTA: Duration = Duration::from_secs(5);
/// Silêncio que encerra uma coleta (depois do último byte): se uma segunda
/// resposta vier, vem logo depois da primeira.
const SILENCIO_DA_COLETA: Duration = Duration::from_millis(700);
/// Quanto o servidor tem para fechar o lado dele depois do cliente.
const PRAZO_PARA_FECHAR: Duration = Duration::from_secs(2);
/// Entre os dois pedaços de uma mensagem.
const PAUSA_ENTRE_PEDACOS: Duration = Duration::from_millis(300);
/// O tamanho da mensagem grande: maior que qualquer `recv()` comum e que o
/// limite do nosso protocolo (65.536 bytes).
const TAMANHO_GRANDE: usize = 100_000;

/// Um passo que pode reprovar a verificação, com o motivo.
type Passo<T> = Result<T, String>;

/// Roda a verificação `id` (uma das de um cliente por vez).
pub fn rodar(id: &str, alvo: &mut Alvo) -> Avaliacao {
    let mut tolerada = false;
    let resultado = match id {
        "eco" => eco_simples(alvo, "oi", &mut tolerada),
        "acentos" => eco_simples(alvo, "ação é 🙂", &mut tolerada),
        "volta_ao_accept" => volta_ao_accept(alvo, &mut tolerada),
        "fecha_quando_o_cliente_sai" => fecha_quando_o_cliente_sai(alvo, &mut tolerada),
        "sobrevive_a_reset" => sobrevive_a_reset(alvo, &mut tolerada),
        "mensagem_em_pedacos" => mensagem_em_pedacos(alvo, &mut tolerada),
        "duas_mensagens_juntas" => duas_mensagens_juntas(alvo, &mut tolerada),
        "bytes_invalidos" => {
            recusa_ou_eco(alvo, b"bytes \xff\xfe inv\xe1lidos".to_vec(), &mut tolerada)
        }
        "mensagem_grande" => recusa_ou_eco(alvo, vec![b'x'; TAMANHO_GRANDE], &mut tolerada),
        _ => Err(format!("verificação desconhecida: {id}")),
    };
    let mut avaliacao = match resultado {
        Ok(detalhe) => Avaliacao::passou(detalhe),
        Err(detalhe) => Avaliacao::falhou(detalhe),
    };
    avaliacao.sem_terminador = tolerada;
    avaliacao
}

/// Conecta um cliente; o erro diz quem não conseguiu e por quê.
pub fn conectar(alvo: &mut Alvo, quem: &str) -> Passo<Conexao> {
    alvo.conectar().map_err(|e| {
        let mut motivo = format!("o connect() {quem} falhou: {}", common::erros::descrever(&e));
        if alvo.terminou() {
            motivo += " (o processo do servidor já tinha terminado)";
        }
        motivo
    })
}

/// `Echo: ` + `mensagem`, como o protocolo manda.
pub fn eco_de(mensagem: &[u8]) -> Vec<u8> {
    let mut eco = b"Echo: ".to_vec();
    eco.extend_from_slice(mensagem);
    eco
}

/// Confere que `resposta` é o eco de `mensagem` (com ou sem `\n`; sem,
/// marca `tolerada`).
pub fn conferir_eco(resposta: &Resposta, mensagem: &[u8], tolerada: &mut bool) -> Passo<()> {
    let esperado = eco_de(mensagem);
    match resposta {
        Resposta::Linha(b) if *b == esperado => Ok(()),
        Resposta::SemTerminador(b) if *b == esperado => {
            *tolerada = true;
            Ok(())
        }
        outra => Err(format!(
            "enviei \"{}\\n\"; esperava \"{}\\n\", mas {}",
            mostrar(mensagem),
            mostrar(&esperado),
            outra.descrever(PRAZO_DE_RESPOSTA)
        )),
    }
}

/// Uma conversa: envia `mensagem`, confere o eco, devolve quanto levou.
fn conversar(c: &mut Conexao, mensagem: &[u8], tolerada: &mut bool) -> Passo<Duration> {
    let inicio = Instant::now();
    let resposta = c.perguntar(mensagem, PRAZO_DE_RESPOSTA);
    let tempo = inicio.elapsed();
    conferir_eco(&resposta, mensagem, tolerada)?;
    Ok(tempo)
}

fn eco_simples(alvo: &mut Alvo, mensagem: &str, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    let tempo = conversar(&mut c, mensagem.as_bytes(), tolerada)?;
    Ok(format!("\"{mensagem}\" → \"Echo: {mensagem}\" em {}", duracao(tempo)))
}

fn volta_ao_accept(alvo: &mut Alvo, tolerada: &mut bool) -> Passo<String> {
    let mut primeiro = conectar(alvo, "do primeiro cliente")?;
    conversar(&mut primeiro, b"sou o primeiro", tolerada)
        .map_err(|e| format!("o primeiro cliente não foi atendido: {e}"))?;
    drop(primeiro); // sai como um cliente comum: FIN
    let mut segundo = conectar(alvo, "do segundo")
        .map_err(|e| format!("o primeiro cliente foi atendido e saiu; {e}"))?;
    conversar(&mut segundo, b"sou o segundo", tolerada).map_err(|e| {
        let mut motivo =
            format!("o primeiro cliente foi atendido e saiu; o segundo conectou, mas {e}");
        if alvo.terminou_em(Duration::from_secs(1)) {
            motivo += " (o processo do servidor terminou depois do primeiro cliente)";
        }
        motivo
    })?;
    Ok("o primeiro cliente conversou e saiu; o segundo foi atendido".into())
}

fn fecha_quando_o_cliente_sai(alvo: &mut Alvo, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    conversar(&mut c, b"vou sair", tolerada)?;
    c.fechar_escrita();
    match c.esperar_fim(PRAZO_PARA_FECHAR) {
        Some(tempo) => Ok(format!(
            "depois do eco, o cliente fechou a escrita; o servidor fechou o lado dele em {}",
            duracao(tempo)
        )),
        None => Err(format!(
            "depois do eco, o cliente fechou o lado dele (shutdown de escrita: o servidor lê 0 \
             bytes); {} depois, o servidor ainda não tinha fechado o socket dele: a conexão \
             ficou em CLOSE_WAIT no servidor",
            segundos(PRAZO_PARA_FECHAR)
        )),
    }
}

fn sobrevive_a_reset(alvo: &mut Alvo, tolerada: &mut bool) -> Passo<String> {
    let mut cai = conectar(alvo, "do cliente que vai cair")?;
    cai.enviar(b"meia linha sem fim", PRAZO_DE_RESPOSTA)
        .map_err(|e| format!("enviar meia linha falhou: {}", common::erros::descrever(&e)))?;
    // Dá tempo de o servidor ler a meia linha antes do RST.
    thread::sleep(Duration::from_millis(200));
    cai.resetar();
    thread::sleep(Duration::from_millis(300));
    let cenario = "um cliente enviou \"meia linha sem fim\" (sem \\n) e caiu com RST";
    let mut novo = conectar(alvo, "de um cliente novo").map_err(|e| format!("{cenario}; {e}"))?;
    conversar(&mut novo, b"depois do reset", tolerada)
        .map_err(|e| format!("{cenario}; um cliente novo conectou, mas {e}"))?;
    Ok("um cliente enviou meia linha e caiu com RST; um cliente novo foi atendido".into())
}

/// As respostas contidas em `bytes`: separadas por `\n` e, dentro de uma
/// linha, a cada `Echo: ` que não está no começo (as respostas de um
/// servidor que não põe `\n` chegam coladas).
pub fn separar(bytes: &[u8]) -> Vec<Vec<u8>> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let mut linhas: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        linhas.pop();
    }
    let mut respostas = Vec::new();
    for linha in linhas {
        let linha = linha.strip_suffix(b"\r").unwrap_or(linha);
        let mut inicio = 0;
        let mut i = 1;
        while i + 6 <= linha.len() {
            if &linha[i..i + 6] == b"Echo: " {
                respostas.push(linha[inicio..i].to_vec());
                inicio = i;
                i += 6;
            } else {
                i += 1;
            }
        }
        respostas.push(linha[inicio..].to_vec());
    }
    respostas
}

/// Confere a coleta contra as respostas `esperadas`, em ordem.
fn conferir_coleta(coleta: &Coleta, esperadas: &[Vec<u8>], tolerada: &mut bool) -> Passo<()> {
    let respostas = separar(&coleta.bytes);
    if respostas == esperadas {
        *tolerada |= !coleta.bytes.ends_with(b"\n");
        return Ok(());
    }
    if coleta.bytes.is_empty() {
        return Err(match (&coleta.falha, coleta.fim) {
            (Some(falha), _) => format!("não recebi nada, e a leitura falhou: {falha}"),
            (None, true) => "o servidor fechou a conexão sem responder".to_string(),
            (None, false) => format!("não recebi nada em {}", segundos(coleta.tempo)),
        });
    }
    let mut frase = format!("recebi \"{}\"", mostrar(&coleta.bytes));
    let ecos = respostas.iter().filter(|r| r.starts_with(b"Echo: ")).count();
    let mensagens = match esperadas.len() {
        1 => "uma mensagem".to_string(),
        n => format!("{n} mensagens"),
    };
    if ecos > esperadas.len() {
        frase += &format!(": {ecos} respostas \"Echo: \" para {mensagens}");
    } else if ecos > 0 && ecos < esperadas.len() {
        frase += &format!(": {ecos} resposta \"Echo: \" para {mensagens}, que saíram juntas");
    }
    if let Some(falha) = &coleta.falha {
        frase += &format!(" (e a leitura falhou: {falha})");
    } else if coleta.fim {
        frase += " (e o servidor fechou a conexão)";
    }
    Err(frase)
}

fn mensagem_em_pedacos(alvo: &mut Alvo, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    let enviar = |c: &mut Conexao, bytes: &[u8]| {
        c.enviar(bytes, PRAZO_DE_RESPOSTA)
            .map_err(|e| format!("enviar falhou: {}", common::erros::descrever(&e)))
    };
    enviar(&mut c, b"parte um, ")?;
    thread::sleep(PAUSA_ENTRE_PEDACOS);
    enviar(&mut c, b"parte dois\n")?;
    let coleta = c.coletar(SILENCIO_DA_COLETA, PRAZO_DE_RESPOSTA);
    let esperada = eco_de(b"parte um, parte dois");
    conferir_coleta(&coleta, &[esperada], tolerada).map_err(|e| {
        format!(
            "enviei \"parte um, \" e, {} depois, \"parte dois\\n\" (uma mensagem em duas \
             escritas); esperava uma resposta, \"Echo: parte um, parte dois\\n\"; {e}",
            duracao(PAUSA_ENTRE_PEDACOS)
        )
    })?;
    Ok("uma mensagem em duas escritas, com 300 ms entre elas: uma resposta, inteira".into())
}

fn duas_mensagens_juntas(alvo: &mut Alvo, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    c.enviar(b"primeira\nsegunda\n", PRAZO_DE_RESPOSTA)
        .map_err(|e| format!("enviar falhou: {}", common::erros::descrever(&e)))?;
    let coleta = c.coletar(SILENCIO_DA_COLETA, PRAZO_DE_RESPOSTA);
    let esperadas = [eco_de(b"primeira"), eco_de(b"segunda")];
    conferir_coleta(&coleta, &esperadas, tolerada).map_err(|e| {
        format!(
            "enviei \"primeira\\nsegunda\\n\" numa escrita só (duas mensagens); esperava duas \
             respostas, \"Echo: primeira\\n\" e \"Echo: segunda\\n\"; {e}"
        )
    })?;
    Ok("duas mensagens numa escrita só: duas respostas, na ordem".into())
}

/// Envia `mensagem` + `\n`; passa se vier o eco exato, ou uma linha `Erro:`
/// (uma recusa legítima), e se um cliente novo for atendido depois.
fn recusa_ou_eco(alvo: &mut Alvo, mensagem: Vec<u8>, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    let mut linha = mensagem.clone();
    linha.push(b'\n');
    // Outra thread escreve: um servidor que responde enquanto lê (em
    // pedaços) nunca fica esperando este lado ler.
    let socket = c.socket().map_err(|e| format!("clonar o socket: {e}"))?;
    let escritora = thread::spawn(move || {
        super::conexao::escrever_tudo(&socket, &linha, PRAZO_DE_RESPOSTA)
            .map_err(|e| common::erros::descrever(&e))
    });
    let coleta = c.coletar(SILENCIO_DA_COLETA, PRAZO_DE_RESPOSTA);
    let escrita = escritora.join().unwrap_or_else(|_| Err("a thread que escreve falhou".into()));
    let enviada = format!(
        "enviei \"{}\\n\" ({} bytes)",
        mostrar(&mensagem),
        super::conexao::formatar_milhar(mensagem.len() + 1)
    );
    let respostas = separar(&coleta.bytes);
    let recusa = respostas.len() == 1 && respostas[0].starts_with(b"Erro: ");
    let desfecho = if recusa {
        format!("o servidor recusou: \"{}\"", mostrar(&respostas[0]))
    } else if let Err(e) = conferir_coleta(&coleta, &[eco_de(&mensagem)], tolerada) {
        let mut motivo = format!("{enviada}; esperava o eco exato ou uma linha \"Erro: ...\"; {e}");
        if respostas.len() > 1 && respostas.iter().all(|r| r.starts_with(b"Echo: ")) {
            let maior = respostas.iter().map(Vec::len).max().unwrap_or(0).saturating_sub(6);
            motivo += &format!(
                " (o maior pedaço com {} bytes da mensagem)",
                super::conexao::formatar_milhar(maior)
            );
        }
        if let Err(e) = escrita {
            motivo += &format!(" (o envio parou: {e})");
        }
        return Err(motivo);
    } else {
        "o eco veio exato".to_string()
    };
    drop(c);
    let mut novo =
        conectar(alvo, "de um cliente novo").map_err(|e| format!("{enviada}; {desfecho}; {e}"))?;
    conversar(&mut novo, b"depois", tolerada)
        .map_err(|e| format!("{enviada}; {desfecho}; depois, um cliente novo conectou, mas {e}"))?;
    Ok(format!("{enviada}; {desfecho}; um cliente novo foi atendido depois"))
}

/// Uma duração curta para o boletim (`0,4 ms`, `12 ms`, `1,20 s`).
pub fn duracao(d: Duration) -> String {
    common::tempo::duracao_legivel(d)
}
