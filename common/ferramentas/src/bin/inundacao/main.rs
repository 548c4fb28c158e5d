//! `inundacao`: um cliente consegue segurar os outros? Quatro conexões
//! inundam o servidor com linhas de 16 bytes (cada uma escreve 64 KiB de
//! uma vez e lê as respostas ao mesmo tempo), e um cliente leve envia uma
//! linha a cada 5 ms e mede quanto espera por cada resposta: sozinho, e
//! durante a inundação. Roda todos os servidores concorrentes (com e sem
//! `-q`) e as referências: `eco-mio`, `eco-tokio` e `eco-epoll`, um eco em
//! C que faz uma leitura por socket pronto a cada volta (Linux, compilado
//! com o `cc` da máquina); e as três soluções Python da disciplina
//! (`disciplina/solucoes/`), se houver Python.
//!
//! Numa rodada, os servidores se alternam, e a ordem gira de uma rodada
//! para outra. Cada número da tabela é a mediana das rodadas, com o menor e
//! o maior valor entre elas onde o espalhamento importa (p99 e máximo).
//! Sem `--gravar`, os resultados vão para `target/inundacao/`.

mod medida;
mod tabela;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::linha_de_comando::{faixa, faixa_decimal, ArgsAjuda, MODELO_AJUDA};
use ferramentas::medidos::{self, Medido, Opcoes};
use medida::{Programa, Resultado, Tempos, Variante};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Mede a espera de um cliente leve enquanto outros inundam o servidor
#[derive(Parser, Debug)]
#[command(name = "inundacao", disable_help_flag = true, help_template = MODELO_AJUDA)]
struct Args {
    /// Versão curta (uma rodada, 2 s por servidor): uns 40 s, para conferir algo
    #[arg(long)]
    rapido: bool,
    /// Rodadas; cada número é a mediana delas (padrão: 3)
    #[arg(long, default_value_t = 3, hide_default_value = true, value_parser = faixa(1u32, 50))]
    rodadas: u32,
    /// Segundos medidos por servidor, com a inundação (padrão: 5)
    #[arg(long, value_name = "S", default_value_t = 5.0, hide_default_value = true,
          value_parser = faixa_decimal(0.2, 120.0))]
    duracao: f64,
    /// Conexões que inundam (padrão: 4)
    #[arg(long, value_name = "N", default_value_t = 4, hide_default_value = true,
          value_parser = faixa(1u32, 64))]
    conexoes: u32,
    /// Pasta dos resultados (padrão: target/inundacao; com --gravar, figuras)
    #[arg(long, value_name = "PASTA")]
    saida: Option<PathBuf>,
    /// Grava os resultados em figuras/ (só numa execução completa)
    #[arg(long)]
    gravar: bool,
    /// Mede só os servidores cujo rótulo começa assim (repetível: --so parte3-poll --so eco-epoll)
    #[arg(long, value_name = "ROTULO")]
    so: Vec<String>,
    /// Só para os testes: uma rodada curtíssima, dois servidores
    #[arg(long, hide = true)]
    fumaca: bool,
    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Os servidores medidos: os concorrentes da lista (cada servidor das
/// partes sem log e com log; as referências como são), o eco em C e as
/// soluções Python da disciplina.
fn variantes() -> Vec<Variante> {
    let rust = |m: Medido| Variante {
        rotulo: m.rotulo(),
        programa: Programa::Rust(m.binario),
        args: m.args(Opcoes::default()),
    };
    let mut variantes = Vec::new();
    for medido in medidos::concorrentes() {
        variantes.push(rust(medido));
        variantes.extend(medido.ligando_o_log().map(rust));
    }
    let outro = |rotulo: &str, programa| Variante { rotulo: rotulo.into(), programa, args: vec![] };
    variantes.push(outro("eco-epoll", Programa::C));
    for (rotulo, arquivo) in [
        ("python threads", "servidor_threads.py"),
        ("python selectors", "servidor_selectors.py"),
        ("python asyncio", "servidor_asyncio.py"),
    ] {
        variantes.push(outro(rotulo, Programa::Python(arquivo)));
    }
    variantes
}

/// O interpretador Python da máquina, se houver (no Windows, `python`).
fn python() -> Option<PathBuf> {
    let nome = if cfg!(windows) { "python" } else { "python3" };
    let ok = Command::new(nome).arg("--version").output().is_ok_and(|s| s.status.success());
    if !ok {
        eprintln!("inundacao: sem {nome} nesta máquina; as soluções Python ficam de fora");
    }
    ok.then(|| PathBuf::from(nome))
}

/// A referência em C, compilada em `pasta`; `None` (com o motivo impresso)
/// se não há epoll ou compilador.
fn eco_epoll(pasta: &Path) -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        eprintln!("inundacao: eco-epoll só existe no Linux (epoll); fica de fora");
        return None;
    }
    let fonte = Path::new(env!("CARGO_MANIFEST_DIR")).join("referencias/eco-epoll.c");
    let binario = pasta.join("eco-epoll");
    let compilou = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-o"])
        .arg(&binario)
        .arg(&fonte)
        .status();
    match compilou {
        Ok(status) if status.success() => Some(binario),
        outro => {
            eprintln!(
                "inundacao: não consegui compilar {} ({outro:?}); fica de fora",
                fonte.display()
            );
            None
        }
    }
}

fn main() {
    let args = common::linha_de_comando::ler::<Args>();
    if let Err(e) = executar(args) {
        eprintln!("inundacao: {e:#}");
        std::process::exit(1);
    }
}

fn executar(args: Args) -> Result<()> {
    let (rodadas, segundos) = match (args.fumaca, args.rapido) {
        (true, _) => (1, 0.3),
        (false, true) => (1, 2.0),
        (false, false) => (args.rodadas, args.duracao),
    };
    if args.gravar && (args.rapido || args.fumaca || rodadas < 3 || segundos < 5.0) {
        bail!(
            "--gravar só vale numa execução completa (3 rodadas ou mais, 5 s ou mais por \
             servidor): uma medida curta é ruidosa demais para ir ao relato"
        );
    }
    let tempos = Tempos {
        duracao: Duration::from_secs_f64(segundos),
        aquecimento: Duration::from_millis(if args.fumaca { 100 } else { 500 }),
        conexoes: args.conexoes as usize,
    };
    let pasta = ferramentas::binarios::pasta()?;
    let todas = variantes();
    let variantes: Vec<&Variante> = if args.fumaca {
        todas.iter().filter(|v| ["parte3 -q", "eco-mio"].contains(&v.rotulo.as_str())).collect()
    } else {
        todas
            .iter()
            .filter(|v| {
                args.so.is_empty() || args.so.iter().any(|s| v.rotulo.starts_with(s.as_str()))
            })
            .collect()
    };
    if variantes.is_empty() {
        bail!("nenhum servidor com esse rótulo; os rótulos são os da primeira coluna da tabela");
    }
    let rust: Vec<&str> = variantes
        .iter()
        .filter_map(|v| match v.programa {
            Programa::Rust(nome) => Some(nome),
            _ => None,
        })
        .collect();
    ferramentas::binarios::compilar(&pasta, &rust)?;
    // O caminho de cada programa; quem não pode rodar aqui fica de fora.
    let epoll =
        variantes.iter().any(|v| v.programa == Programa::C).then(|| eco_epoll(&pasta)).flatten();
    let python =
        variantes.iter().any(|v| matches!(v.programa, Programa::Python(_))).then(python).flatten();
    let mut caminhos = Vec::new();
    for v in variantes {
        let caminho = match v.programa {
            Programa::Rust(nome) => Some(ferramentas::binarios::caminho(&pasta, nome)?),
            Programa::C => epoll.clone(),
            Programa::Python(_) => python.clone(),
        };
        if let Some(caminho) = caminho {
            caminhos.push((v, caminho));
        }
    }
    let variantes: Vec<&Variante> = caminhos.iter().map(|(v, _)| *v).collect();

    let inicio = Instant::now();
    let mut medidas: Vec<Vec<Resultado>> = vec![Vec::new(); variantes.len()];
    for rodada in 0..rodadas as usize {
        let n = variantes.len();
        // A ordem gira a cada rodada: a posição não favorece ninguém.
        for i in (0..n).map(|k| (k + rodada) % n) {
            let (variante, caminho) = &caminhos[i];
            let r = medida::medir(caminho, variante, &tempos)?;
            eprintln!(
                "inundacao: rodada {}/{rodadas}, {}",
                rodada + 1,
                tabela::progresso(variante, &r)
            );
            medidas[i].push(r);
        }
    }

    let saida = match (&args.saida, args.gravar) {
        (Some(pasta), _) => pasta.clone(),
        (None, true) => PathBuf::from("figuras"),
        (None, false) => pasta.parent().unwrap_or(&pasta).join("inundacao"),
    };
    std::fs::create_dir_all(&saida).with_context(|| format!("criar {}", saida.display()))?;
    let comando = match (args.gravar, args.rapido) {
        (true, _) => "cargo run --release --bin inundacao -- --gravar",
        (false, true) => "cargo run --release --bin inundacao -- --rapido",
        (false, false) => "cargo run --release --bin inundacao",
    };
    let descricao = tabela::Descricao {
        comando: comando.to_string(),
        segundos: inicio.elapsed().as_secs_f64(),
        rodadas,
        tempos,
    };
    let texto = tabela::tabela(&variantes, &medidas, &descricao);
    let arquivo_md = saida.join("inundacao.md");
    std::fs::write(&arquivo_md, &texto)
        .with_context(|| format!("escrever {}", arquivo_md.display()))?;
    let arquivo_json = saida.join("inundacao.json");
    let json = tabela::json(&variantes, &medidas, &descricao);
    std::fs::write(&arquivo_json, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("escrever {}", arquivo_json.display()))?;
    println!("{texto}");
    eprintln!(
        "inundacao: escrevi {} e {} em {}",
        arquivo_md.display(),
        arquivo_json.display(),
        ferramentas::formato::duracao(inicio.elapsed().as_secs_f64())
    );
    Ok(())
}
