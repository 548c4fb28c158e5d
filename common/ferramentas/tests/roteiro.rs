//! O roteiro do laboratório (`disciplina/roteiro.md`) e os exercícios
//! (`disciplina/exercicios/*.md`) dizem comandos ao aluno; estes testes
//! provam que eles existem e rodam como estão escritos.
//!
//! A convenção dos blocos de código em Markdown:
//! - ```` ```bash ````: roda de verdade (só no Linux), inteiro, num bash,
//!   da raiz do projeto. Precisa terminar sozinho e em segundos;
//! - ```` ```sh ```` e ```` ```powershell ````: não rodam (vários terminais,
//!   interativos, longos ou do Windows); cada `cargo run --bin X -- OPÇÕES`
//!   deles roda como `X OPÇÕES --help`, que lê e confere todas as opções
//!   antes de mostrar a ajuda (uma opção errada sai com código 2), e cada
//!   arquivo `.py` citado precisa existir;
//! - ```` ```text ````: saída observada, não conferida.
//!
//! Cada `just RECEITA` citado no texto precisa ser uma receita do justfile.

use apoio::{binario, RAIZ};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROTEIRO: &str = "common/ferramentas/disciplina/roteiro.md";
const EXERCICIOS: &str = "common/ferramentas/disciplina/exercicios";

/// Um bloco de código de um arquivo Markdown.
struct Bloco {
    lingua: String,
    /// Linha da cerca de abertura, para a mensagem de erro.
    linha: usize,
    texto: String,
}

fn ler(caminho: &Path) -> String {
    std::fs::read_to_string(caminho).unwrap_or_else(|e| panic!("ler {}: {e}", caminho.display()))
}

/// Os blocos cercados por ```` ``` ```` do texto, na ordem.
fn blocos(texto: &str) -> Vec<Bloco> {
    let mut blocos = Vec::new();
    let mut aberto: Option<Bloco> = None;
    for (i, linha) in texto.lines().enumerate() {
        let Some(resto) = linha.trim_start().strip_prefix("```") else {
            if let Some(bloco) = aberto.as_mut() {
                bloco.texto.push_str(linha);
                bloco.texto.push('\n');
            }
            continue;
        };
        match aberto.take() {
            Some(bloco) => blocos.push(bloco),
            None => {
                aberto = Some(Bloco {
                    lingua: resto.trim().to_string(),
                    linha: i + 1,
                    texto: String::new(),
                })
            }
        }
    }
    assert!(aberto.is_none(), "bloco de código sem a cerca de fechamento");
    blocos
}

/// Os comandos de uma linha de shell (bash ou PowerShell, nos casos simples
/// que os roteiros usam): as palavras de cada comando separado por `;`,
/// `&&`, `|` ou `&`, sem aspas e sem o comentário do fim.
fn comandos(linha: &str) -> Vec<Vec<String>> {
    let mut comandos = vec![Vec::new()];
    let mut palavra = String::new();
    let mut tem_palavra = false;
    let mut aspas: Option<char> = None;
    let mut anterior = ' ';
    for c in linha.chars() {
        match (aspas, c) {
            (Some(a), c) if c == a => aspas = None,
            (Some(_), c) => palavra.push(c),
            (None, '"' | '\'') => {
                aspas = Some(c);
                tem_palavra = true;
            }
            (None, '#') if anterior.is_whitespace() => break,
            (None, c) if c.is_whitespace() || matches!(c, ';' | '|' | '&') => {
                if tem_palavra {
                    comandos.last_mut().expect("sempre há um comando").push(palavra.clone());
                    palavra.clear();
                    tem_palavra = false;
                }
                if !c.is_whitespace() && !comandos.last().expect("sempre há um").is_empty() {
                    comandos.push(Vec::new());
                }
            }
            (None, c) => {
                palavra.push(c);
                tem_palavra = true;
            }
        }
        anterior = c;
    }
    assert!(aspas.is_none(), "aspas sem fechar em: {linha}");
    if tem_palavra {
        comandos.last_mut().expect("sempre há um comando").push(palavra);
    }
    comandos.retain(|c| !c.is_empty());
    comandos
}

/// Confere um comando que não roda aqui: `cargo run --bin X -- OPÇÕES` vira
/// `X OPÇÕES --help`; `cargo build --bin X`, que X exista; `python ARQ.py`,
/// que o arquivo exista em `pasta`. Devolve quantos programas conferiu.
fn conferir(palavras: &[String], pasta: &Path, onde: &str) -> usize {
    match palavras.first().map(String::as_str) {
        Some("cargo") => conferir_cargo(palavras, onde),
        Some("python" | "python3") => {
            if let Some(arquivo) = palavras.iter().find(|p| p.ends_with(".py")) {
                assert!(pasta.join(arquivo).is_file(), "{onde}: {arquivo} não existe");
            }
            0
        }
        _ => 0,
    }
}

fn conferir_cargo(palavras: &[String], onde: &str) -> usize {
    let fim = palavras.iter().position(|p| p == "--").unwrap_or(palavras.len());
    let (cargo, opcoes) = (&palavras[..fim], palavras.get(fim + 1..).unwrap_or(&[]));
    let programas: Vec<&String> =
        cargo.windows(2).filter(|par| par[0] == "--bin").map(|par| &par[1]).collect();
    if cargo.get(1).map(String::as_str) == Some("run") {
        assert_eq!(programas.len(), 1, "{onde}: cargo run sem um --bin: {palavras:?}");
        let saida = Command::new(binario(programas[0]))
            .args(opcoes)
            .arg("--help")
            .env_remove("CARGO")
            .output()
            .expect("executar o programa com --help");
        assert!(
            saida.status.success() && !saida.stdout.is_empty(),
            "{onde}: {} {} não foi aceito: {}",
            programas[0],
            opcoes.join(" "),
            String::from_utf8_lossy(&saida.stderr)
        );
    } else {
        for programa in &programas {
            binario(programa);
        }
    }
    programas.len()
}

/// Confere os comandos dos blocos que não rodam (e os dos que rodam, que
/// também não podem ter opções erradas). Devolve quantos programas conferiu.
fn conferir_blocos(arquivo: &Path, pasta: &Path) -> usize {
    let texto = ler(arquivo);
    let mut conferidos = 0;
    for bloco in blocos(&texto) {
        if !matches!(bloco.lingua.as_str(), "bash" | "sh" | "powershell") {
            continue;
        }
        for (i, linha) in bloco.texto.lines().enumerate() {
            let onde = format!("{}:{}", arquivo.display(), bloco.linha + 1 + i);
            for palavras in comandos(linha) {
                conferidos += conferir(&palavras, pasta, &onde);
            }
        }
    }
    conferidos
}

/// Cada `` `just RECEITA ...` `` do texto é uma receita do justfile.
fn conferir_receitas_do_just(arquivo: &Path) {
    let justfile = ler(&Path::new(RAIZ).join("justfile"));
    let texto = ler(arquivo);
    for trecho in texto.split("`just ").skip(1) {
        let receita = trecho.split([' ', '`']).next().unwrap_or_default();
        let existe = justfile.lines().any(|l| {
            l.strip_prefix(receita).is_some_and(|resto| resto.starts_with([' ', ':']))
                || l.starts_with(&format!("alias {receita} "))
        });
        assert!(existe, "{}: `just {receita}` não é uma receita do justfile", arquivo.display());
    }
}

fn exercicios() -> Vec<PathBuf> {
    let pasta = Path::new(RAIZ).join(EXERCICIOS);
    let mut arquivos: Vec<PathBuf> = std::fs::read_dir(&pasta)
        .expect("ler a pasta dos exercícios")
        .map(|e| e.expect("entrada da pasta").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    arquivos.sort();
    arquivos
}

#[test]
fn cada_comando_do_roteiro_e_dos_exercicios_existe_com_as_suas_opcoes() {
    let raiz = Path::new(RAIZ);
    let roteiro = raiz.join(ROTEIRO);
    // Passos 1 a 6, nos dois sistemas, mais a compilação: bem mais que 10.
    let conferidos = conferir_blocos(&roteiro, raiz);
    assert!(conferidos >= 10, "só {conferidos} programas conferidos no roteiro");
    conferir_receitas_do_just(&roteiro);

    let pasta = raiz.join(EXERCICIOS);
    let exercicios = exercicios();
    assert!(exercicios.len() >= 6, "faltam exercícios: {exercicios:?}");
    for exercicio in &exercicios {
        conferir_blocos(exercicio, &pasta);
        conferir_receitas_do_just(exercicio);
    }
}

#[test]
fn o_separador_de_comandos_entende_aspas_comentarios_e_encadeamentos() {
    let esperado = |c: &[&[&str]]| -> Vec<Vec<String>> {
        c.iter().map(|p| p.iter().map(|s| s.to_string()).collect()).collect()
    };
    assert_eq!(
        comandos(r#"cargo run --bin verificar -- --iniciar "python x.py {porta}" --parte 3  # ok"#),
        esperado(&[&[
            "cargo",
            "run",
            "--bin",
            "verificar",
            "--",
            "--iniciar",
            "python x.py {porta}",
            "--parte",
            "3"
        ]])
    );
    assert_eq!(
        comandos(
            "cargo build --workspace && cargo build --release; netstat -an | Select-String ':5611'"
        ),
        esperado(&[
            &["cargo", "build", "--workspace"],
            &["cargo", "build", "--release"],
            &["netstat", "-an"],
            &["Select-String", ":5611"],
        ])
    );
    assert_eq!(comandos("servidor=$!  # o PID"), esperado(&[&["servidor=$!"]]));
}

/// Roda cada bloco ```` ```bash ```` do roteiro como o aluno o rodaria, com
/// duas trocas: `cargo run ... --bin X -- OPÇÕES` chama o X já compilado
/// (rodar o cargo dentro do `cargo test` recompilaria e disputaria a trava
/// da pasta target), e a porta fixa 5611 vira uma porta livre (outro teste,
/// ou outra pessoa, pode estar na 5611).
#[cfg(target_os = "linux")]
#[test]
fn cada_bloco_bash_do_roteiro_roda_e_termina_bem() {
    let raiz = Path::new(RAIZ);
    let texto = ler(&raiz.join(ROTEIRO));
    let bash: Vec<Bloco> = blocos(&texto).into_iter().filter(|b| b.lingua == "bash").collect();
    assert!(bash.len() >= 4, "o roteiro tem só {} blocos bash", bash.len());
    // Os programas dos blocos, e os que o cenario inicia, já compilados.
    for nome in ["cenario", "cliente", "parte2", "parte4", "nagle"] {
        binario(nome);
    }
    let pasta = binario("cenario").parent().expect("pasta dos executáveis").to_path_buf();
    for bloco in &bash {
        let porta = porta_livre().to_string();
        let script = format!("{PRELUDIO}\n{}", bloco.texto.replace("5611", &porta));
        let (sucesso, saida) = rodar_bash(&script, &pasta, raiz);
        assert!(
            sucesso,
            "o bloco da linha {} do roteiro falhou:\n{}\n--- saída:\n{saida}",
            bloco.linha, bloco.texto
        );
        assert!(!saida.trim().is_empty(), "o bloco da linha {} não imprimiu nada", bloco.linha);
    }
}

/// O começo de cada bloco: para no primeiro erro e troca o `cargo run` pelo
/// programa compilado (`exec` quando o bloco o pôs em segundo plano, para o
/// `$!` do bloco ser o PID do próprio programa, como com o cargo de verdade).
#[cfg(target_os = "linux")]
const PRELUDIO: &str = r#"set -e
cargo() {
    if [ "$1" != run ]; then echo "bloco bash com cargo $1: só cargo run roda aqui" >&2; return 1; fi
    while [ "$#" -gt 0 ] && [ "$1" != --bin ]; do shift; done
    local programa="$PASTA/$2"; shift 2
    if [ "${1:-}" = -- ]; then shift; fi
    if [ "$BASHPID" != "$$" ]; then exec "$programa" "$@"; fi
    "$programa" "$@"
}"#;

#[cfg(target_os = "linux")]
fn porta_livre() -> u16 {
    let escuta = std::net::TcpListener::bind("127.0.0.1:0").expect("bind numa porta livre");
    escuta.local_addr().expect("endereço local").port()
}

/// Roda o script num bash, num grupo de processos só dele, com um prazo de
/// 2 min; no fim (ou no prazo), encerra o grupo inteiro: um servidor que o
/// bloco deixou em segundo plano não sobrevive ao teste. Devolve (terminou
/// com código 0, saída padrão e de erros juntas).
#[cfg(target_os = "linux")]
fn rodar_bash(script: &str, pasta: &Path, raiz: &Path) -> (bool, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut filho = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(raiz)
        .env("PASTA", pasta)
        .env_remove("CARGO")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("iniciar o bash");
    let grupo = filho.id() as libc::pid_t;
    let ler = |mut fluxo: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut texto = Vec::new();
            let _ = fluxo.read_to_end(&mut texto);
            String::from_utf8_lossy(&texto).into_owned()
        })
    };
    let saida = ler(Box::new(filho.stdout.take().expect("stdout")));
    let erros = ler(Box::new(filho.stderr.take().expect("stderr")));
    let prazo = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = filho.try_wait().expect("esperar o bash") {
            break Some(status);
        }
        if Instant::now() > prazo {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: kill só envia um sinal; o grupo é o do bash que iniciamos.
    unsafe { libc::kill(-grupo, libc::SIGKILL) };
    let _ = filho.wait();
    let texto = format!(
        "{}{}{}",
        saida.join().unwrap_or_default(),
        erros.join().unwrap_or_default(),
        if status.is_none() { "\n(o bloco passou de 2 min e foi encerrado)" } else { "" }
    );
    (status.is_some_and(|s| s.success()), texto)
}
