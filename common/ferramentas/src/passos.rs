//! Os passos da Parte 4 (`parte4/passos/`): cada passo é um patch no
//! formato do `git diff` que leva a árvore do passo anterior à do seguinte.
//! A árvore do passo 0 é a Parte 3 (`src/` e `Cargo.toml`) na pasta
//! `parte4/`, com o pacote já chamado `parte4` (a única mudança que não
//! está num patch); ela mais os passos 1 a 6 é a Parte 4, byte a byte (o
//! teste `passos` confere, e confere que cada passo compila).
//!
//! Uma árvore montada fica em `DESTINO/parte4/`, com um `DESTINO/Cargo.toml`
//! de workspace ao lado: o pacote herda do workspace (`edition.workspace`,
//! `common.workspace`...), e esse workspace repete o da raiz, com `parte4`
//! como único membro e os caminhos (`common`...) apontando para a raiz.
//! Assim a árvore compila fora do workspace de verdade, sem mexer nele.

use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Onde ficam os patches, a partir da raiz.
pub const PASTA: &str = "parte4/passos";

/// A raiz do repositório (onde está o `Cargo.toml` do workspace).
pub fn raiz() -> PathBuf {
    let ferramentas = Path::new(env!("CARGO_MANIFEST_DIR"));
    ferramentas.parent().and_then(Path::parent).expect("common/ferramentas").to_path_buf()
}

/// Os patches, em ordem: `1-log.diff`, `2-registro.diff`... (o número, um
/// hífen, o nome do passo sem acentos).
pub fn patches(raiz: &Path) -> Result<Vec<PathBuf>> {
    let pasta = raiz.join(PASTA);
    let mut achados: Vec<PathBuf> = fs::read_dir(&pasta)
        .with_context(|| format!("ler {}", pasta.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let nome = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            nome.ends_with(".diff") && nome.starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    achados.sort();
    for (i, p) in achados.iter().enumerate() {
        let nome = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        ensure!(nome.starts_with(&format!("{}-", i + 1)), "{nome}: esperava o passo {}", i + 1);
    }
    Ok(achados)
}

/// Os arquivos de uma parte que os passos mudam (`src/**` e `Cargo.toml`),
/// pelo caminho relativo à pasta da parte (com `/`), com o conteúdo.
pub fn arquivos(parte: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut todos = BTreeMap::new();
    let toml = parte.join("Cargo.toml");
    todos.insert("Cargo.toml".into(), fs::read(&toml).with_context(|| toml.display().to_string())?);
    let mut pastas = vec![parte.join("src")];
    while let Some(pasta) = pastas.pop() {
        for entrada in fs::read_dir(&pasta).with_context(|| pasta.display().to_string())? {
            let caminho = entrada?.path();
            if caminho.is_dir() {
                pastas.push(caminho);
            } else {
                let relativo = caminho.strip_prefix(parte)?.to_string_lossy().replace('\\', "/");
                todos.insert(relativo, fs::read(&caminho)?);
            }
        }
    }
    Ok(todos)
}

/// Escreve `arquivos` em `destino/parte4/` (apagando o que havia em
/// `destino`).
fn escrever(destino: &Path, arquivos: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    if destino.exists() {
        fs::remove_dir_all(destino).with_context(|| format!("apagar {}", destino.display()))?;
    }
    for (relativo, conteudo) in arquivos {
        let caminho = destino.join("parte4").join(relativo);
        fs::create_dir_all(caminho.parent().expect("um arquivo está numa pasta"))?;
        fs::write(&caminho, conteudo).with_context(|| caminho.display().to_string())?;
    }
    Ok(())
}

/// O passo 0 em `destino/parte4/`: a Parte 3 com o pacote chamado `parte4`.
pub fn copiar_parte3(raiz: &Path, destino: &Path) -> Result<()> {
    let mut parte3 = arquivos(&raiz.join("parte3"))?;
    let toml = String::from_utf8(parte3["Cargo.toml"].clone())?;
    // Sem o `\n` no padrão: num clone do Windows, a linha pode acabar em `\r\n`.
    ensure!(toml.contains("name = \"parte3\""), "parte3/Cargo.toml sem name = \"parte3\"");
    let toml = toml.replacen("name = \"parte3\"", "name = \"parte4\"", 1);
    parte3.insert("Cargo.toml".into(), toml.into());
    escrever(destino, &parte3)
}

/// O `git` sem o repositório em volta: `destino` fica dentro da pasta
/// `target/` do repositório, e o `git apply` dentro de um repositório
/// entende os caminhos a partir da raiz dele.
fn git(pasta: &Path) -> Command {
    let pasta = std::path::absolute(pasta).unwrap_or_else(|_| pasta.to_path_buf());
    let mut git = Command::new("git");
    git.env("GIT_CEILING_DIRECTORIES", pasta.parent().unwrap_or(&pasta)).current_dir(pasta);
    git
}

/// Aplica um patch em `destino` (que tem a pasta `parte4/`).
pub fn aplicar(patch: &Path, destino: &Path) -> Result<()> {
    let patch = std::path::absolute(patch)?;
    let saida = git(destino)
        .args(["apply", "--whitespace=nowarn"])
        .arg(&patch)
        .output()
        .context("rodar o git apply (o git está instalado?)")?;
    if !saida.status.success() {
        bail!(
            "o patch {} não se aplica: {}",
            patch.display(),
            String::from_utf8_lossy(&saida.stderr)
        );
    }
    Ok(())
}

/// O `Cargo.toml` de workspace de uma árvore montada: o da raiz, com
/// `parte4` como único membro e os caminhos das dependências apontando
/// para a raiz. E o `Cargo.lock` da raiz, para as mesmas versões.
pub fn workspace(raiz: &Path, destino: &Path) -> Result<()> {
    let raiz = std::path::absolute(raiz)?;
    let texto = fs::read_to_string(raiz.join("Cargo.toml"))?;
    let inicio = texto.find("members = [").context("o Cargo.toml da raiz sem members")?;
    let fim = inicio + texto[inicio..].find(']').context("members sem ]")?;
    let absoluto = raiz.to_string_lossy().replace('\\', "/");
    let membros = format!("{}members = [\"parte4\"]{}", &texto[..inicio], &texto[fim + 1..]);
    let novo = membros.replace("path = \"", &format!("path = \"{absoluto}/"));
    let aviso = "# Gerado por `passos` (common/ferramentas/src/passos.rs): não edite.\n";
    fs::write(destino.join("Cargo.toml"), format!("{aviso}{novo}"))?;
    fs::copy(raiz.join("Cargo.lock"), destino.join("Cargo.lock"))?;
    Ok(())
}

/// Monta em `destino` a árvore do passo `n` (0 a 5): a Parte 3 mais os
/// patches de 1 a `n`, com o workspace ao lado.
pub fn montar(raiz: &Path, n: usize, destino: &Path) -> Result<()> {
    let patches = patches(raiz)?;
    ensure!(n <= patches.len(), "não há passo {n}: os passos vão de 1 a {}", patches.len());
    copiar_parte3(raiz, destino)?;
    for patch in &patches[..n] {
        aplicar(patch, destino)?;
    }
    workspace(raiz, destino)
}

/// O comentário do começo de um patch (as linhas antes do primeiro
/// `diff --git`), que o `git apply` ignora.
pub fn cabecalho(patch: &str) -> &str {
    patch.find("diff --git").map_or(patch, |fim| &patch[..fim])
}

/// O patch de `pasta/antes/parte4` para `pasta/depois/parte4`, com os
/// caminhos como o `git apply` os quer (`a/parte4/src/...`) e os arquivos na
/// ordem de leitura do `just diff` (`common/ferramentas/ordem-do-diff.txt`).
/// `antes` e `depois` são nomes de pastas vizinhas, sem `/`.
pub fn diff(raiz: &Path, pasta: &Path, antes: &str, depois: &str) -> Result<String> {
    let ordem = std::path::absolute(raiz.join("common/ferramentas/ordem-do-diff.txt"))?;
    let saida = git(pasta)
        .args(["-c", "core.quotepath=false", "diff", "--no-index", "--no-color", "--no-ext-diff"])
        .arg(format!("-O{}", ordem.display()))
        .args(["--no-renames", "--src-prefix=a/", "--dst-prefix=b/", "--"])
        .args([format!("{antes}/parte4"), format!("{depois}/parte4")])
        .output()
        .context("rodar o git diff (o git está instalado?)")?;
    ensure!(saida.status.code() == Some(1), "git diff: {}", String::from_utf8_lossy(&saida.stderr));
    let texto = String::from_utf8(saida.stdout)?;
    let mut patch = String::new();
    for linha in texto.split_inclusive('\n') {
        let cabecalho = ["diff --git ", "--- ", "+++ "].iter().any(|c| linha.starts_with(c));
        if cabecalho {
            let linha = [antes, depois].iter().fold(linha.to_string(), |l, pasta| {
                l.replace(&format!("a/{pasta}/parte4/"), "a/parte4/")
                    .replace(&format!("b/{pasta}/parte4/"), "b/parte4/")
            });
            patch.push_str(&linha);
        } else {
            patch.push_str(linha);
        }
    }
    Ok(patch)
}

/// Refaz os patches a partir das árvores em `pasta/1` a `pasta/4` (as de
/// `editar`, talvez mudadas à mão), da Parte 3 e da Parte 4 de verdade;
/// cada patch guarda o seu comentário do começo.
pub fn refazer(raiz: &Path, pasta: &Path) -> Result<()> {
    let patches = patches(raiz)?;
    let ultimo = patches.len();
    copiar_parte3(raiz, &pasta.join("0"))?;
    escrever(&pasta.join(ultimo.to_string()), &arquivos(&raiz.join("parte4"))?)?;
    for (i, caminho) in patches.iter().enumerate() {
        let (antes, depois) = (i.to_string(), (i + 1).to_string());
        ensure!(
            pasta.join(&depois).join("parte4").exists(),
            "falta a árvore {depois}: rode `passos editar`"
        );
        let velho = fs::read_to_string(caminho)?;
        let novo = format!("{}{}", cabecalho(&velho), diff(raiz, pasta, &antes, &depois)?);
        fs::write(caminho, novo)?;
    }
    Ok(())
}
