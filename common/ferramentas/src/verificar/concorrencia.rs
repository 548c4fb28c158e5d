//! As verificações com dois clientes ao mesmo tempo: a classe do servidor
//! (serial ou concorrente) e um cliente que nunca lê (os cem clientes
//! juntos estão em [`super::muitos`]).
//!
//! A classe sai da sobreposição, não de um cronômetro: um servidor serial
//! não tem como responder ao cliente B enquanto o cliente A continua
//! conectado, por mais rápida que seja a máquina, e um concorrente responde
//! a B no mesmo tempo em que respondeu a A sozinho. A janela de B é medida a
//! partir desse tempo ([`super::ritmo`]): um `time.sleep(3)` por conexão não
//! vira "serial".

use super::alvo::Alvo;
use super::conexao::escrever_tudo;
use super::formato::{duracao, segundos};
use super::resposta::Resposta;
use super::verificacoes::{conectar, conferir_eco};
use super::{Avaliacao, Classe, Contexto, Falha, Sintoma};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Como começa o detalhe de uma verificação que não se aplica.
pub const NAO_SE_APLICA: &str = "não se aplica";
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
