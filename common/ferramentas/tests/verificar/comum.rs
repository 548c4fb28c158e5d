//! O que os testes do `verificar` usam: rodar o binário, ler o JSON,
//! conferir as marcas contra o esperado, achar o Python e montar comandos.

use apoio::binarios::compilado;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// O que uma execução do `verificar` produziu.
pub struct Execucao {
    pub codigo: Option<i32>,
    pub saida: String,
    pub erros: String,
}

pub fn executar(args: &[&str]) -> Execucao {
    executar_em(args, None)
}

pub fn executar_em(args: &[&str], pasta: Option<&Path>) -> Execucao {
    let mut comando = Command::new(env!("CARGO_BIN_EXE_verificar"));
    comando.args(args);
    if let Some(pasta) = pasta {
        comando.current_dir(pasta);
    }
    let saida = comando.output().expect("executar o verificar");
    Execucao {
        codigo: saida.status.code(),
        saida: String::from_utf8_lossy(&saida.stdout).into_owned(),
        erros: String::from_utf8_lossy(&saida.stderr).into_owned(),
    }
}

/// `caminho` entre aspas, para o shell (`sh -c` ou `cmd /C`).
pub fn citar(caminho: &Path) -> String {
    if cfg!(windows) {
        format!("\"{}\"", caminho.display())
    } else {
        format!("'{}'", caminho.display().to_string().replace('\'', "'\\''"))
    }
}

/// Roda `verificar --iniciar comando --json` (e `extra`); devolve o código
/// de saída e o JSON.
pub fn verificar_json(comando: &str, extra: &[&str]) -> Feito {
    let mut args = vec!["--iniciar", comando, "--json"];
    args.extend_from_slice(extra);
    let execucao = executar(&args);
    let json = serde_json::from_str(execucao.saida.trim()).unwrap_or_else(|e| {
        panic!("JSON inválido ({e}):\n{}\nerros:\n{}", execucao.saida, execucao.erros)
    });
    (execucao.codigo, json)
}

/// Roda cada `(nome, comando, parte)` em paralelo (três por vez; sob o Wine, um) e devolve
/// os JSONs na mesma ordem.
pub fn em_paralelo(pedidos: &[(&str, String, &str)]) -> Vec<Feito> {
    // Sob o Wine, um de cada vez: todo socket de todos os processos passa
    // pelo mesmo wineserver, e três verificações juntas mediriam a fila
    // dele, não o servidor (a inundação do parte3-poll, sozinha: mediana
    // de 62 e 72 ms; com outras duas ao mesmo tempo, 213 ms e reprovada).
    let simultaneos = if sob_o_wine() { 1 } else { 3 };
    let fila = Mutex::new((0..pedidos.len()).collect::<Vec<_>>());
    let feitos = Mutex::new(vec![None; pedidos.len()]);
    thread::scope(|escopo| {
        for _ in 0..simultaneos {
            escopo.spawn(|| loop {
                let Some(i) = fila.lock().unwrap().pop() else { break };
                let (_, comando, parte) = &pedidos[i];
                let extra: Vec<&str> =
                    if parte.is_empty() { vec![] } else { vec!["--parte", parte] };
                let feito = verificar_json(comando, &extra);
                feitos.lock().unwrap()[i] = Some(feito);
            });
        }
    });
    feitos.into_inner().unwrap().into_iter().map(|f| f.expect("cada pedido rodou")).collect()
}

/// O veredito numa linha: `id✓`, `id✗` ou `id–` por verificação.
pub fn marcas(json: &Value) -> Vec<(String, char)> {
    json["verificacoes"]
        .as_array()
        .expect("lista de verificações")
        .iter()
        .map(|v| {
            let marca = match v["ok"].as_bool() {
                Some(true) => '✓',
                Some(false) => '✗',
                None => '–',
            };
            (v["id"].as_str().unwrap().to_string(), marca)
        })
        .collect()
}

pub fn marca(json: &Value, id: &str) -> char {
    marcas(json).into_iter().find(|(i, _)| i == id).unwrap_or_else(|| panic!("sem {id}")).1
}

pub fn verificacao<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["verificacoes"].as_array().unwrap().iter().find(|v| v["id"] == id).unwrap()
}

pub fn diagnosticos(json: &Value) -> Vec<String> {
    json["diagnosticos"]
        .as_array()
        .map(|d| d.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// O esperado de um servidor: as marcas que devem sair (as outras: ✓).
#[derive(Clone, Copy)]
pub struct Esperado<'a> {
    pub cumpre: Option<bool>,
    pub classe: Option<&'a str>,
    /// `id` → marca; `?` aceita qualquer uma.
    pub marcas: &'a [(&'a str, char)],
    pub diagnosticos: &'a [&'a str],
}

/// Confere um JSON contra o esperado; devolve as diferenças (vazio: bate).
pub fn diferencas(nome: &str, json: &Value, esperado: &Esperado) -> Vec<String> {
    let mut erros = Vec::new();
    if json["atividade"]["cumpre"].as_bool() != esperado.cumpre {
        erros.push(format!(
            "cumpre {} (esperado {:?})",
            json["atividade"]["cumpre"], esperado.cumpre
        ));
    }
    if json["concorrencia"].as_str() != esperado.classe {
        erros.push(format!(
            "concorrência {} (esperado {:?})",
            json["concorrencia"], esperado.classe
        ));
    }
    for (id, obtida) in marcas(json) {
        let quer = esperado.marcas.iter().find(|(i, _)| *i == id).map_or('✓', |(_, m)| *m);
        if quer != '?' && quer != obtida {
            erros.push(format!("{id}: {obtida} (esperado {quer})"));
        }
    }
    let achados = diagnosticos(json);
    for d in esperado.diagnosticos {
        if !achados.iter().any(|a| a == d) {
            erros.push(format!("falta o diagnóstico {d} (achados: {achados:?})"));
        }
    }
    erros.into_iter().map(|e| format!("{nome}: {e}")).collect()
}

/// O código de saída e o JSON de uma execução.
pub type Feito = (Option<i32>, Value);

/// Confere vários de uma vez, e falha com todas as diferenças e os JSONs.
pub fn conferir_todos(casos: &[(&str, &Feito, Esperado)]) {
    let mut erros = Vec::new();
    for (nome, (codigo, json), esperado) in casos {
        let mut d = diferencas(nome, json, esperado);
        let codigo_esperado = if esperado.cumpre == Some(false) { 1 } else { 0 };
        if *codigo != Some(codigo_esperado) {
            d.push(format!("{nome}: código de saída {codigo:?} (esperado {codigo_esperado})"));
        }
        if !d.is_empty() {
            erros.extend(d);
            erros.push(format!("{json:#}"));
        }
    }
    assert!(erros.is_empty(), "{}", erros.join("\n"));
}

/// O comando que inicia um dos nossos servidores numa porta livre.
pub fn nosso(nome: &str) -> String {
    format!("{} --porta {{porta}}", citar(&compilado(nome).unwrap()))
}

/// O Python 3 desta máquina (`python3` ou `python`). Sem ele, o teste falha
/// com uma mensagem clara; sob o Wine (o CI roda lá os testes compilados
/// para Windows, e não há Python do Windows), é pulado com o motivo.
pub fn python() -> Option<String> {
    for nome in ["python3", "python"] {
        let versao = Command::new(nome).arg("--version").output();
        if let Ok(saida) = versao {
            let texto = String::from_utf8_lossy(&saida.stdout).into_owned()
                + &String::from_utf8_lossy(&saida.stderr);
            if saida.status.success() && texto.starts_with("Python 3") {
                return Some(nome.to_string());
            }
        }
    }
    if sob_o_wine() {
        eprintln!("pulado sob o Wine: não há Python do Windows no prefixo do Wine do CI");
        return None;
    }
    panic!("Python 3 não encontrado (python3 ou python no PATH): instale-o para estes testes");
}

/// Rodando como programa Windows dentro do Wine?
pub fn sob_o_wine() -> bool {
    cfg!(windows)
        && (std::env::var_os("WINEPREFIX").is_some()
            || Path::new("C:\\windows\\system32\\winecfg.exe").exists())
}

pub fn servidor_python(arquivo: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(arquivo)
}

/// O comando que roda o servidor Python `arquivo` (relativo a
/// common/ferramentas/ ou a tests/servidores/), com `extra` depois da porta.
pub fn py(python: &str, arquivo: &str, extra: &str) -> String {
    let caminho = if arquivo.contains('/') {
        servidor_python(arquivo)
    } else {
        servidor_python(&format!("tests/servidores/{arquivo}.py"))
    };
    format!("{python} {} {{porta}} {extra}", citar(&caminho)).trim_end().to_string()
}

/// Lê a saída do `verificar` enquanto ele roda: cada linha com o tempo em
/// que apareceu (para provar que a causa vem logo, e não no fim).
pub fn linhas_com_tempo(args: &[&str]) -> (Option<i32>, Vec<(Duration, String)>) {
    let inicio = Instant::now();
    let mut filho = Command::new(env!("CARGO_BIN_EXE_verificar"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("iniciar o verificar");
    let saida = filho.stdout.take().unwrap();
    let mut linhas = Vec::new();
    for linha in BufReader::new(saida).lines() {
        linhas.push((inicio.elapsed(), linha.unwrap_or_default()));
    }
    let status = filho.wait().expect("esperar o verificar");
    (status.code(), linhas)
}

pub fn texto(linhas: &[(Duration, String)]) -> String {
    linhas.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("\n")
}

/// Uma porta livre, que o teste põe no lugar do 5000 fixo de uma entrega
/// (a 5000 de verdade pode estar em uso nesta máquina).
pub fn porta_livre() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Uma cópia de `arquivo` (de tests/servidores/) com `PORT = 5000` trocado
/// por `PORT = porta`, em `pasta`.
pub fn com_porta_fixa(pasta: &Path, nome: &str, arquivo: &str, porta: u16) -> PathBuf {
    let texto = std::fs::read_to_string(servidor_python(&format!("tests/servidores/{arquivo}.py")))
        .unwrap();
    let texto = texto.replace("PORT = 5000", &format!("PORT = {porta}"));
    assert!(texto.contains(&format!("PORT = {porta}")));
    let caminho = pasta.join(nome);
    std::fs::write(&caminho, texto).unwrap();
    caminho
}

pub fn pasta_temporaria(nome: &str) -> PathBuf {
    let pasta = std::env::temp_dir().join(format!("verificar-{nome}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pasta);
    std::fs::create_dir_all(&pasta).unwrap();
    pasta
}
