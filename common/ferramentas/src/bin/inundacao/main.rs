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
    /// Mede só estes servidores, pelo nome exato: --so repetido ou uma lista com vírgulas (ex.:
    /// --so parte3 --so parte3-poll, ou --so parte3,parte3-poll). Nomes: parte3, parte3-poll, parte3-async e parte4 (sem
    /// log: as linhas "-q" da tabela; as com log só entram sem --so), eco-mio, eco-tokio,
    /// eco-epoll, python-threads, python-selectors, python-asyncio
    #[arg(long, value_name = "NOMES", value_delimiter = ',', value_parser = nome_de_servidor)]
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
    let rust = |m: Medido, nome: Option<String>| Variante {
        rotulo: m.rotulo(),
        nome,
        programa: Programa::Rust(m.binario),
        args: m.args(Opcoes::default()),
    };
    let mut variantes = Vec::new();
    for medido in medidos::concorrentes() {
        variantes.push(rust(medido, Some(medido.binario.to_string())));
        variantes.extend(medido.ligando_o_log().map(|m| rust(m, None)));
    }
    let outro = |rotulo: &str, programa| Variante {
        rotulo: rotulo.into(),
        nome: Some(rotulo.replace(' ', "-")),
        programa,
        args: vec![],
    };
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

/// Lê um nome de `--so`: só um nome exato vale (`parte3` não escolhe
/// também `parte3-poll`), e um nome errado é erro de uso, com os nomes.
fn nome_de_servidor(texto: &str) -> Result<String, String> {
    let nomes: Vec<String> = variantes().into_iter().filter_map(|v| v.nome).collect();
    let nome = texto.trim();
    if nomes.iter().any(|n| n == nome) {
        Ok(nome.to_string())
    } else {
        Err(format!("aceita um destes nomes: {}", nomes.join(", ")))
    }
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

/// As variantes que `--so` escolhe (todas, sem `--so`), na ordem da lista.
fn escolher<'a>(todas: &'a [Variante], so: &[String]) -> Vec<&'a Variante> {
    todas
        .iter()
        .filter(|v| so.is_empty() || v.nome.as_ref().is_some_and(|n| so.contains(n)))
        .collect()
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
    if args.gravar && !args.so.is_empty() {
        bail!("--gravar mede todos os servidores: a tabela do relato não pode perder linhas (sem --so)");
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
        escolher(&todas, &args.so)
    };
    if variantes.is_empty() {
        bail!("nenhum servidor para medir");
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
    let mut comando = match (args.gravar, args.rapido) {
        (true, _) => "cargo run --release --bin inundacao -- --gravar",
        (false, true) => "cargo run --release --bin inundacao -- --rapido",
        (false, false) => "cargo run --release --bin inundacao --",
    }
    .to_string();
    if !args.so.is_empty() {
        comando += &format!(" --so {}", args.so.join(","));
    }
    let descricao = tabela::Descricao {
        comando: comando.trim_end_matches(" --").to_string(),
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

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn so_escolhe_pelo_nome_exato_e_recusa_o_resto() {
        let todas = variantes();
        let rotulos = |so: &[&str]| -> Vec<String> {
            let so: Vec<String> = so.iter().map(|s| s.to_string()).collect();
            escolher(&todas, &so).iter().map(|v| v.rotulo.clone()).collect()
        };
        // `parte3` não leva junto `parte3-poll` nem `parte3-async`, nem a linha com log.
        assert_eq!(rotulos(&["parte3"]), ["parte3 -q"]);
        assert_eq!(
            rotulos(&["parte3", "parte3-poll", "parte3-async", "eco-epoll"]),
            ["parte3 -q", "parte3-poll -q", "parte3-async -q", "eco-epoll"]
        );
        assert_eq!(rotulos(&["python-selectors"]), ["python selectors"]);
        assert_eq!(rotulos(&[]).len(), todas.len());
        for errado in ["parte", "parte3 -q", "python", "python selectors", ""] {
            assert!(nome_de_servidor(errado).is_err(), "{errado:?} foi aceito");
        }
        // Cada nome escolhe uma linha só, e a ajuda de --so diz todos.
        let ajuda = <Args as clap::CommandFactory>::command()
            .get_arguments()
            .find(|a| a.get_id() == "so")
            .and_then(|a| a.get_help().map(|h| h.to_string()))
            .expect("a ajuda de --so");
        let nomes: Vec<&String> = todas.iter().filter_map(|v| v.nome.as_ref()).collect();
        for nome in &nomes {
            assert_eq!(nomes.iter().filter(|n| n == &nome).count(), 1, "{nome} repetido");
            assert!(ajuda.contains(&format!(" {nome}")), "a ajuda de --so não diz {nome}");
        }
    }
}
