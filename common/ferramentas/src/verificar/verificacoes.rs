//! As verificações de um cliente por vez que a atividade pede: o eco (que
//! também mede o ritmo do servidor e aprende o prefixo que ele usa), os
//! acentos, voltar ao `accept()`, fechar a conexão e sobreviver a um
//! cliente que cai. As de enquadramento estão em [`super::enquadramento`].
//!
//! Cada uma abre as suas conexões, tem prazo em cada espera e descreve o que
//! observou: os bytes enviados e recebidos e os tempos (sempre o tempo que
//! se esperou de fato), para o aluno poder refazer a experiência à mão.

use super::alvo::Alvo;
use super::conexao::Conexao;
use super::formato::{duracao, mostrar, segundos};
use super::resposta::Resposta;
use super::ritmo::Ritmo;
use super::{enquadramento, Avaliacao, Contexto, Falha, Passo, Sintoma, PREFIXO};
use std::thread;
use std::time::Duration;

/// Quanto esperar a primeira resposta, antes de saber o ritmo do servidor:
/// cobre um `sleep` de alguns segundos no atendimento.
pub const PRAZO_DO_PRIMEIRO: Duration = Duration::from_secs(10);
/// Quanto o servidor tem para fechar o lado dele depois do cliente, além
/// do tempo de uma resposta.
const PRAZO_PARA_FECHAR: Duration = Duration::from_secs(2);

/// Roda a verificação `id` (uma das de um cliente por vez).
pub fn rodar(id: &str, alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let mut tolerada = false;
    let resultado = match id {
        "acentos" => eco_simples(alvo, ctx, "ação é 🙂", &mut tolerada),
        "volta_ao_accept" => volta_ao_accept(alvo, ctx, &mut tolerada),
        "fecha_quando_o_cliente_sai" => {
            return fecha_quando_o_cliente_sai(alvo, ctx);
        }
        "sobrevive_a_reset" => sobrevive_a_reset(alvo, ctx, &mut tolerada),
        _ => return enquadramento::rodar(id, alvo, ctx),
    };
    avaliar(resultado, tolerada)
}

/// Um passo final vira a avaliação.
pub fn avaliar(resultado: Passo<String>, tolerada: bool) -> Avaliacao {
    let mut avaliacao = match resultado {
        Ok(detalhe) => Avaliacao::passou(detalhe),
        Err(falha) => Avaliacao::falhou(falha.texto, falha.sintoma),
    };
    avaliacao.sem_terminador = tolerada;
    avaliacao
}

/// Conecta um cliente; a falha diz quem não conseguiu e por quê.
pub fn conectar(alvo: &mut Alvo, quem: &str) -> Passo<Conexao> {
    alvo.conectar().map_err(|e| {
        let mut motivo = format!("o connect() {quem} falhou: {}", common::erros::descrever(&e));
        if alvo.terminou() {
            motivo += " (o processo do servidor já tinha terminado)";
        }
        Falha::nova(motivo, Sintoma::Resetou)
    })
}

/// O prefixo + `mensagem`: a resposta esperada.
pub fn eco_de(ctx: &Contexto, mensagem: &[u8]) -> Vec<u8> {
    let mut eco = ctx.prefixo.clone();
    eco.extend_from_slice(mensagem);
    eco
}

/// Confere que `resposta` é o eco de `mensagem` (com ou sem `\n`; sem,
/// marca `tolerada`).
pub fn conferir_eco(
    resposta: &Resposta,
    mensagem: &[u8],
    ctx: &Contexto,
    tolerada: &mut bool,
) -> Passo<()> {
    let esperado = eco_de(ctx, mensagem);
    match resposta {
        Resposta::Linha(b) if *b == esperado => Ok(()),
        Resposta::SemTerminador(b) if *b == esperado => {
            *tolerada = true;
            Ok(())
        }
        outra => Err(Falha::nova(
            format!(
                "enviei \"{}\\n\"; esperava \"{}\\n\", mas {}",
                mostrar(mensagem),
                mostrar(&esperado),
                outra.descrever()
            ),
            outra.sintoma(),
        )),
    }
}

/// Uma conversa: envia `mensagem`, confere o eco, devolve quanto levou.
pub fn conversar(
    c: &mut Conexao,
    mensagem: &[u8],
    ctx: &Contexto,
    tolerada: &mut bool,
) -> Passo<Duration> {
    let (resposta, tempo) = c.perguntar_eco(mensagem, &ctx.prefixo, ctx.ritmo.prazo());
    conferir_eco(&resposta, mensagem, ctx, tolerada)?;
    Ok(tempo)
}

/// O eco, e a medida do servidor: quanto ele leva para responder a um
/// cliente sozinho (a primeira mensagem e a seguinte) e que prefixo ele
/// usa. O `Err` diz por que nada mais pode ser avaliado.
pub fn eco(alvo: &mut Alvo) -> (Avaliacao, Result<Contexto, String>) {
    let sem_eco = |falha: Falha, motivo: &str| {
        (Avaliacao::falhou(falha.texto, falha.sintoma), Err(motivo.to_string()))
    };
    let mut c = match conectar(alvo, "do primeiro cliente") {
        Ok(c) => c,
        Err(falha) => {
            return sem_eco(falha, "o primeiro cliente não conseguiu conectar (veja eco)")
        }
    };
    let (resposta, primeira) = c.perguntar_medindo(b"oi", PRAZO_DO_PRIMEIRO);
    let mut tolerada = matches!(resposta, Resposta::SemTerminador(_));
    let Some(bytes) = resposta.bytes() else {
        let falha =
            Falha::nova(format!("enviei \"oi\\n\"; {}", resposta.descrever()), resposta.sintoma());
        return sem_eco(falha, "o servidor não respondeu ao primeiro cliente (veja eco)");
    };
    let Some(prefixo) = bytes.strip_suffix(b"oi") else {
        let falha = Falha::nova(
            format!(
                "enviei \"oi\\n\" e recebi \"{}\", que não traz a mensagem: as outras \
                 verificações precisam de um eco para conferir",
                mostrar(bytes)
            ),
            Sintoma::Errada,
        );
        return sem_eco(falha, "a resposta ao primeiro cliente não é um eco (veja eco)");
    };
    let prefixo = prefixo.to_vec();
    // A segunda mensagem mede o tempo de uma mensagem (sem o do `accept()`).
    let mut ctx =
        Contexto { ritmo: Ritmo { primeira, seguinte: primeira }, prefixo: prefixo.clone() };
    let segunda = conversar(&mut c, b"oi de novo", &ctx, &mut tolerada);
    match segunda {
        Ok(tempo) => ctx.ritmo.seguinte = tempo,
        Err(falha) => {
            let texto = format!(
                "\"oi\" → \"{}\" em {}; a segunda mensagem da mesma conexão: {}",
                mostrar(bytes),
                duracao(primeira),
                falha.texto
            );
            let mut avaliacao = Avaliacao::falhou(texto, falha.sintoma);
            avaliacao.sem_terminador = tolerada;
            return (avaliacao, Ok(ctx));
        }
    }
    let tempos = format!(
        "em {}; a segunda mensagem, em {}",
        duracao(ctx.ritmo.primeira),
        duracao(ctx.ritmo.seguinte)
    );
    let mut avaliacao = if prefixo == PREFIXO {
        Avaliacao::passou(format!("\"oi\" → \"Echo: oi\" {tempos}"))
    } else {
        Avaliacao::falhou(
            format!(
                "seu servidor respondeu \"{}\"; a atividade pede \"Echo: oi\" (as outras \
                 verificações aceitam o prefixo do seu servidor, para este erro aparecer uma \
                 vez só)",
                mostrar(bytes)
            ),
            Sintoma::Errada,
        )
    };
    avaliacao.sem_terminador = tolerada;
    (avaliacao, Ok(ctx))
}

fn eco_simples(
    alvo: &mut Alvo,
    ctx: &Contexto,
    mensagem: &str,
    tolerada: &mut bool,
) -> Passo<String> {
    let mut c = conectar(alvo, "do cliente")?;
    let tempo = conversar(&mut c, mensagem.as_bytes(), ctx, tolerada)?;
    let eco = String::from_utf8_lossy(&eco_de(ctx, mensagem.as_bytes())).into_owned();
    Ok(format!("\"{mensagem}\" → \"{eco}\" em {}", duracao(tempo)))
}

fn volta_ao_accept(alvo: &mut Alvo, ctx: &Contexto, tolerada: &mut bool) -> Passo<String> {
    let mut primeiro = conectar(alvo, "do primeiro cliente")?;
    conversar(&mut primeiro, b"sou o primeiro", ctx, tolerada)
        .map_err(|f| f.com_cenario("o primeiro cliente não foi atendido: "))?;
    drop(primeiro); // sai como um cliente comum: FIN
    let mut segundo = conectar(alvo, "do segundo")
        .map_err(|f| f.com_cenario("o primeiro cliente foi atendido e saiu; "))?;
    conversar(&mut segundo, b"sou o segundo", ctx, tolerada).map_err(|f| {
        let mut f =
            f.com_cenario("o primeiro cliente foi atendido e saiu; o segundo conectou, mas ");
        if alvo.terminou_em(Duration::from_secs(1)) {
            f.texto += " (o processo do servidor terminou depois do primeiro cliente)";
        }
        f
    })?;
    Ok("o primeiro cliente conversou e saiu; o segundo foi atendido".into())
}

/// O fechamento só é avaliado se o eco antes dele funcionou: sem isso, a
/// falha seria do eco, e o conselho sobre CLOSE_WAIT não caberia.
fn fecha_quando_o_cliente_sai(alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let mut tolerada = false;
    let mut c = match conectar(alvo, "do cliente") {
        Ok(c) => c,
        Err(f) => return avaliar(Err(f), false),
    };
    if let Err(f) = conversar(&mut c, b"vou sair", ctx, &mut tolerada) {
        return Avaliacao::nao_avaliada(format!(
            "não avaliada: o eco antes de sair falhou ({})",
            f.texto
        ));
    }
    c.fechar_escrita();
    let prazo = PRAZO_PARA_FECHAR + ctx.ritmo.seguinte;
    let resultado = match c.esperar_fim(prazo) {
        Some(tempo) => Ok(format!(
            "depois do eco, o cliente fechou a escrita; o servidor fechou o lado dele em {}",
            duracao(tempo)
        )),
        None => Err(Falha::nova(
            format!(
                "depois do eco, o cliente fechou o lado dele (shutdown de escrita: o servidor lê \
                 0 bytes); {} depois, o servidor ainda não tinha fechado o socket dele: a \
                 conexão ficou em CLOSE_WAIT no servidor",
                segundos(prazo)
            ),
            Sintoma::SemResposta,
        )),
    };
    avaliar(resultado, tolerada)
}

fn sobrevive_a_reset(alvo: &mut Alvo, ctx: &Contexto, tolerada: &mut bool) -> Passo<String> {
    let mut cai = conectar(alvo, "do cliente que vai cair")?;
    cai.enviar(b"meia linha sem fim", ctx.ritmo.prazo()).map_err(|e| {
        Falha::nova(
            format!("enviar meia linha falhou: {}", common::erros::descrever(&e)),
            Sintoma::Resetou,
        )
    })?;
    // Dá tempo de o servidor ler a meia linha antes do RST.
    thread::sleep(Duration::from_millis(200));
    cai.resetar();
    thread::sleep(Duration::from_millis(300));
    let cenario = "um cliente enviou \"meia linha sem fim\" (sem \\n) e caiu com RST; ";
    let mut novo = conectar(alvo, "de um cliente novo").map_err(|f| f.com_cenario(cenario))?;
    conversar(&mut novo, b"depois do reset", ctx, tolerada)
        .map_err(|f| f.com_cenario(&format!("{cenario}um cliente novo conectou, mas ")))?;
    Ok("um cliente enviou meia linha e caiu com RST; um cliente novo foi atendido".into())
}
