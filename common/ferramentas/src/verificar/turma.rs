//! Uma turma num comando: `verificar turma PASTA`. Cada entrega (uma
//! subpasta ou um arquivo por aluno) roda com o mesmo modelo de comando,
//! algumas ao mesmo tempo, cada uma com a sua porta, o seu grupo de
//! processos e o seu tempo máximo. O resultado é uma tabela (Markdown e
//! CSV) e, numa pasta ao lado, o boletim inteiro de cada aluno.
//!
//! As entregas com a porta fixa no código (toda entrega da disciplina tem
//! `PORT = 5000`) não podem rodar juntas: a segunda não consegue a porta, ou,
//! no Windows, com `SO_REUSEADDR`, divide-a com a primeira e o verificar
//! falaria com o servidor errado. Elas são reconhecidas pelo anúncio (ou
//! pelo `Address already in use`) e rodam depois, uma por vez, na porta delas.

use super::boletim::{self, Dicas};
use super::{diagnostico, preparar_alvo, verificar, Pedido, Relatorio};
use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};
use tabela::{resumo, tabela_csv, tabela_markdown};

mod tabela;

/// O marcador do arquivo do aluno no modelo de comando.
pub const ARQUIVO: &str = "{arquivo}";

/// O que a turma precisa saber.
pub struct Turma {
    pub pasta: PathBuf,
    /// O modelo de comando, com `{porta}` e, se quiser, `{arquivo}`.
    pub comando: String,
    pub parte: Option<u8>,
    pub host: String,
    /// Quantas entregas rodam ao mesmo tempo.
    pub simultaneas: usize,
    /// Onde vão a tabela e os boletins.
    pub saida: PathBuf,
    /// Tempo máximo de cada entrega.
    pub limite: Duration,
}

/// O modelo de comando padrão: o arquivo do aluno, com o Python da máquina.
pub fn comando_padrao() -> String {
    let python = if cfg!(windows) { "python" } else { "python3" };
    format!("{python} {ARQUIVO} {{porta}}")
}

/// A pasta de saída padrão: `PASTA-verificar`, ao lado da pasta da turma.
pub fn saida_padrao(pasta: &Path) -> PathBuf {
    let nome =
        pasta.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or("turma".into());
    pasta.with_file_name(format!("{nome}-verificar"))
}

/// Uma entrega: o nome do aluno, a pasta onde o comando roda e o comando.
#[derive(Clone, Debug)]
struct Entrega {
    nome: String,
    pasta: PathBuf,
    comando: Result<String, String>,
}

/// Uma linha da tabela.
struct Linha {
    nome: String,
    relatorio: Option<Relatorio>,
    erro: Option<String>,
    tempo: Duration,
}

/// Roda a turma e escreve a tabela e os boletins; devolve a tabela em Markdown.
pub fn rodar(turma: &Turma, mut progresso: impl FnMut(&str) + Send) -> Result<String> {
    let entregas = listar(turma)?;
    if entregas.is_empty() {
        bail!(
            "nenhuma entrega em {} (uma subpasta ou um arquivo .py por aluno)",
            turma.pasta.display()
        );
    }
    let boletins = turma.saida.join("boletins");
    std::fs::create_dir_all(&boletins)
        .with_context(|| format!("criar a pasta {}", boletins.display()))?;
    let inicio = Instant::now();
    let total = entregas.len();
    let fila = Mutex::new(entregas.into_iter().collect::<VecDeque<_>>());
    let linhas = Mutex::new(Vec::new());
    let adiadas = Mutex::new(Vec::new());
    let progresso = Mutex::new(&mut progresso);
    let anunciar = |linha: &Linha, feitas: usize| {
        let texto =
            format!("[{feitas:>2}/{total}] {} — {}", linha.nome, resumo(linha, turma.parte));
        (progresso.lock().unwrap_or_else(|e| e.into_inner()))(&texto);
    };
    // Primeira volta: algumas ao mesmo tempo; as de porta fixa ficam para depois.
    thread::scope(|escopo| {
        for _ in 0..turma.simultaneas.max(1) {
            escopo.spawn(|| loop {
                let Some(entrega) = fila.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
                else {
                    break;
                };
                match uma(turma, &entrega, &boletins, true) {
                    Some(linha) => {
                        let mut todas = linhas.lock().unwrap_or_else(|e| e.into_inner());
                        todas.push(linha);
                        anunciar(todas.last().expect("acabou de entrar"), todas.len());
                    }
                    None => adiadas.lock().unwrap_or_else(|e| e.into_inner()).push(entrega),
                }
            });
        }
    });
    // Segunda volta: as de porta fixa, uma por vez, na porta delas.
    for entrega in adiadas.into_inner().unwrap_or_else(|e| e.into_inner()) {
        if let Some(linha) = uma(turma, &entrega, &boletins, false) {
            let mut todas = linhas.lock().unwrap_or_else(|e| e.into_inner());
            todas.push(linha);
            anunciar(todas.last().expect("acabou de entrar"), todas.len());
        }
    }
    let mut linhas = linhas.into_inner().unwrap_or_else(|e| e.into_inner());
    linhas.sort_by(|a, b| a.nome.cmp(&b.nome));
    let markdown = tabela_markdown(&linhas, turma, inicio.elapsed());
    let csv = tabela_csv(&linhas, turma.parte);
    let escrever = |nome: &str, texto: &str| {
        let caminho = turma.saida.join(nome);
        std::fs::write(&caminho, texto).with_context(|| format!("escrever {}", caminho.display()))
    };
    escrever("turma.md", &markdown)?;
    escrever("turma.csv", &csv)?;
    Ok(markdown)
}

/// As entregas da pasta, em ordem de nome: cada subpasta, e cada arquivo
/// `.py` solto (o modelo precisa de `{arquivo}` para ele).
fn listar(turma: &Turma) -> Result<Vec<Entrega>> {
    let mut entregas = Vec::new();
    let lidas = std::fs::read_dir(&turma.pasta)
        .with_context(|| format!("ler a pasta da turma {}", turma.pasta.display()))?;
    let saida = turma.saida.canonicalize().ok();
    for item in lidas.flatten() {
        let caminho = item.path();
        let nome = item.file_name().to_string_lossy().into_owned();
        if nome.starts_with('.') || (saida.is_some() && caminho.canonicalize().ok() == saida) {
            continue;
        }
        if caminho.is_dir() {
            let comando = if turma.comando.contains(ARQUIVO) {
                arquivo_do_servidor(&caminho).map(|a| turma.comando.replace(ARQUIVO, &citar(&a)))
            } else {
                Ok(turma.comando.clone())
            };
            entregas.push(Entrega { nome, pasta: caminho, comando });
        } else if nome.to_lowercase().ends_with(".py") && turma.comando.contains(ARQUIVO) {
            let aluno = nome[..nome.len() - 3].to_string();
            let comando = Ok(turma.comando.replace(ARQUIVO, &citar(&nome)));
            entregas.push(Entrega { nome: aluno, pasta: turma.pasta.clone(), comando });
        }
    }
    entregas.sort_by(|a, b| a.nome.cmp(&b.nome));
    Ok(entregas)
}

/// O servidor numa pasta de aluno: o único `.py` com `accept(`; senão, o
/// `servidor.py`.
fn arquivo_do_servidor(pasta: &Path) -> Result<String, String> {
    let mut com_accept = Vec::new();
    for item in std::fs::read_dir(pasta).map_err(|e| format!("ler a pasta: {e}"))?.flatten() {
        let nome = item.file_name().to_string_lossy().into_owned();
        if nome.to_lowercase().ends_with(".py")
            && std::fs::read_to_string(item.path()).is_ok_and(|t| t.contains("accept("))
        {
            com_accept.push(nome);
        }
    }
    com_accept.sort();
    match com_accept.len() {
        1 => Ok(com_accept.remove(0)),
        _ if pasta.join("servidor.py").exists() => Ok("servidor.py".into()),
        0 => Err("nenhum arquivo .py com accept( nesta pasta".into()),
        _ => Err(format!(
            "mais de um arquivo .py com accept( ({}) e nenhum servidor.py: use um modelo de \
             comando sem {ARQUIVO}",
            com_accept.join(", ")
        )),
    }
}

/// Um nome de arquivo para o shell (aspas só se preciso).
fn citar(nome: &str) -> String {
    if nome.chars().all(|c| c.is_alphanumeric() || "._-/\\".contains(c)) {
        nome.to_string()
    } else {
        format!("\"{nome}\"")
    }
}

/// Verifica uma entrega. Na primeira volta (`adiar_porta_fixa`), uma de
/// porta fixa é encerrada logo e devolve `None` (ela roda depois, sozinha).
fn uma(turma: &Turma, entrega: &Entrega, boletins: &Path, adiar_porta_fixa: bool) -> Option<Linha> {
    let inicio = Instant::now();
    let comando = match &entrega.comando {
        Ok(c) => c.clone(),
        Err(e) => {
            let linha = Linha {
                nome: entrega.nome.clone(),
                relatorio: None,
                erro: Some(e.clone()),
                tempo: inicio.elapsed(),
            };
            gravar(boletins, &linha, turma.parte, "");
            return Some(linha);
        }
    };
    let pedido = Pedido {
        host: turma.host.clone(),
        porta: common::rede::PORTA_PADRAO,
        iniciar: Some(comando.clone()),
        parte: turma.parte,
        pasta: Some(entrega.pasta.clone()),
        limite: Some(turma.limite),
    };
    let linha = match preparar_alvo(&pedido) {
        Ok(mut alvo) if adiar_porta_fixa && alvo.porta_fixa().is_some() => {
            alvo.encerrar();
            return None;
        }
        Err(e)
            if adiar_porta_fixa
                && diagnostico::da_saida(&format!("{e:#}"))
                    .is_some_and(|d| d.id == "endereco_em_uso") =>
        {
            return None;
        }
        Ok(alvo) => {
            let relatorio = verificar(&pedido, alvo, |_| {});
            Linha {
                nome: entrega.nome.clone(),
                relatorio: Some(relatorio),
                erro: None,
                tempo: inicio.elapsed(),
            }
        }
        Err(e) => Linha {
            nome: entrega.nome.clone(),
            relatorio: None,
            erro: Some(format!("{e:#}")),
            tempo: inicio.elapsed(),
        },
    };
    gravar(boletins, &linha, turma.parte, &comando);
    Some(linha)
}

/// O boletim (texto e JSON) de um aluno, na pasta dos boletins.
fn gravar(boletins: &Path, linha: &Linha, parte: Option<u8>, comando: &str) {
    let (texto, json) = match (&linha.relatorio, &linha.erro) {
        (Some(r), _) => (boletim::completo(r), boletim::json(r, Dicas::Mostrar)),
        (None, erro) => {
            let erro = erro.clone().unwrap_or_default();
            (
                format!("{}\nverificar: {erro}\n", boletim::cabecalho(comando, true, parte)),
                boletim::json_de_erro(comando, parte, &erro, Dicas::Mostrar),
            )
        }
    };
    let _ = std::fs::write(boletins.join(format!("{}.txt", linha.nome)), texto);
    let _ = std::fs::write(boletins.join(format!("{}.json", linha.nome)), format!("{json:#}\n"));
}
