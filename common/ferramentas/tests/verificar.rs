//! O `verificar` contra servidores de verdade, pelo caminho que o aluno usa
//! (`--iniciar "CMD"`): os nossos, que precisam passar nos dois níveis, e
//! pequenos servidores Python (`tests/servidores/`), cada um com um erro
//! típico de aluno, que precisam receber o veredito e a causa que um
//! professor daria lendo o código.
//!
//! Cada execução inicia o seu servidor numa porta livre (o `{porta}` do
//! comando). Para o conjunto caber em pouco tempo, os servidores de um
//! mesmo teste são verificados em paralelo (três por vez: cada verificação
//! espera mais do que trabalha), e cada teste confere tudo o que uma
//! execução mostra.

use apoio::binarios::compilado;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// O que uma execução do `verificar` produziu.
struct Execucao {
    codigo: Option<i32>,
    saida: String,
    erros: String,
}

fn executar(args: &[&str]) -> Execucao {
    executar_em(args, None)
}

fn executar_em(args: &[&str], pasta: Option<&Path>) -> Execucao {
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
fn citar(caminho: &Path) -> String {
    if cfg!(windows) {
        format!("\"{}\"", caminho.display())
    } else {
        format!("'{}'", caminho.display().to_string().replace('\'', "'\\''"))
    }
}

/// Roda `verificar --iniciar comando --json` (e `extra`); devolve o código
/// de saída e o JSON.
fn verificar_json(comando: &str, extra: &[&str]) -> Feito {
    let mut args = vec!["--iniciar", comando, "--json"];
    args.extend_from_slice(extra);
    let execucao = executar(&args);
    let json = serde_json::from_str(execucao.saida.trim()).unwrap_or_else(|e| {
        panic!("JSON inválido ({e}):\n{}\nerros:\n{}", execucao.saida, execucao.erros)
    });
    (execucao.codigo, json)
}

/// Roda cada `(nome, comando, parte)` em paralelo (três por vez) e devolve
/// os JSONs na mesma ordem.
fn em_paralelo(pedidos: &[(&str, String, &str)]) -> Vec<Feito> {
    let fila = Mutex::new((0..pedidos.len()).collect::<Vec<_>>());
    let feitos = Mutex::new(vec![None; pedidos.len()]);
    thread::scope(|escopo| {
        for _ in 0..3 {
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
fn marcas(json: &Value) -> Vec<(String, char)> {
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

fn marca(json: &Value, id: &str) -> char {
    marcas(json).into_iter().find(|(i, _)| i == id).unwrap_or_else(|| panic!("sem {id}")).1
}

fn verificacao<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["verificacoes"].as_array().unwrap().iter().find(|v| v["id"] == id).unwrap()
}

fn diagnosticos(json: &Value) -> Vec<String> {
    json["diagnosticos"]
        .as_array()
        .map(|d| d.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// O esperado de um servidor: as marcas que devem sair (as outras: ✓).
#[derive(Clone, Copy)]
struct Esperado<'a> {
    cumpre: Option<bool>,
    classe: Option<&'a str>,
    /// `id` → marca; `?` aceita qualquer uma.
    marcas: &'a [(&'a str, char)],
    diagnosticos: &'a [&'a str],
}

/// Confere um JSON contra o esperado; devolve as diferenças (vazio: bate).
fn diferencas(nome: &str, json: &Value, esperado: &Esperado) -> Vec<String> {
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
type Feito = (Option<i32>, Value);

/// Confere vários de uma vez, e falha com todas as diferenças e os JSONs.
fn conferir_todos(casos: &[(&str, &Feito, Esperado)]) {
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

fn nosso(nome: &str) -> String {
    format!("{} --porta {{porta}}", citar(&compilado(nome).unwrap()))
}

const SO_CONCORRENTES: [(&str, char); 3] =
    [("muitos_clientes", '–'), ("cliente_que_nao_le", '–'), ("cliente_que_inunda", '–')];

#[test]
fn nossos_seis_servidores_passam_os_dois_niveis() {
    let pedidos = [
        ("parte1", nosso("parte1"), "1"),
        ("parte2", nosso("parte2"), "2"),
        ("parte3", nosso("parte3"), "3"),
        ("parte3-poll", nosso("parte3-poll"), "3"),
        ("parte3-async", nosso("parte3-async"), "3"),
        ("parte4", nosso("parte4"), "4"),
    ];
    let feitos = em_paralelo(&pedidos);
    let serial = Esperado {
        cumpre: Some(true),
        classe: Some("serial"),
        marcas: &SO_CONCORRENTES,
        diagnosticos: &[],
    };
    let tudo = Esperado {
        cumpre: Some(true),
        classe: Some("concorrente"),
        marcas: &[],
        diagnosticos: &[],
    };
    // O laço de hoje do parte3-poll lê cada conexão até esvaziar e não é
    // justo sob inundação (issue 30, que o reescreve): a inundação não é
    // cobrada dele até lá; todo o resto, sim.
    let poll = Esperado { marcas: &[("cliente_que_inunda", '?')], ..tudo };
    conferir_todos(&[
        ("parte1", &feitos[0], serial),
        ("parte2", &feitos[1], Esperado { ..serial }),
        ("parte3", &feitos[2], Esperado { ..tudo }),
        ("parte3-poll", &feitos[3], poll),
        ("parte3-async", &feitos[4], Esperado { ..tudo }),
        ("parte4", &feitos[5], Esperado { ..tudo }),
    ]);
    for (_, json) in &feitos {
        assert!(json["diagnosticos"].as_array().unwrap().is_empty(), "{json:#}");
        assert_eq!(json["prefixo"], "Echo: ");
    }
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

/// O comando que roda o servidor Python `arquivo` (relativo a
/// common/ferramentas/ ou a tests/servidores/), com `extra` depois da porta.
fn py(python: &str, arquivo: &str, extra: &str) -> String {
    let caminho = if arquivo.contains('/') {
        servidor_python(arquivo)
    } else {
        servidor_python(&format!("tests/servidores/{arquivo}.py"))
    };
    format!("{python} {} {{porta}} {extra}", citar(&caminho)).trim_end().to_string()
}

/// Os erros típicos de aluno, cada um num servidor pequeno: o veredito da
/// parte, a classe, as marcas de cada nível e a causa nomeada.
#[test]
fn erros_de_aluno_recebem_o_veredito_e_a_causa() {
    let Some(p) = python() else { return };
    let pedidos = [
        ("disciplina p2", py(&p, "disciplina/servidor.py", ""), "2"),
        ("disciplina p3", py(&p, "disciplina/servidor.py", ""), "3"),
        ("threads_recv1024", py(&p, "threads_recv1024", ""), "3"),
        ("decodifica_cada_pedaco", py(&p, "decodifica_cada_pedaco", ""), "3"),
        ("sem_prefixo", py(&p, "sem_prefixo", ""), "3"),
        ("laco_que_le_ate_esvaziar", py(&p, "laco_que_le_ate_esvaziar", ""), "3"),
        ("termina_no_primeiro", py(&p, "termina_no_primeiro", ""), "1"),
        ("nunca_fecha", py(&p, "nunca_fecha", ""), "3"),
        ("global_sem_trava", py(&p, "global_sem_trava", ""), "3"),
        ("correto_threads", py(&p, "correto_threads", ""), "3"),
        ("correto_asyncio", py(&p, "correto_asyncio", ""), "3"),
    ];
    let f = em_paralelo(&pedidos);
    // O protocolo da disciplina (um recv(1024) = uma mensagem) falha o
    // enquadramento, que vai além da atividade: avisos, não reprovação.
    let sem_enquadramento: &[(&str, char)] = &[
        ("mensagem_em_pedacos", '✗'),
        ("duas_mensagens_juntas", '✗'),
        ("mensagem_grande", '✗'),
        ("bytes_invalidos", '✗'),
        ("caractere_na_fronteira", '✗'),
    ];
    let serial_da_disciplina: Vec<(&str, char)> = [
        ("sobrevive_a_reset", '✗'),
        ("muitos_clientes", '–'),
        ("cliente_que_nao_le", '–'),
        ("cliente_que_inunda", '–'),
    ]
    .into_iter()
    .chain(sem_enquadramento.iter().copied())
    .collect();
    let mut serial_na_parte3 = serial_da_disciplina.clone();
    serial_na_parte3.push(("concorrencia", '✗'));
    conferir_todos(&[
        (
            "disciplina p2",
            &f[0],
            Esperado {
                cumpre: Some(true),
                classe: Some("serial"),
                marcas: &serial_da_disciplina,
                diagnosticos: &["decodifica_pedacos"],
            },
        ),
        (
            "disciplina p3",
            &f[1],
            Esperado {
                cumpre: Some(false),
                classe: Some("serial"),
                marcas: &serial_na_parte3,
                diagnosticos: &[],
            },
        ),
        (
            "threads_recv1024",
            &f[2],
            Esperado {
                cumpre: Some(true),
                classe: Some("concorrente"),
                marcas: sem_enquadramento,
                diagnosticos: &["decodifica_pedacos"],
            },
        ),
        (
            "decodifica_cada_pedaco",
            &f[3],
            Esperado {
                cumpre: Some(true),
                classe: Some("concorrente"),
                marcas: &[("bytes_invalidos", '✗'), ("caractere_na_fronteira", '✗')],
                diagnosticos: &["decodifica_pedacos"],
            },
        ),
        (
            "sem_prefixo",
            &f[4],
            Esperado {
                cumpre: Some(false),
                classe: Some("concorrente"),
                marcas: &[("eco", '✗')],
                diagnosticos: &["prefixo"],
            },
        ),
        (
            "laco_que_le_ate_esvaziar",
            &f[5],
            Esperado {
                cumpre: Some(true),
                classe: Some("concorrente"),
                marcas: &[("cliente_que_inunda", '✗')],
                diagnosticos: &[],
            },
        ),
        (
            "termina_no_primeiro",
            &f[6],
            Esperado {
                cumpre: Some(false),
                classe: None,
                marcas: &[
                    ("concorrencia", '✗'),
                    ("volta_ao_accept", '✗'),
                    ("sobrevive_a_reset", '✗'),
                    ("mensagem_em_pedacos", '?'),
                    ("duas_mensagens_juntas", '?'),
                    ("mensagem_grande", '?'),
                    ("bytes_invalidos", '?'),
                    ("caractere_na_fronteira", '?'),
                    ("muitos_clientes", '–'),
                    ("cliente_que_nao_le", '–'),
                    ("cliente_que_inunda", '–'),
                ],
                diagnosticos: &[],
            },
        ),
        (
            "nunca_fecha",
            &f[7],
            Esperado {
                cumpre: Some(false),
                classe: Some("concorrente"),
                marcas: &[("fecha_quando_o_cliente_sai", '✗')],
                diagnosticos: &[],
            },
        ),
        (
            "global_sem_trava",
            &f[8],
            // O cliente que não lê e o leve da inundação podem receber a
            // mensagem de outro (a mesma corrida), ou não: depende do
            // escalonamento; os cem clientes, sempre.
            Esperado {
                cumpre: Some(false),
                classe: Some("concorrente"),
                marcas: &[
                    ("muitos_clientes", '✗'),
                    ("cliente_que_nao_le", '?'),
                    ("cliente_que_inunda", '?'),
                ],
                diagnosticos: &[],
            },
        ),
        (
            "correto_threads",
            &f[9],
            Esperado {
                cumpre: Some(true),
                classe: Some("concorrente"),
                marcas: &[],
                diagnosticos: &[],
            },
        ),
        (
            "correto_asyncio",
            &f[10],
            Esperado {
                cumpre: Some(true),
                classe: Some("concorrente"),
                marcas: &[],
                diagnosticos: &[],
            },
        ),
    ]);
    // As causas, nas palavras do boletim.
    let detalhe =
        |json: &Value, id: &str| verificacao(json, id)["detalhe"].as_str().unwrap().to_string();
    let saida = |json: &Value, id: &str| {
        let v = verificacao(json, id);
        format!(
            "{} {}",
            v["queda"]["saida"].as_str().unwrap_or(""),
            v["erro_escrito"].as_str().unwrap_or("")
        )
    };
    assert!(saida(&f[1].1, "sobrevive_a_reset").contains("ConnectionResetError"), "{:#}", f[1].1);
    assert!(
        saida(&f[2].1, "caractere_na_fronteira").contains("UnicodeDecodeError"),
        "{:#}",
        f[2].1
    );
    assert!(detalhe(&f[4].1, "eco").contains("seu servidor respondeu \"oi\""), "{:#}", f[4].1);
    assert!(detalhe(&f[7].1, "fecha_quando_o_cliente_sai").contains("CLOSE_WAIT"));
    assert!(detalhe(&f[8].1, "muitos_clientes").contains("com a mensagem de outro cliente"));
    assert_eq!(verificacao(&f[6].1, "volta_ao_accept")["queda"]["como"], "terminou com código 0");
}

/// Lê a saída do `verificar` enquanto ele roda: cada linha com o tempo em
/// que apareceu (para provar que a causa vem logo, e não no fim).
fn linhas_com_tempo(args: &[&str]) -> (Option<i32>, Vec<(Duration, String)>) {
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

fn texto(linhas: &[(Duration, String)]) -> String {
    linhas.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("\n")
}

/// O boletim em texto do servidor da disciplina: cumpre a Parte 2 com
/// avisos (o enquadramento vai além da atividade), e o `target=atender(...)`
/// é serial com a causa nas primeiras linhas do boletim da Parte 3.
#[test]
fn boletim_em_texto_da_disciplina_e_da_thread_chamada_na_hora() {
    let Some(p) = python() else { return };
    let disciplina = py(&p, "disciplina/servidor.py", "");
    let chamada = py(&p, "thread_chamada_na_hora", "");
    let (a, b) = thread::scope(|escopo| {
        let a = escopo.spawn(|| executar(&["--iniciar", &disciplina, "--parte", "2"]));
        let b = escopo.spawn(|| linhas_com_tempo(&["--iniciar", &chamada, "--parte", "3"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.codigo, Some(0), "a Parte 2 cumpre, com avisos\n{}", a.saida);
    let plano = a.saida.split_whitespace().collect::<Vec<_>>().join(" ");
    for trecho in [
        "== O que a atividade pede (Parte 2) ==",
        "== Além da atividade (relatado à parte; não decide a parte) ==",
        "Concorrência: serial.",
        "2 respostas \"Echo: \" para uma mensagem",
        "Por que importa: TCP entrega um fluxo de bytes",
        "Saída do servidor na verificação sobrevive_a_reset (terminou com código 1)",
        "UnicodeDecodeError",
        "Parte 2: CUMPRE o que a atividade pede (5 de 5)",
    ] {
        assert!(plano.contains(trecho), "falta {trecho:?} em:\n{}", a.saida);
    }
    // Numa verificação que o servidor derrubou, o conselho é o da exceção
    // que ele escreveu, não um genérico.
    assert!(
        plano.contains("lança UnicodeDecodeError; sem tratamento, ela derrubou o servidor"),
        "{}",
        a.saida
    );
    let (codigo, linhas) = b;
    assert_eq!(codigo, Some(1), "{}", texto(&linhas));
    let causa = linhas.iter().position(|(_, l)| l.contains("Serial com threading"));
    let causa = causa.unwrap_or_else(|| panic!("sem a causa:\n{}", texto(&linhas)));
    assert!(causa < 25, "a causa veio na linha {causa}:\n{}", texto(&linhas));
    let plano = texto(&linhas).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(plano.contains("threading.Thread(target=atender(conn, addr)).start()"), "{plano}");
    assert!(
        plano.contains("threading.Thread(target=atender, args=(conn, addr)).start()"),
        "{plano}"
    );
    assert!(plano.contains("Parte 3: NÃO CUMPRE"), "{plano}");
}

/// Os `time.sleep` que a atividade sugere: por mensagem e por conexão, o
/// servidor é concorrente e cumpre a Parte 3; a lentidão é dita uma vez. (Os
/// testes usam esperas menores que os 2 e 3 s das entregas, para caber no
/// tempo da suíte; as janelas crescem com o servidor do mesmo jeito.)
#[test]
fn servidores_com_sleep_sao_concorrentes_e_a_lentidao_e_dita_uma_vez() {
    let Some(p) = python() else { return };
    let pedidos = [
        ("por mensagem", py(&p, "threads_dorme_por_mensagem", "0.8"), "3"),
        ("por conexão", py(&p, "threads_dorme_por_conexao", "1.2"), "3"),
    ];
    let f = em_paralelo(&pedidos);
    let sem_enquadramento: &[(&str, char)] = &[
        ("mensagem_em_pedacos", '✗'),
        ("duas_mensagens_juntas", '✗'),
        ("mensagem_grande", '✗'),
        ("bytes_invalidos", '✗'),
        ("caractere_na_fronteira", '✗'),
        ("cliente_que_inunda", '?'),
    ];
    let esperado = Esperado {
        cumpre: Some(true),
        classe: Some("concorrente"),
        marcas: sem_enquadramento,
        diagnosticos: &["lento"],
    };
    // Com a espera no começo da conexão, os dois pedaços de uma mensagem já
    // chegaram quando o primeiro recv() roda: a sorte do recv(1024).
    let mut por_conexao = sem_enquadramento.to_vec();
    por_conexao[0] = ("mensagem_em_pedacos", '?');
    conferir_todos(&[
        ("por mensagem", &f[0], esperado),
        ("por conexão", &f[1], Esperado { marcas: &por_conexao, ..esperado }),
    ]);
    for (_, json) in &f {
        let lentos = diagnosticos(json).iter().filter(|d| *d == "lento").count();
        assert_eq!(lentos, 1, "{json:#}");
    }
}

/// Um `input()` antes do `accept()`: sem teclado, o servidor termina com
/// EOFError, e o motivo é dito.
#[test]
fn servidor_que_espera_o_teclado_falha_com_a_causa() {
    let Some(p) = python() else { return };
    let comando = py(&p, "espera_o_teclado", "");
    let execucao = executar(&["--iniciar", &comando, "--parte", "1"]);
    assert_eq!(execucao.codigo, Some(1), "{}", execucao.saida);
    // O servidor morre logo depois do listen(): se a sondagem conectou
    // antes, o eco falha e a causa sai no boletim; senão, ele "terminou
    // antes de aceitar conexões", e a causa sai no erro.
    let tudo = format!("{}{}", execucao.saida, execucao.erros);
    assert!(tudo.contains("EOFError"), "{tudo}");
    assert!(
        tudo.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("O servidor espera o teclado"),
        "{tudo}"
    );
    let (codigo, json) = verificar_json(&comando, &["--parte", "1"]);
    assert_eq!(codigo, Some(1));
    assert_eq!(json["atividade"]["cumpre"], false, "{json:#}");
    assert_eq!(diagnosticos(&json), ["teclado"], "{json:#}");
}

/// Uma porta livre, que o teste põe no lugar do 5000 fixo de uma entrega
/// (a 5000 de verdade pode estar em uso nesta máquina).
fn porta_livre() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Uma cópia de `arquivo` (de tests/servidores/) com `PORT = 5000` trocado
/// por `PORT = porta`, em `pasta`.
fn com_porta_fixa(pasta: &Path, nome: &str, arquivo: &str, porta: u16) -> PathBuf {
    let texto = std::fs::read_to_string(servidor_python(&format!("tests/servidores/{arquivo}.py")))
        .unwrap();
    let texto = texto.replace("PORT = 5000", &format!("PORT = {porta}"));
    assert!(texto.contains(&format!("PORT = {porta}")));
    let caminho = pasta.join(nome);
    std::fs::write(&caminho, texto).unwrap();
    caminho
}

fn pasta_temporaria(nome: &str) -> PathBuf {
    let pasta = std::env::temp_dir().join(format!("verificar-{nome}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pasta);
    std::fs::create_dir_all(&pasta).unwrap();
    pasta
}

/// A porta fixa no código: o anúncio do servidor a revela em segundos, e as
/// verificações rodam nela.
#[test]
fn porta_fixa_e_achada_pelo_anuncio_em_segundos() {
    let Some(p) = python() else { return };
    let pasta = pasta_temporaria("porta-fixa");
    let porta = porta_livre();
    let arquivo = com_porta_fixa(&pasta, "servidor.py", "porta_fixa", porta);
    let comando = format!("{p} {} {{porta}}", citar(&arquivo));
    let (codigo, linhas) = linhas_com_tempo(&["--iniciar", &comando, "--parte", "3"]);
    let (quando, _) = linhas
        .iter()
        .find(|(_, l)| l.contains("Porta fixa no código"))
        .unwrap_or_else(|| panic!("sem a porta fixa:\n{}", texto(&linhas)));
    assert!(*quando < Duration::from_secs(15), "a porta fixa veio em {quando:?}");
    let plano = texto(&linhas).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(plano.contains(&format!("escutou na {porta}, como ele mesmo anunciou")), "{plano}");
    assert!(plano.contains("Parte 3: CUMPRE"), "{plano}");
    assert_eq!(codigo, Some(0));
    let _ = std::fs::remove_dir_all(&pasta);
}

/// A turma: entregas numa pasta (uma subpasta por aluno e um arquivo solto),
/// com uma de porta fixa, uma que nem inicia e uma pasta sem servidor; a
/// tabela (Markdown e CSV) e um boletim por aluno.
#[test]
fn turma_escreve_a_tabela_e_um_boletim_por_aluno() {
    let Some(p) = python() else { return };
    let pasta = pasta_temporaria("turma");
    let entregas = pasta.join("entregas");
    let copiar = |aluno: &str, arquivo: &str| {
        std::fs::create_dir_all(entregas.join(aluno)).unwrap();
        let origem = servidor_python(&format!("tests/servidores/{arquivo}.py"));
        std::fs::copy(origem, entregas.join(aluno).join("servidor.py")).unwrap();
    };
    copiar("aluno-a", "threads_recv1024");
    copiar("aluno-b", "thread_chamada_na_hora");
    copiar("aluno-c", "espera_o_teclado");
    std::fs::create_dir_all(entregas.join("aluno-d")).unwrap();
    com_porta_fixa(&entregas.join("aluno-d"), "servidor.py", "porta_fixa", porta_livre());
    std::fs::create_dir_all(entregas.join("aluno-e")).unwrap();
    std::fs::write(entregas.join("aluno-e").join("leiame.txt"), "sem servidor").unwrap();
    std::fs::copy(servidor_python("disciplina/servidor.py"), entregas.join("aluno-f.py")).unwrap();
    let modelo = format!("{p} {{arquivo}} {{porta}}");
    let inicio = Instant::now();
    let execucao =
        executar_em(&["turma", "entregas", "--iniciar", &modelo, "--parte", "3"], Some(&pasta));
    let tempo = inicio.elapsed();
    assert_eq!(execucao.codigo, Some(0), "{}\n{}", execucao.saida, execucao.erros);
    let saida = pasta.join("entregas-verificar");
    let md = std::fs::read_to_string(saida.join("turma.md")).unwrap();
    let csv = std::fs::read_to_string(saida.join("turma.csv")).unwrap();
    let linha = |aluno: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {aluno} |")))
            .unwrap_or_else(|| panic!("sem {aluno}:\n{md}"))
            .to_string()
    };
    assert!(linha("aluno-a").contains("| cumpre |"), "{md}");
    assert!(
        linha("aluno-b").contains("| não cumpre |")
            && linha("aluno-b").contains("target=atender(conn, addr)"),
        "{md}"
    );
    assert!(
        linha("aluno-c").contains("| não iniciou |") && linha("aluno-c").contains("teclado"),
        "{md}"
    );
    assert!(linha("aluno-d").contains("| cumpre |"), "{md}");
    assert!(
        linha("aluno-e").contains("| não iniciou |") && linha("aluno-e").contains("accept("),
        "{md}"
    );
    assert!(
        linha("aluno-f").contains("| não cumpre |") && linha("aluno-f").contains("serial"),
        "{md}"
    );
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.starts_with("\"aluno\",\"parte\",\"veredito\""), "{csv}");
    // A de porta fixa rodou por último, sozinha.
    let progresso: Vec<&str> = execucao.saida.lines().filter(|l| l.starts_with('[')).collect();
    assert!(progresso.last().is_some_and(|l| l.contains("aluno-d")), "{}", execucao.saida);
    for aluno in ["aluno-a", "aluno-b", "aluno-c", "aluno-d", "aluno-e", "aluno-f"] {
        let json: Value = serde_json::from_str(
            &std::fs::read_to_string(saida.join("boletins").join(format!("{aluno}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(json["atividade"]["parte"], 3, "{aluno}: {json:#}");
        assert!(saida.join("boletins").join(format!("{aluno}.txt")).exists());
    }
    let boletim = std::fs::read_to_string(saida.join("boletins").join("aluno-b.txt")).unwrap();
    assert!(boletim.contains("Serial com threading"), "{boletim}");
    assert!(tempo < Duration::from_secs(180), "a turma levou {tempo:?}");
    let _ = std::fs::remove_dir_all(&pasta);
}

#[test]
fn resposta_sem_quebra_de_linha_conta_e_e_avisada_uma_vez() {
    let Some(p) = python() else { return };
    let comando = py(&p, "sem_quebra_de_linha", "");
    let execucao = executar(&["--iniciar", &comando, "--parte", "3"]);
    assert_eq!(execucao.codigo, Some(0), "{}", execucao.saida);
    let aviso = "Observação: o servidor responde sem o \\n no fim da resposta";
    assert_eq!(execucao.saida.matches(aviso).count(), 1, "{}", execucao.saida);
    // O tempo de uma resposta sem \n vai até o último byte, não até o
    // silêncio que a encerra: o servidor não é "lento".
    assert!(!execucao.saida.contains("Servidor lento"), "{}", execucao.saida);
}

#[test]
fn nada_escutando_diz_o_motivo() {
    let porta = porta_livre();
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
    assert!(marcas(&json).iter().all(|(_, m)| *m == '–'), "{json:#}");
    assert_eq!(json["atividade"]["cumpre"], false);
    assert_eq!(verificacao(&json, "eco")["nivel"], "atividade");
    assert_eq!(verificacao(&json, "cliente_que_inunda")["nivel"], "alem");
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
    let execucao = executar(&["turma"]);
    assert_eq!(execucao.codigo, Some(2), "{}", execucao.erros);
    assert!(execucao.erros.starts_with("verificar: falta"), "{}", execucao.erros);
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

/// Um "servidor" que aceita toda conexão e nunca responde nem fecha: o eco
/// falha no seu prazo, e o resto não é avaliado (sem eco, nada a conferir).
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
    assert_eq!(marca(&json, "eco"), '✗', "{json:#}");
    assert!(marcas(&json).iter().skip(1).all(|(_, m)| *m == '–'), "{json:#}");
    let detalhe = verificacao(&json, "acentos")["detalhe"].as_str().unwrap();
    assert!(detalhe.starts_with("não avaliada: o servidor não respondeu"), "{detalhe}");
    assert!(tempo < Duration::from_secs(30), "levou {tempo:?}");
}
