//! Além da atividade: um cliente que inunda não cala os outros. Quatro
//! conexões mandam linhas de 16 bytes tão rápido quanto o servidor as
//! aceita (64 KiB por escrita, lendo as respostas em paralelo), enquanto um
//! cliente leve conversa: uma mensagem, a resposta, 5 ms, a próxima.
//!
//! Uma thread por cliente passa: o escalonador do sistema reparte a CPU. Um
//! laço de eventos só passa se for justo, dando a cada conexão pronta uma
//! vez limitada (uma leitura e as suas respostas); o que lê um socket até
//! ele esvaziar fica preso no cliente que nunca para de enviar.

use super::alvo::Alvo;
use super::conexao::Conexao;
use super::formato::{duracao, formatar_milhar};
use super::verificacoes::{avaliar, conectar, conferir_eco};
use super::{Avaliacao, Contexto, Falha, Sintoma};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// As conexões que inundam, e o que cada uma escreve de uma vez.
const INUNDADORES: usize = 4;
const BLOCO: usize = 64 << 10;
/// Uma linha da inundação: 16 bytes com o `\n`.
const LINHA: &[u8; 16] = b"inundo sem fim!\n";
/// Quantas mensagens o cliente leve manda (num servidor rápido), e a pausa
/// entre uma resposta e a mensagem seguinte.
const MENSAGENS_LEVES: usize = 50;
const PAUSA_LEVE: Duration = Duration::from_millis(5);
/// Quanto a inundação corre sozinha antes do cliente leve começar.
const AQUECIMENTO: Duration = Duration::from_millis(300);

/// Uma conexão que inunda: uma thread escreve, outra lê e descarta.
struct Inundador {
    socket: TcpStream,
    threads: Vec<thread::JoinHandle<()>>,
}

fn inundar(
    socket: TcpStream,
    parar: &Arc<AtomicBool>,
    escritos: &Arc<AtomicUsize>,
) -> std::io::Result<Inundador> {
    let bloco: Vec<u8> = LINHA.iter().copied().cycle().take(BLOCO).collect();
    let (mut escrita, mut leitura) = (socket.try_clone()?, socket.try_clone()?);
    let (parar_e, parar_l, contador) = (Arc::clone(parar), Arc::clone(parar), Arc::clone(escritos));
    let escritora = thread::spawn(move || {
        let mut resto: &[u8] = &bloco;
        while !parar_e.load(Ordering::Relaxed) {
            match escrita.write(resto) {
                Ok(0) => break,
                Ok(n) => {
                    contador.fetch_add(n, Ordering::Relaxed);
                    resto = &resto[n..];
                    if resto.is_empty() {
                        resto = &bloco;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1))
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    let leitora = thread::spawn(move || {
        let mut buffer = vec![0u8; BLOCO];
        while !parar_l.load(Ordering::Relaxed) {
            match leitura.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1))
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    Ok(Inundador { socket, threads: vec![escritora, leitora] })
}

/// Os tempos de resposta do cliente leve, ordenados: mediana, p99, máximo.
fn percentis(tempos: &mut [Duration]) -> String {
    tempos.sort();
    let p = |q: f64| tempos[((tempos.len() as f64 * q).ceil() as usize).clamp(1, tempos.len()) - 1];
    format!("mediana {}, p99 {}, máximo {}", duracao(p(0.5)), duracao(p(0.99)), duracao(p(1.0)))
}

pub fn cliente_que_inunda(alvo: &mut Alvo, ctx: &Contexto) -> Avaliacao {
    let parar = Arc::new(AtomicBool::new(false));
    let escritos = Arc::new(AtomicUsize::new(0));
    let mut inundadores = Vec::new();
    let mut tolerada = false;
    let resultado = (|| -> Result<String, Falha> {
        for i in 0..INUNDADORES {
            let c = conectar(alvo, &format!("do cliente que inunda {}", i + 1))?;
            let socket = c
                .socket()
                .map_err(|e| Falha::nova(format!("clonar o socket: {e}"), Sintoma::Nenhum))?;
            let inundador = inundar(socket, &parar, &escritos)
                .map_err(|e| Falha::nova(format!("clonar o socket: {e}"), Sintoma::Nenhum))?;
            inundadores.push((c, inundador));
        }
        thread::sleep(AQUECIMENTO);
        let mut leve: Conexao = conectar(alvo, "do cliente leve")?;
        let total = ctx.ritmo.mensagens(MENSAGENS_LEVES);
        // Todas as respostas em 5 s (mais o ritmo do servidor): um servidor
        // justo responde em milissegundos mesmo inundado; cada uma tem o
        // prazo de uma mensagem numa conexão nova ou já atendida.
        let ritmo = &ctx.ritmo;
        let inicio = Instant::now();
        let limite = inicio
            + Duration::from_secs(5)
            + ritmo.primeira * 3
            + ritmo.seguinte * (3 * total as u32);
        let mut tempos = Vec::with_capacity(total);
        for i in 0..total {
            let mensagem = format!("leve {i}");
            let enviada = Instant::now();
            let prazo = ritmo.prazo_da_mensagem(i).min(limite.saturating_duration_since(enviada));
            let (resposta, _) = leve.perguntar_eco(mensagem.as_bytes(), &ctx.prefixo, prazo);
            tempos.push(enviada.elapsed());
            let falha = conferir_eco(&resposta, mensagem.as_bytes(), ctx, &mut tolerada).err();
            let estourou = Instant::now() >= limite && i + 1 < total;
            if falha.is_some() || estourou {
                let recebidas = if falha.is_some() { i } else { i + 1 };
                let mut tempos_ok = tempos[..recebidas].to_vec();
                let ate_aqui = if tempos_ok.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", percentis(&mut tempos_ok))
                };
                let (texto, sintoma) = match falha {
                    Some(f) if f.sintoma != Sintoma::SemResposta => (f.texto, f.sintoma),
                    _ => (
                        format!(
                            "a mensagem {} ficou {} sem resposta",
                            i + 1,
                            super::formato::segundos(enviada.elapsed())
                        ),
                        Sintoma::Lenta,
                    ),
                };
                return Err(Falha::nova(
                    format!(
                        "com {INUNDADORES} clientes inundando o servidor ({} enviados), um \
                         cliente leve recebeu {recebidas} de {total} respostas em {}{ate_aqui}; \
                         {texto}",
                        bytes(escritos.load(Ordering::Relaxed)),
                        super::formato::segundos(inicio.elapsed())
                    ),
                    sintoma,
                ));
            }
            thread::sleep(PAUSA_LEVE);
        }
        Ok(format!(
            "com {INUNDADORES} clientes inundando o servidor ({} enviados), um cliente leve \
             recebeu as {total} respostas em {} ({})",
            bytes(escritos.load(Ordering::Relaxed)),
            duracao(inicio.elapsed()),
            percentis(&mut tempos)
        ))
    })();
    parar.store(true, Ordering::Relaxed);
    for (c, inundador) in inundadores {
        c.interromper();
        for t in inundador.threads {
            let _ = t.join();
        }
        drop(inundador.socket);
    }
    avaliar(resultado, tolerada)
}

/// Um volume em bytes, legível: `12,3 MiB`.
fn bytes(n: usize) -> String {
    if n < 1 << 20 {
        return format!("{} KiB", formatar_milhar(n >> 10));
    }
    format!("{:.1} MiB", n as f64 / f64::from(1 << 20)).replace('.', ",")
}
