//! O roteiro do laboratório (`disciplina/roteiro.md`), a versão dele do
//! professor (`disciplina/professor/roteiro-respostas.md`) e os exercícios
//! (`disciplina/exercicios/*.md`) dizem comandos; estes testes provam que
//! eles existem e rodam como estão escritos, que a folha do aluno pergunta
//! sem responder, e que o professor tem o observado de cada passo.
//!
//! A convenção dos blocos de código em Markdown:
//! - ```` ```bash ```` do roteiro: roda de verdade (só no Linux), inteiro,
//!   num bash, da raiz do projeto, e precisa terminar sozinho. Menos os de
//!   vários terminais (com `# terminal N`, que o aluno roda um em cada
//!   janela) e o de compilar (`cargo build`: o teste já compilou), que são
//!   conferidos como os outros abaixo;
//! - os demais (```` ```powershell ````, e os ```` ```bash ```` dos
//!   exercícios e do professor): não rodam; cada `cargo run --bin X -- OPÇÕES`
//!   deles roda como `X OPÇÕES --help`, que lê e confere todas as opções
//!   antes de mostrar a ajuda (uma opção errada sai com código 2), o X
//!   precisa ser do pacote em que o cargo o procura naquela pasta (o do
//!   `-p`, ou o da pasta), e cada arquivo `.py` citado precisa existir;
//! - ```` ```text ````: saída observada, não conferida.
//!
//! Cada `just RECEITA` citado no texto precisa ser uma receita do justfile.

#[cfg(target_os = "linux")]
mod bash;
mod comandos;
mod markdown;

use apoio::RAIZ;
use comandos::{comandos, conferir_blocos, conferir_receitas_do_just, Pacotes};
use markdown::{ler, markdown, passos};
use std::path::Path;

const ROTEIRO: &str = "common/ferramentas/disciplina/roteiro.md";
const ROTEIRO_RESPOSTAS: &str = "common/ferramentas/disciplina/professor/roteiro-respostas.md";
const EXERCICIOS: &str = "common/ferramentas/disciplina/exercicios";
const PROFESSOR: &str = "common/ferramentas/disciplina/professor";

/// O limite de palavras da folha do aluno (como o `wc -w` conta).
const PALAVRAS_DO_ROTEIRO: usize = 1500;

#[test]
fn cada_comando_do_roteiro_e_dos_exercicios_existe_com_as_suas_opcoes() {
    let raiz = Path::new(RAIZ);
    // Sob o Wine do CI não há cargo (nem `CARGO`), e o `cargo metadata` é
    // quem diz de que pacote é cada executável: lá o teste não roda; no
    // Linux e num Windows de verdade, sim.
    if cfg!(windows)
        && std::env::var_os("CARGO").is_none()
        && std::env::var_os("WINEPREFIX").is_some()
    {
        eprintln!("pulado sob o Wine: não há cargo no prefixo do Wine do CI");
        return;
    }
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

/// O README da cópia do aluno (`just copia-do-aluno`) vai para a raiz da
/// cópia: os links dele valem a partir da raiz, e nenhum aponta para o que
/// a cópia deixa de fora.
#[test]
fn os_links_do_readme_do_aluno_existem_na_copia() {
    let raiz = Path::new(RAIZ);
    let texto = ler(&raiz.join("common/ferramentas/disciplina/aluno/README.md"));
    let fora = ["RELATO.md", "figuras", "common/ferramentas/tests", "disciplina/professor"];
    let mut conferidos = 0;
    for trecho in texto.split("](").skip(1) {
        let alvo = trecho.split(')').next().unwrap_or_default();
        if alvo.contains("://") {
            continue;
        }
        assert!(raiz.join(alvo).exists(), "o link {alvo} não existe");
        assert!(!fora.iter().any(|f| alvo.contains(f)), "o link {alvo} fica fora da cópia");
        assert!(!alvo.contains("solucoes"), "o link {alvo} fica fora da cópia");
        conferidos += 1;
    }
    assert!(conferidos >= 8, "só {conferidos} links conferidos");
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
    assert_eq!(
        comandos("parte2 --porta 1 > servidor.log &"),
        esperado(&[&["parte2", "--porta", "1"]])
    );
}

/// Roda cada bloco ```` ```bash ```` do roteiro como o aluno o rodaria, com
/// duas trocas: `cargo run ... --bin X -- OPÇÕES` chama o X já compilado
/// (rodar o cargo dentro do `cargo test` recompilaria e disputaria a trava
/// da pasta target), e a porta fixa 5611 vira uma porta livre (outro teste,
/// ou outra pessoa, pode estar na 5611).
#[cfg(target_os = "linux")]
#[test]
fn cada_bloco_bash_do_roteiro_roda_e_termina_bem() {
    use apoio::binario;
    use markdown::{blocos, Bloco};

    let raiz = Path::new(RAIZ);
    let texto = ler(&raiz.join(ROTEIRO));
    let roda = |b: &Bloco| !b.texto.contains("# terminal") && !b.texto.contains("cargo build");
    let bash: Vec<Bloco> =
        blocos(&texto).into_iter().filter(|b| b.lingua == "bash" && roda(b)).collect();
    assert!(bash.len() >= 4, "o roteiro tem só {} blocos bash", bash.len());
    // Os programas dos blocos, e os que o cenario inicia, já compilados.
    let inundados = ["parte3", "parte3-poll", "parte3-async", "inundacao"];
    for nome in ["cenario", "cliente", "parte2", "parte4", "nagle"].into_iter().chain(inundados) {
        binario(nome);
    }
    let pasta = binario("cenario").parent().expect("pasta dos executáveis").to_path_buf();
    for bloco in &bash {
        let porta = bash::porta_livre().to_string();
        let script = format!("{}\n{}", bash::PRELUDIO, bloco.texto.replace("5611", &porta));
        let (sucesso, saida) = bash::rodar_bash(&script, &pasta, raiz);
        assert!(
            sucesso,
            "o bloco da linha {} do roteiro falhou:\n{}\n--- saída:\n{saida}",
            bloco.linha, bloco.texto
        );
        assert!(!saida.trim().is_empty(), "o bloco da linha {} não imprimiu nada", bloco.linha);
    }
}
