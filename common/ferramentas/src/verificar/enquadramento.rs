//! Além da atividade: o enquadramento das mensagens. TCP entrega um fluxo
//! de bytes sem fronteiras, e o protocolo da disciplina (um `recv(1024)` =
//! uma mensagem) só funciona por sorte num loopback quieto. Estas
//! verificações mostram onde a sorte acaba: uma mensagem em pedaços, duas
//! numa escrita só, uma grande, bytes que não são UTF-8 e um caractere de
//! dois bytes partido entre dois `recv()`. Nenhuma reprova a parte.

use super::alvo::Alvo;
use super::conexao::{escrever_tudo, Conexao};
use super::formato::{formatar_milhar, mostrar};
use super::resposta::Coleta;
use super::verificacoes::{avaliar, conectar, conversar, eco_de};
use super::{Avaliacao, Contexto, Falha, Passo, Sintoma};
use std::thread;
use std::time::Duration;

/// Entre os dois pedaços de uma mensagem.
const PAUSA_ENTRE_PEDACOS: Duration = Duration::from_millis(300);
/// O tamanho da mensagem grande: maior que qualquer `recv()` comum e que o
/// limite do nosso protocolo (65.536 bytes).
const TAMANHO_GRANDE: usize = 100_000;
/// Onde cai o caractere partido: os tamanhos de `recv()` mais comuns.
const FRONTEIRAS: [usize; 2] = [1024, 4096];

pub fn rodar(id: &str, alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let mut tolerada = false;
    let resultado = match id {
        "mensagem_em_pedacos" => mensagem_em_pedacos(alvo, ctx, &mut tolerada),
        "duas_mensagens_juntas" => duas_mensagens_juntas(alvo, ctx, &mut tolerada),
        "bytes_invalidos" => {
            recusa_ou_eco(alvo, ctx, b"bytes \xff\xfe inv\xe1lidos".to_vec(), &mut tolerada)
        }
        "mensagem_grande" => recusa_ou_eco(alvo, ctx, vec![b'x'; TAMANHO_GRANDE], &mut tolerada),
        "caractere_na_fronteira" => caractere_na_fronteira(alvo, ctx, &mut tolerada),
        _ => Err(Falha::nova(format!("verificação desconhecida: {id}"), Sintoma::Nenhum)),
    };
    avaliar(resultado, tolerada)
}

/// As respostas contidas em `bytes`: separadas por `\n` e, dentro de uma
/// linha, a cada `prefixo` que não está no começo (as respostas de um
/// servidor que não põe `\n` chegam coladas).
pub fn separar(bytes: &[u8], prefixo: &[u8]) -> Vec<Vec<u8>> {
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
        while !prefixo.is_empty() && i + prefixo.len() <= linha.len() {
            if &linha[i..i + prefixo.len()] == prefixo {
                respostas.push(linha[inicio..i].to_vec());
                inicio = i;
                i += prefixo.len();
            } else {
                i += 1;
            }
        }
        respostas.push(linha[inicio..].to_vec());
    }
    respostas
}

/// Confere a coleta contra as respostas `esperadas`, em ordem.
fn conferir_coleta(
    coleta: &Coleta,
    esperadas: &[Vec<u8>],
    ctx: &Contexto,
    tolerada: &mut bool,
) -> Passo<()> {
    let respostas = separar(&coleta.bytes, &ctx.prefixo);
    if respostas == esperadas {
        *tolerada |= !coleta.bytes.ends_with(b"\n");
        return Ok(());
    }
    if coleta.bytes.is_empty() {
        return Err(match (&coleta.falha, coleta.fim) {
            (Some(falha), _) => Falha::nova(
                format!("não recebi nada, e a leitura falhou: {falha}"),
                Sintoma::Resetou,
            ),
            (None, true) => {
                Falha::nova("o servidor fechou a conexão sem responder", Sintoma::Fechou)
            }
            (None, false) => Falha::nova(
                format!("não recebi nada em {}", super::formato::segundos(coleta.tempo)),
                Sintoma::SemResposta,
            ),
        });
    }
    let mut frase = format!("recebi \"{}\"", mostrar(&coleta.bytes));
    let prefixo = String::from_utf8_lossy(&ctx.prefixo).into_owned();
    let ecos = respostas.iter().filter(|r| r.starts_with(&ctx.prefixo)).count();
    let mensagens = match esperadas.len() {
        1 => "uma mensagem".to_string(),
        n => format!("{n} mensagens"),
    };
    let mut sintoma = Sintoma::Errada;
    if ecos > esperadas.len() {
        frase += &format!(": {ecos} respostas \"{prefixo}\" para {mensagens}");
        sintoma = Sintoma::Enquadramento;
    } else if ecos > 0 && ecos < esperadas.len() {
        frase += &format!(": {ecos} resposta \"{prefixo}\" para {mensagens}, que saíram juntas");
        sintoma = Sintoma::Enquadramento;
    } else if respostas.len() == 1 && respostas[0].starts_with(b"Erro: ") {
        sintoma = Sintoma::Recusou;
    }
    if let Some(falha) = &coleta.falha {
        frase += &format!(" (e a leitura falhou: {falha})");
    } else if coleta.fim {
        frase += " (e o servidor fechou a conexão)";
    }
    Err(Falha::nova(frase, sintoma))
}

fn enviar(c: &mut Conexao, bytes: &[u8], ctx: &Contexto) -> Passo<()> {
    c.enviar(bytes, ctx.ritmo.prazo()).map_err(|e| {
        Falha::nova(format!("enviar falhou: {}", common::erros::descrever(&e)), Sintoma::Resetou)
    })
}

fn mensagem_em_pedacos(alvo: &mut Alvo, ctx: &Contexto, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    enviar(&mut c, b"parte um, ", ctx)?;
    thread::sleep(PAUSA_ENTRE_PEDACOS);
    enviar(&mut c, b"parte dois\n", ctx)?;
    let coleta = c.coletar(ctx.ritmo.silencio(), ctx.ritmo.prazo_curto());
    let esperada = eco_de(ctx, b"parte um, parte dois");
    conferir_coleta(&coleta, &[esperada], ctx, tolerada).map_err(|f| {
        f.com_cenario(&format!(
            "enviei \"parte um, \" e, {} depois, \"parte dois\\n\" (uma mensagem em duas \
             escritas); esperava uma resposta, \"{}\\n\"; ",
            super::formato::duracao(PAUSA_ENTRE_PEDACOS),
            mostrar(&eco_de(ctx, b"parte um, parte dois"))
        ))
    })?;
    Ok("uma mensagem em duas escritas, com 300 ms entre elas: uma resposta, inteira".into())
}

fn duas_mensagens_juntas(alvo: &mut Alvo, ctx: &Contexto, tolerada: &mut bool) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    enviar(&mut c, b"primeira\nsegunda\n", ctx)?;
    let coleta = c.coletar(ctx.ritmo.silencio(), ctx.ritmo.prazo_curto());
    let esperadas = [eco_de(ctx, b"primeira"), eco_de(ctx, b"segunda")];
    conferir_coleta(&coleta, &esperadas, ctx, tolerada).map_err(|f| {
        f.com_cenario(&format!(
            "enviei \"primeira\\nsegunda\\n\" numa escrita só (duas mensagens); esperava duas \
             respostas, \"{}\\n\" e \"{}\\n\"; ",
            mostrar(&esperadas[0]),
            mostrar(&esperadas[1])
        ))
    })?;
    Ok("duas mensagens numa escrita só: duas respostas, na ordem".into())
}

/// Envia `mensagem` + `\n` de outra thread (um servidor que responde
/// enquanto lê, em pedaços, nunca fica esperando este lado ler) e coleta o
/// que vier. Devolve a coleta e o erro do envio, se houve.
fn enviar_e_coletar(c: &mut Conexao, mensagem: &[u8], ctx: &Contexto) -> (Coleta, Option<String>) {
    let mut linha = mensagem.to_vec();
    linha.push(b'\n');
    let socket = match c.socket() {
        Ok(s) => s,
        Err(e) => {
            return (
                Coleta { falha: Some(format!("clonar o socket: {e}")), ..Coleta::default() },
                None,
            )
        }
    };
    let prazo = ctx.ritmo.prazo_curto();
    let escritora = thread::spawn(move || {
        escrever_tudo(&socket, &linha, prazo).map_err(|e| common::erros::descrever(&e))
    });
    let coleta = c.coletar(ctx.ritmo.silencio(), prazo);
    let escrita = escritora.join().unwrap_or_else(|_| Err("a thread que escreve falhou".into()));
    (coleta, escrita.err())
}

/// Passa se vier o eco exato, ou uma linha `Erro:` (uma recusa legítima
/// de bytes inválidos ou de uma linha grande demais), e se um cliente novo
/// for atendido depois.
fn recusa_ou_eco(
    alvo: &mut Alvo,
    ctx: &Contexto,
    mensagem: Vec<u8>,
    tolerada: &mut bool,
) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    let (coleta, erro_de_envio) = enviar_e_coletar(&mut c, &mensagem, ctx);
    let enviada = format!(
        "enviei \"{}\\n\" ({} bytes)",
        mostrar(&mensagem),
        formatar_milhar(mensagem.len() + 1)
    );
    let respostas = separar(&coleta.bytes, &ctx.prefixo);
    let recusa = respostas.len() == 1 && respostas[0].starts_with(b"Erro: ");
    let desfecho = if recusa {
        format!("o servidor recusou: \"{}\"", mostrar(&respostas[0]))
    } else if let Err(f) = conferir_coleta(&coleta, &[eco_de(ctx, &mensagem)], ctx, tolerada) {
        let mut f =
            f.com_cenario(&format!("{enviada}; esperava o eco exato ou uma linha \"Erro: ...\"; "));
        if respostas.len() > 1 && respostas.iter().all(|r| r.starts_with(&ctx.prefixo)) {
            let maior = respostas.iter().map(Vec::len).max().unwrap_or(0);
            f.texto += &format!(
                " (o maior pedaço com {} bytes da mensagem)",
                formatar_milhar(maior.saturating_sub(ctx.prefixo.len()))
            );
        }
        if let Some(e) = erro_de_envio {
            f.texto += &format!(" (o envio parou: {e})");
        }
        return Err(f);
    } else {
        "o eco veio exato".to_string()
    };
    drop(c);
    let cenario = format!("{enviada}; {desfecho}; ");
    let mut novo = conectar(alvo, "de um cliente novo").map_err(|f| f.com_cenario(&cenario))?;
    conversar(&mut novo, b"depois", ctx, tolerada)
        .map_err(|f| f.com_cenario(&format!("{cenario}depois, um cliente novo conectou, mas ")))?;
    Ok(format!("{enviada}; {desfecho}; um cliente novo foi atendido depois"))
}

/// Uma mensagem válida, de `fronteira + 1` bytes, cujo único caractere de
/// dois bytes (`é`) começa no último byte de um `recv(fronteira)`: quem
/// decodifica cada pedaço antes de juntar a linha recebe meio caractere.
pub fn partida_em(fronteira: usize) -> Vec<u8> {
    let mut mensagem = vec![b'x'; fronteira - 1];
    mensagem.extend_from_slice("é".as_bytes());
    mensagem
}

/// A mensagem é UTF-8 válido e pequena: só o eco exato passa (uma linha
/// `Erro:` aqui recusa uma mensagem que o protocolo aceita).
fn caractere_na_fronteira(alvo: &mut Alvo, ctx: &Contexto, tolerada: &mut bool) -> Passo<String> {
    let mut vistas = Vec::new();
    for fronteira in FRONTEIRAS {
        let mensagem = partida_em(fronteira);
        let mut c = conectar(alvo, "do cliente")?;
        let (coleta, _) = enviar_e_coletar(&mut c, &mensagem, ctx);
        let cenario = format!(
            "enviei uma mensagem válida de {} bytes ({} \"x\" e um \"é\", que ocupa os bytes \
             {} e {}: um recv({}) o parte ao meio); ",
            formatar_milhar(mensagem.len()),
            formatar_milhar(fronteira - 1),
            formatar_milhar(fronteira),
            formatar_milhar(fronteira + 1),
            fronteira
        );
        conferir_coleta(&coleta, &[eco_de(ctx, &mensagem)], ctx, tolerada).map_err(|f| {
            let mut f = f.com_cenario(&format!("{cenario}esperava o eco exato; "));
            if vistas.is_empty() {
                f.texto += &format!(" (a de {} bytes não foi tentada)", formatar_milhar(4097));
            } else if alvo.terminou_em(Duration::from_secs(1)) {
                // Sem isto, o RST de um servidor que já saiu parece culpa do "é".
                f.texto += &format!(
                    " (o processo do servidor terminou depois do cliente da mensagem de {} \
                     bytes, que foi atendido)",
                    vistas.join(" e ")
                );
            }
            f
        })?;
        vistas.push(formatar_milhar(mensagem.len()));
    }
    Ok(format!(
        "mensagens válidas de {} bytes, com um \"é\" partido entre dois recv(1024) e dois \
         recv(4096): o eco veio exato",
        vistas.join(" e ")
    ))
}
