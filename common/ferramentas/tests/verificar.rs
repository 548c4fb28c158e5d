//! O `verificar` contra servidores de verdade, pelo caminho que o aluno usa
//! (`--iniciar "CMD"`): os nossos, que precisam passar no que a sua parte
//! exige, e pequenos servidores Python (`tests/servidores/`), cada um com um
//! erro clássico de aluno, que precisam receber o veredito que o erro merece.
//!
//! Cada teste inicia o seu servidor numa porta livre (o `{porta}` do
//! comando); os testes rodam em paralelo.

use apoio::binarios::compilado;
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// O que uma execução do `verificar` produziu.
struct Execucao {
    codigo: Option<i32>,
    saida: String,
    erros: String,
}

fn executar(args: &[&str]) -> Execucao {
    let saida = Command::new(env!("CARGO_BIN_EXE_verificar"))
        .args(args)
        .output()
        .expect("executar o verificar");
    Execucao {
        codigo: saida.status.code(),
        saida: String::from_utf8_lossy(&saida.stdout).into_owned(),
        erros: String::from_utf8_lossy(&saida.stderr).into_owned(),
    }
}

/// `caminho` entre aspas, para o shell (`sh -c` ou `cmd /C`).
fn citar(caminho: &Path) -> String {
    if cfg!(windows) {
        format!("\"{}\"", caminho.display())
    } else {
        format!("'{}'", caminho.display().to_string().replace('\'', "'\\''"))
    }
}

/// Roda `verificar --iniciar comando --json` (e `extra`); devolve o código
/// de saída e o JSON.
fn verificar_json(comando: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["--iniciar", comando, "--json"];
    args.extend_from_slice(extra);
    let execucao = executar(&args);
    let json = serde_json::from_str(execucao.saida.trim()).unwrap_or_else(|e| {
        panic!("JSON inválido ({e}):\n{}\nerros:\n{}", execucao.saida, execucao.erros)
    });
    (execucao.codigo, json)
}

/// O veredito numa linha: `✓`, `✗` ou `–` por verificação, na ordem.
fn veredito(json: &Value) -> String {
    json["verificacoes"]
        .as_array()
        .expect("lista de verificações")
        .iter()
        .map(|v| match v["ok"].as_bool() {
            Some(true) => '✓',
            Some(false) => '✗',
            None => '–',
        })
        .collect()
}

/// Confere o veredito contra o `esperado` (`?` aceita qualquer um), e a classe.
fn conferir(json: &Value, esperado: &str, classe: Option<&str>) {
    let obtido = veredito(json);
    let bate = obtido.chars().count() == esperado.chars().count()
        && obtido.chars().zip(esperado.chars()).all(|(o, e)| e == '?' || o == e);
    assert!(bate, "veredito {obtido}, esperado {esperado}:\n{json:#}");
    assert_eq!(json["concorrencia"].as_str(), classe, "{json:#}");
}

fn nosso(nome: &str, parte: &str, classe: &str, esperado: &str) {
    let comando = format!("{} --porta {{porta}}", citar(&compilado(nome).unwrap()));
    let (codigo, json) = verificar_json(&comando, &["--parte", parte]);
    assert_eq!(codigo, Some(0), "{nome} reprovado na Parte {parte}:\n{json:#}");
    assert_eq!(json["aprovado"], true);
    conferir(&json, esperado, Some(classe));
}

const SERIAL_CERTO: &str = "✓✓✓✓✓✓✓✓✓✓––";
const TUDO_CERTO: &str = "✓✓✓✓✓✓✓✓✓✓✓✓";

#[test]
fn parte1_passa_o_exigido_e_e_serial() {
    nosso("parte1", "1", "serial", SERIAL_CERTO);
}

#[test]
fn parte2_passa_o_exigido_e_e_serial() {
    nosso("parte2", "2", "serial", SERIAL_CERTO);
}

#[test]
fn parte3_passa_tudo_e_e_concorrente() {
    nosso("parte3", "3", "concorrente", TUDO_CERTO);
}

#[test]
fn parte3_poll_passa_tudo_e_e_concorrente() {
    nosso("parte3-poll", "3", "concorrente", TUDO_CERTO);
}

#[test]
fn parte3_async_passa_tudo_e_e_concorrente() {
    nosso("parte3-async", "3", "concorrente", TUDO_CERTO);
}

#[test]
fn parte4_passa_tudo_e_e_concorrente() {
    nosso("parte4", "4", "concorrente", TUDO_CERTO);
}

/// O Python 3 desta máquina (`python3` ou `python`). Sem ele, o teste falha
/// com uma mensagem clara; sob o Wine (o CI roda lá os testes compilados
/// para Windows, e não há Python do Windows), é pulado com o motivo.
fn python() -> Option<String> {
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
fn sob_o_wine() -> bool {
    cfg!(windows)
        && (std::env::var_os("WINEPREFIX").is_some()
            || Path::new("C:\\windows\\system32\\winecfg.exe").exists())
}

fn servidor_python(arquivo: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(arquivo)
}

/// Verifica o servidor Python `arquivo` (relativo a common/ferramentas/).
fn python_json(arquivo: &str) -> Option<Value> {
    let python = python()?;
    let comando = format!("{python} {} {{porta}}", citar(&servidor_python(arquivo)));
    let (codigo, json) = verificar_json(&comando, &[]);
    // Sem --parte nada é exigido: o servidor foi alcançado, código 0.
    assert_eq!(codigo, Some(0), "{json:#}");
    Some(json)
}

/// A queda (ou o erro escrito) que o servidor teve na verificação `id`.
fn saida_em(json: &Value, id: &str) -> String {
    let v = json["verificacoes"].as_array().unwrap().iter().find(|v| v["id"] == id).unwrap();
    format!(
        "{} {}",
        v["queda"]["saida"].as_str().unwrap_or(""),
        v["erro_escrito"].as_str().unwrap_or("")
    )
}

//                       eco, acentos, volta_ao_accept, fecha_quando_o_cliente_sai,
//                       sobrevive_a_reset, mensagem_em_pedacos, duas_mensagens_juntas,
//                       bytes_invalidos, mensagem_grande, concorrencia,
//                       muitos_clientes, cliente_que_nao_le

#[test]
fn servidor_da_disciplina_recv_1024_serial() {
    let Some(python) = python() else { return };
    // O boletim em texto, como o aluno o vê.
    let comando =
        format!("{python} {} {{porta}}", citar(&servidor_python("disciplina/servidor.py")));
    let execucao = executar(&["--iniciar", &comando, "--parte", "2"]);
    assert_eq!(execucao.codigo, Some(1), "a Parte 2 exige o enquadramento\n{}", execucao.saida);
    let marcas: String = execucao
        .saida
        .lines()
        .filter_map(|l| l.chars().next().filter(|c| "✓✗–".contains(*c)))
        .collect();
    assert_eq!(marcas, "✓✓✓✓✗✗✗✗✗✓––", "{}", execucao.saida);
    // O boletim quebra as linhas longas: compara com os espaços normalizados.
    let plano = execucao.saida.split_whitespace().collect::<Vec<_>>().join(" ");
    for trecho in [
        "Concorrência: serial.",
        "2 respostas \"Echo: \" para uma mensagem",
        "1 resposta \"Echo: \" para 2 mensagens",
        "Por que importa: TCP entrega um fluxo de bytes",
        "O que mudar: junte os bytes até o \\n",
        "Saída do servidor na verificação sobrevive_a_reset (terminou com código 1)",
        "ConnectionResetError",
        "UnicodeDecodeError",
        "REPROVADO",
    ] {
        assert!(plano.contains(trecho), "falta {trecho:?} em:\n{}", execucao.saida);
    }
}

#[test]
fn threads_com_recv_1024_concorrente_mas_sem_enquadramento() {
    let Some(json) = python_json("tests/servidores/threads_recv1024.py") else { return };
    conferir(&json, "✓✓✓✓✓✗✗✗✗✓✓✓", Some("concorrente"));
    assert!(saida_em(&json, "bytes_invalidos").contains("UnicodeDecodeError"), "{json:#}");
}

#[test]
fn termina_depois_do_primeiro_cliente() {
    let Some(json) = python_json("tests/servidores/termina_no_primeiro.py") else { return };
    conferir(&json, "✓✓✗✓✗✓✓✗✗✗––", None);
    let volta = &json["verificacoes"][2];
    assert_eq!(volta["queda"]["como"], "terminou com código 0", "{json:#}");
}

#[test]
fn nunca_fecha_o_socket_do_cliente() {
    let Some(json) = python_json("tests/servidores/nunca_fecha.py") else { return };
    conferir(&json, "✓✓✓✗✓✓✓✓✓✓✓✓", Some("concorrente"));
    assert!(json["verificacoes"][3]["detalhe"].as_str().unwrap().contains("CLOSE_WAIT"));
}

#[test]
fn global_sem_trava_mistura_as_respostas() {
    let Some(json) = python_json("tests/servidores/global_sem_trava.py") else { return };
    // O cliente que não lê pode receber a mensagem dele no lugar da sua (a
    // mesma corrida), ou não: depende do escalonamento; os cem clientes, sempre.
    conferir(&json, "✓✓✓✓✓✓✓✓✓✓✗?", Some("concorrente"));
    let detalhe = json["verificacoes"][10]["detalhe"].as_str().unwrap();
    assert!(detalhe.contains("com a mensagem de outro cliente"), "{detalhe}");
}

#[test]
fn correto_com_threads() {
    let Some(json) = python_json("tests/servidores/correto_threads.py") else { return };
    conferir(&json, TUDO_CERTO, Some("concorrente"));
}

#[test]
fn correto_com_asyncio() {
    let Some(json) = python_json("tests/servidores/correto_asyncio.py") else { return };
    conferir(&json, TUDO_CERTO, Some("concorrente"));
}

#[test]
fn resposta_sem_quebra_de_linha_conta_e_e_avisada_uma_vez() {
    let Some(python) = python() else { return };
    let arquivo = servidor_python("tests/servidores/sem_quebra_de_linha.py");
    let comando = format!("{python} {} {{porta}}", citar(&arquivo));
    let execucao = executar(&["--iniciar", &comando, "--parte", "3"]);
    assert_eq!(execucao.codigo, Some(0), "{}", execucao.saida);
    let aviso = "Observação: o servidor responde sem o \\n no fim da resposta";
    assert_eq!(execucao.saida.matches(aviso).count(), 1, "{}", execucao.saida);
}

#[test]
fn nada_escutando_diz_o_motivo() {
    let porta = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let execucao = executar(&["--host", "127.0.0.1", "--porta", &porta.to_string()]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.erros.starts_with(&format!(
            "verificar: nada escutando em 127.0.0.1:{porta} (conexão recusada)"
        )),
        "{}",
        execucao.erros
    );
}

#[test]
fn comando_que_termina_logo_mostra_a_saida_dele() {
    let comando =
        format!("{} --porta {{porta}} --opcao-inventada", citar(&compilado("parte1").unwrap()));
    let execucao = executar(&["--iniciar", &comando]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(execucao.erros.contains("terminou antes de aceitar conexões"), "{}", execucao.erros);
    assert!(execucao.erros.contains("opção desconhecida: --opcao-inventada"), "{}", execucao.erros);
    // Com --json, o professor recebe o motivo no mesmo formato dos outros.
    let (codigo, json) = verificar_json(&comando, &["--parte", "3"]);
    assert_eq!(codigo, Some(1));
    assert!(json["erro"].as_str().unwrap().contains("--opcao-inventada"), "{json:#}");
    assert_eq!(veredito(&json), "––––––––––––", "{json:#}");
}

#[test]
fn erro_de_uso_em_portugues_com_codigo_2() {
    let execucao = executar(&["--parte", "5"]);
    assert_eq!(execucao.codigo, Some(2));
    assert!(
        execucao.erros.starts_with(
            "verificar: valor inválido \"5\" para --parte <N>: aceita um número inteiro de 1 a 4\n"
        ),
        "{}",
        execucao.erros
    );
}

#[test]
fn porta_em_uso_e_recusada_antes_de_iniciar() {
    let ocupada = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = ocupada.local_addr().unwrap().port().to_string();
    let comando = format!("{} --porta {porta}", citar(&compilado("parte1").unwrap()));
    let execucao = executar(&["--iniciar", &comando, "--host", "127.0.0.1", "--porta", &porta]);
    assert_eq!(execucao.codigo, Some(1));
    assert!(
        execucao.erros.contains(&format!("a porta {porta} já está em uso")),
        "{}",
        execucao.erros
    );
}

/// Um "servidor" que aceita toda conexão e nunca responde nem fecha: cada
/// verificação termina no seu prazo, e nenhuma passa.
#[test]
fn servidor_que_aceita_e_nunca_responde_termina_em_tempo_limitado() {
    let escuta = TcpListener::bind("127.0.0.1:0").unwrap();
    let porta = escuta.local_addr().unwrap().port();
    let parar = Arc::new(AtomicBool::new(false));
    let parar_aqui = Arc::clone(&parar);
    let aceitador = thread::spawn(move || {
        let mut guardadas = Vec::new();
        while !parar_aqui.load(Ordering::Relaxed) && guardadas.len() < 1000 {
            if let Ok((socket, _)) = escuta.accept() {
                guardadas.push(socket);
            }
        }
    });
    let inicio = Instant::now();
    let execucao =
        executar(&["--host", "127.0.0.1", "--porta", &porta.to_string(), "--parte", "1", "--json"]);
    let tempo = inicio.elapsed();
    parar.store(true, Ordering::Relaxed);
    let _ = std::net::TcpStream::connect(("127.0.0.1", porta)); // acorda o accept()
    let _ = aceitador.join();
    assert_eq!(execucao.codigo, Some(1), "{}", execucao.saida);
    let json: Value = serde_json::from_str(execucao.saida.trim()).unwrap();
    assert!(veredito(&json).chars().all(|c| c != '✓'), "{json:#}");
    assert!(tempo < Duration::from_secs(150), "levou {tempo:?}");
}
