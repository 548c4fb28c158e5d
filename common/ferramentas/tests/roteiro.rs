//! O roteiro do laboratório (`disciplina/roteiro.md`), a versão dele do
//! professor (`disciplina/professor/roteiro-respostas.md`) e os exercícios
//! (`disciplina/exercicios/*.md`) dizem comandos; estes testes provam que
//! eles existem e rodam como estão escritos, que a folha do aluno pergunta
//! sem responder, e que o professor tem o observado de cada passo.
//!
//! A convenção dos blocos de código em Markdown:
//! - ```` ```bash ````: roda de verdade (só no Linux), inteiro, num bash,
//!   da raiz do projeto. Precisa terminar sozinho e em segundos;
//! - ```` ```sh ```` e ```` ```powershell ````: não rodam (vários terminais,
//!   interativos, longos ou do Windows); cada `cargo run --bin X -- OPÇÕES`
//!   deles roda como `X OPÇÕES --help`, que lê e confere todas as opções
//!   antes de mostrar a ajuda (uma opção errada sai com código 2), o X
//!   precisa ser do pacote em que o cargo o procura naquela pasta (o do
//!   `-p`, ou o da pasta), e cada arquivo `.py` citado precisa existir;
//! - ```` ```text ````: saída observada, não conferida.
//!
//! Cada `just RECEITA` citado no texto precisa ser uma receita do justfile.

use apoio::{binario, RAIZ};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROTEIRO: &str = "common/ferramentas/disciplina/roteiro.md";
const ROTEIRO_RESPOSTAS: &str = "common/ferramentas/disciplina/professor/roteiro-respostas.md";
const EXERCICIOS: &str = "common/ferramentas/disciplina/exercicios";
const PROFESSOR: &str = "common/ferramentas/disciplina/professor";

/// O limite de palavras da folha do aluno (como o `wc -w` conta).
const PALAVRAS_DO_ROTEIRO: usize = 1500;

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

/// Os pacotes do workspace, pelo `cargo metadata`: a pasta de cada um e os
/// seus executáveis.
struct Pacotes(Vec<(String, PathBuf, Vec<String>)>);

impl Pacotes {
    fn ler() -> Pacotes {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let saida = Command::new(cargo)
            .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
            .current_dir(RAIZ)
            .output()
            .expect("executar o cargo metadata");
        assert!(saida.status.success(), "{}", String::from_utf8_lossy(&saida.stderr));
        let json: serde_json::Value = serde_json::from_slice(&saida.stdout).expect("o JSON");
        let pacotes = json["packages"].as_array().expect("a lista de pacotes");
        Pacotes(
            pacotes
                .iter()
                .map(|p| {
                    let manifesto = Path::new(p["manifest_path"].as_str().expect("manifest_path"));
                    let pasta = canonica(manifesto.parent().expect("a pasta do pacote"));
                    let binarios = p["targets"]
                        .as_array()
                        .expect("targets")
                        .iter()
                        .filter(|t| t["kind"].as_array().is_some_and(|k| k.contains(&"bin".into())))
                        .map(|t| t["name"].as_str().expect("o nome").to_string())
                        .collect();
                    (p["name"].as_str().expect("o nome").to_string(), pasta, binarios)
                })
                .collect(),
        )
    }

    /// O pacote do executável `binario`.
    fn dono(&self, binario: &str) -> Option<&str> {
        self.0.iter().find(|(_, _, b)| b.iter().any(|b| b == binario)).map(|(n, _, _)| n.as_str())
    }

    /// O pacote em que `cargo run --bin X`, sem `-p`, procura o X quando roda
    /// em `pasta`: o da pasta de pacote mais funda que contém `pasta`. Na
    /// raiz, que não é pacote, o cargo procura em todos (`None`).
    fn da_pasta(&self, pasta: &Path) -> Option<&str> {
        let pasta = canonica(pasta);
        self.0
            .iter()
            .filter(|(_, raiz, _)| pasta.starts_with(raiz))
            .max_by_key(|(_, raiz, _)| raiz.components().count())
            .map(|(n, _, _)| n.as_str())
    }
}

fn canonica(caminho: &Path) -> PathBuf {
    caminho.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", caminho.display()))
}

/// Confere um comando que não roda aqui: `cargo run --bin X -- OPÇÕES` vira
/// `X OPÇÕES --help`; `cargo build --bin X`, que X exista; `python ARQ.py`,
/// que o arquivo exista em `pasta`. Devolve quantos programas conferiu.
fn conferir(palavras: &[String], pasta: &Path, pacotes: &Pacotes, onde: &str) -> usize {
    match palavras.first().map(String::as_str) {
        Some("cargo") => conferir_cargo(palavras, pasta, pacotes, onde),
        Some("python" | "python3") => {
            if let Some(arquivo) = palavras.iter().find(|p| p.ends_with(".py")) {
                assert!(pasta.join(arquivo).is_file(), "{onde}: {arquivo} não existe");
            }
            0
        }
        _ => 0,
    }
}

fn conferir_cargo(palavras: &[String], pasta: &Path, pacotes: &Pacotes, onde: &str) -> usize {
    let fim = palavras.iter().position(|p| p == "--").unwrap_or(palavras.len());
    let (cargo, opcoes) = (&palavras[..fim], palavras.get(fim + 1..).unwrap_or(&[]));
    let programas: Vec<&String> =
        cargo.windows(2).filter(|par| par[0] == "--bin").map(|par| &par[1]).collect();
    let pedido = cargo
        .windows(2)
        .find(|par| par[0] == "-p" || par[0] == "--package")
        .map(|par| par[1].as_str());
    for programa in &programas {
        let dono = pacotes
            .dono(programa)
            .unwrap_or_else(|| panic!("{onde}: {programa} não é executável de nenhum pacote"));
        if let Some(procurado) = pedido.or_else(|| pacotes.da_pasta(pasta)) {
            assert_eq!(
                procurado, dono,
                "{onde}: ali, `cargo run --bin {programa}` procura no pacote {procurado}, mas \
                 {programa} é do pacote {dono} (use -p {dono})"
            );
        }
    }
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
/// também não podem ter opções erradas), como rodariam em `pasta`. Devolve
/// quantos programas conferiu.
fn conferir_blocos(arquivo: &Path, pasta: &Path, pacotes: &Pacotes) -> usize {
    let texto = ler(arquivo);
    let mut conferidos = 0;
    for bloco in blocos(&texto) {
        if !matches!(bloco.lingua.as_str(), "bash" | "sh" | "powershell") {
            continue;
        }
        for (i, linha) in bloco.texto.lines().enumerate() {
            let onde = format!("{}:{}", arquivo.display(), bloco.linha + 1 + i);
            for palavras in comandos(linha) {
                conferidos += conferir(&palavras, pasta, pacotes, &onde);
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

/// Os arquivos Markdown de uma pasta, em ordem.
fn markdown(pasta: &str) -> Vec<PathBuf> {
    let pasta = Path::new(RAIZ).join(pasta);
    let mut arquivos: Vec<PathBuf> = std::fs::read_dir(&pasta)
        .unwrap_or_else(|e| panic!("ler {}: {e}", pasta.display()))
        .map(|e| e.expect("entrada da pasta").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    arquivos.sort();
    arquivos
}

#[test]
fn cada_comando_do_roteiro_e_dos_exercicios_existe_com_as_suas_opcoes() {
    let raiz = Path::new(RAIZ);
    let pacotes = Pacotes::ler();
    // O roteiro e a versão do professor rodam da raiz do projeto. Passos 1
    // a 6, nos dois sistemas, mais a compilação: bem mais que 10.
    let roteiro = raiz.join(ROTEIRO);
    let conferidos = conferir_blocos(&roteiro, raiz, &pacotes);
    assert!(conferidos >= 10, "só {conferidos} programas conferidos no roteiro");
    conferir_receitas_do_just(&roteiro);
    for arquivo in markdown(PROFESSOR) {
        conferir_blocos(&arquivo, raiz, &pacotes);
        conferir_receitas_do_just(&arquivo);
    }

    // Os exercícios rodam da pasta deles.
    let pasta = raiz.join(EXERCICIOS);
    let exercicios = markdown(EXERCICIOS);
    assert!(exercicios.len() >= 6, "faltam exercícios: {exercicios:?}");
    for exercicio in &exercicios {
        conferir_blocos(exercicio, &pasta, &pacotes);
        conferir_receitas_do_just(exercicio);
    }
}

/// As seções `## N. ...` de um texto, pelo número.
fn passos(texto: &str) -> Vec<(u32, &str)> {
    texto
        .split("\n## ")
        .skip(1)
        .filter_map(|secao| {
            let (numero, _) = secao.split_once(". ")?;
            Some((numero.parse().ok()?, secao))
        })
        .collect()
}

/// A folha do aluno pode ir impressa para a turma: cada passo pergunta,
/// deixa o espaço da previsão e diz o que observar, sem o que foi observado;
/// o observado de cada passo, com o comando que o refaz, fica com o
/// professor, num arquivo à parte.
#[test]
fn o_roteiro_do_aluno_pergunta_sem_responder_e_o_do_professor_responde_cada_passo() {
    let raiz = Path::new(RAIZ);
    let roteiro = ler(&raiz.join(ROTEIRO));
    let palavras = roteiro.split_whitespace().count();
    assert!(palavras <= PALAVRAS_DO_ROTEIRO, "o roteiro tem {palavras} palavras");
    for resposta in ["Observado", "observado aqui", "esperado no Windows", "não medido"] {
        assert!(!roteiro.contains(resposta), "o roteiro do aluno traz {resposta:?}");
    }
    // O que instalar, e como conferir, antes do primeiro passo.
    let antes = roteiro.split("\n## 1. ").next().expect("o começo do roteiro");
    for requisito in
        ["rustup", "cargo --version", "python --version", "python3 --version", "cc --version"]
    {
        assert!(antes.contains(requisito), "o começo do roteiro não diz {requisito:?}");
    }
    let do_aluno = passos(&roteiro);
    let numeros: Vec<u32> = do_aluno.iter().map(|(n, _)| *n).collect();
    assert_eq!(numeros, [1, 2, 3, 4, 5, 6], "os passos do roteiro");
    for (n, passo) in &do_aluno {
        for parte in ["**Pergunta.**", "**Sua previsão:**", "**O que observar.**", "```"] {
            assert!(passo.contains(parte), "o passo {n} do roteiro sem {parte:?}");
        }
    }

    let professor = ler(&raiz.join(ROTEIRO_RESPOSTAS));
    let do_professor = passos(&professor);
    for n in numeros {
        let (_, passo) = do_professor
            .iter()
            .find(|(m, _)| *m == n)
            .unwrap_or_else(|| panic!("roteiro-respostas.md sem o passo {n}"));
        for parte in ["Refaz:", "**Observado aqui"] {
            assert!(passo.contains(parte), "o passo {n} do professor sem {parte:?}");
        }
    }
}

/// Os links relativos (`[texto](caminho)`) do roteiro, dos exercícios e do
/// material do professor apontam para arquivos que existem.
#[test]
fn os_links_relativos_apontam_para_arquivos_que_existem() {
    let raiz = Path::new(RAIZ);
    let mut arquivos = vec![raiz.join(ROTEIRO)];
    arquivos.extend(markdown(EXERCICIOS));
    arquivos.extend(markdown(PROFESSOR));
    let mut conferidos = 0;
    for arquivo in &arquivos {
        let texto = ler(arquivo);
        for trecho in texto.split("](").skip(1) {
            let alvo = trecho.split(')').next().unwrap_or_default();
            let alvo = alvo.split('#').next().unwrap_or_default();
            if alvo.is_empty() || alvo.contains("://") {
                continue;
            }
            let caminho = arquivo.parent().expect("a pasta do arquivo").join(alvo);
            assert!(caminho.exists(), "{}: o link {alvo} não existe", arquivo.display());
            conferidos += 1;
        }
    }
    assert!(conferidos >= 10, "só {conferidos} links conferidos");
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
