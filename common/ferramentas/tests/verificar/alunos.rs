//! Os erros típicos de aluno, cada um num servidor Python pequeno
//! (`tests/servidores/`): o veredito e a causa que um professor daria lendo
//! o código.

use super::comum::*;
use serde_json::Value;
use std::thread;

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
        ("disciplina p1", py(&p, "disciplina/servidor.py", ""), "1"),
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
            "disciplina p1",
            &f[9],
            Esperado {
                cumpre: Some(true),
                classe: Some("serial"),
                marcas: &serial_da_disciplina,
                diagnosticos: &["decodifica_pedacos"],
            },
        ),
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
    ];
    // O cliente leve da inundação também passa: a primeira resposta dele,
    // numa conexão nova, tem o prazo de um cliente novo (o sleep por conexão).
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
    // O servidor morre logo depois do listen(): mesmo que a sondagem tenha
    // conectado antes, ele "terminou antes de aceitar conexões" (a primeira
    // subida espera meio segundo com ele vivo), e a causa sai no erro.
    let tudo = format!("{}{}", execucao.saida, execucao.erros);
    assert!(execucao.erros.contains("terminou antes de aceitar conexões"), "{tudo}");
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
