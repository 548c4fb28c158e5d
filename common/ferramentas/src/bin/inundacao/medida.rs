//! Uma medida da inundação: o servidor iniciado do zero (porta 0, banner),
//! o cliente leve sozinho, depois o cliente leve durante a inundação.

use anyhow::{anyhow, Context, Result};
use apoio::inundacao::{Inundacao, Leve, Medida, Percentis, RESPOSTA};
use common::rede::PREFIXO_DO_BANNER;
use ferramentas::processo::{Processo, Saida};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// Um servidor medido: o programa e os argumentos com que é iniciado.
#[derive(Clone, Debug)]
pub struct Variante {
    /// A primeira coluna da tabela (`parte3 -q`, `parte3`, `eco-epoll`).
    pub rotulo: String,
    /// O nome com que `--so` escolhe esta linha (`parte3` para `parte3 -q`);
    /// `None` nas linhas com log, que só a medida completa roda.
    pub nome: Option<String>,
    pub programa: Programa,
    pub args: Vec<String>,
}

/// De onde vem o servidor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Programa {
    /// Um executável do workspace (`--porta 0`, a porta lida do banner).
    Rust(&'static str),
    /// O eco em C da referência (`referencias/eco-epoll.c`), compilado aqui.
    C,
    /// Uma solução Python da disciplina (`disciplina/solucoes/`), que lê a
    /// porta da linha de comando, como o `servidor.py`.
    Python(&'static str),
}

/// Os tempos de uma medida.
pub struct Tempos {
    /// Quanto dura a medida com a inundação.
    pub duracao: Duration,
    /// Quanto a inundação roda antes de a medida começar.
    pub aquecimento: Duration,
    /// Conexões que inundam.
    pub conexoes: usize,
}

/// A linha do cliente leve: uma a cada 5 ms, como um cliente interativo
/// muito rápido.
pub const INTERVALO: Duration = Duration::from_millis(5);

/// Respostas medidas com o servidor sem carga.
const SOZINHO: usize = 100;

/// Quanto esperar uma resposta depois que a medida acaba e a inundação
/// para: um servidor injusto responde só então (e essa espera conta).
const PRAZO_DEPOIS: Duration = Duration::from_secs(30);

/// O resultado de uma medida, em microssegundos.
#[derive(Debug, Clone, Serialize)]
pub struct Resultado {
    pub sozinho_p50_us: Option<u64>,
    pub respostas: usize,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub maximo_us: Option<u64>,
    /// A resposta que não veio (o servidor deixou o cliente leve sem ela).
    pub falha: Option<String>,
    /// Linhas da inundação respondidas por segundo durante a medida.
    pub inundacao_por_s: f64,
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

impl Resultado {
    fn novo(sozinho: Option<Percentis>, durante: &Medida, inundacao_por_s: f64) -> Resultado {
        let p = durante.percentis();
        Resultado {
            sozinho_p50_us: sozinho.map(|s| micros(s.p50)),
            respostas: durante.vai_e_volta.len(),
            p50_us: p.map(|p| micros(p.p50)),
            p99_us: p.map(|p| micros(p.p99)),
            maximo_us: p.map(|p| micros(p.maximo)),
            falha: durante.falha.clone(),
            inundacao_por_s,
        }
    }
}

/// Inicia o servidor. A saída é descartada: com o log ligado são milhões de
/// linhas, lidas do pipe tão rápido quanto o servidor as escreve.
fn iniciar(caminho: &Path, variante: &Variante) -> Result<Processo> {
    let mut args = variante.args.clone();
    match variante.programa {
        Programa::Rust(_) => {
            args.extend(["--host".to_string(), "127.0.0.1".to_string()]);
            Processo::servidor(caminho, &args, Saida::Descartar)
        }
        Programa::C => Processo::servidor(caminho, &args, Saida::Descartar),
        Programa::Python(arquivo) => {
            // Uma porta livre, escolhida aqui: o programa Python a recebe
            // como a do `servidor.py` (outro programa poderia tomá-la no
            // instante entre fechar e abrir; numa medida, tanto faz).
            let porta = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("disciplina/solucoes").join(arquivo);
            let args = [script.to_string_lossy().into_owned(), porta.to_string()];
            let mut processo = Processo::iniciar(caminho, &args, Saida::Descartar)?;
            processo.esperar(|l| l.starts_with(PREFIXO_DO_BANNER), 1, Duration::from_secs(30))?;
            processo.porta = porta;
            Ok(processo)
        }
    }
}

pub fn medir(caminho: &Path, variante: &Variante, tempos: &Tempos) -> Result<Resultado> {
    let servidor = iniciar(caminho, variante)?;
    let endereco = SocketAddr::from(([127, 0, 0, 1], servidor.porta));
    let mut leve = Leve::conectar(endereco).context("conectar o cliente leve")?;
    let sozinho = leve.medir(SOZINHO, PRAZO_DEPOIS, INTERVALO, PRAZO_DEPOIS);
    if let Some(falha) = sozinho.falha {
        return Err(anyhow!("{}: sem inundação, {falha}", variante.rotulo));
    }
    let inundacao = Inundacao::iniciar(endereco, tempos.conexoes).context("abrir a inundação")?;
    thread::sleep(tempos.aquecimento);
    let (inicio, antes) = (Instant::now(), inundacao.recebidos());
    // O cliente leve mede na sua thread; esta marca o fim da medida e para
    // a inundação. Uma resposta pendente nesse instante ainda é esperada.
    let duracao = tempos.duracao;
    let medindo =
        thread::spawn(move || leve.medir(usize::MAX, duracao, INTERVALO, duracao + PRAZO_DEPOIS));
    thread::sleep(duracao);
    let respondidas = (inundacao.recebidos() - antes) / RESPOSTA;
    let por_s = respondidas as f64 / inicio.elapsed().as_secs_f64();
    inundacao.parar();
    let durante = medindo.join().map_err(|_| anyhow!("a thread do cliente leve morreu"))?;
    drop(servidor);
    Ok(Resultado::novo(sozinho.percentis(), &durante, por_s))
}
