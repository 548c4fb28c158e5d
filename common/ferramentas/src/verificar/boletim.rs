//! O boletim: o texto para o aluno (uma verificação por vez, assim que ela
//! termina, em duas seções: o que a atividade pede e o que vai além) e o
//! JSON para o professor. Com [`Dicas::Esconder`] (o `--sem-dicas` dos
//! exercícios de achar o erro), só o observado: sem o porquê, o que mudar
//! nem as causas nomeadas.

use super::diagnostico::{self, Diagnostico};
use super::explicacoes::{explicar, titulo};
use super::formato::saida_do_servidor;
use super::{classe_exigida, nivel, ordem, Nivel, Relatorio, Resultado, IDS};
use serde_json::{json, Value};

/// Largura das linhas do boletim (o texto é quebrado entre palavras).
const LARGURA: usize = 96;

/// O boletim dá, além do observado, o porquê e o que mudar?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dicas {
    Mostrar,
    /// Num exercício de achar o erro, o conselho seria a resposta.
    Esconder,
}

/// A linha que o cabeçalho ganha com `--sem-dicas`.
pub const SEM_DICAS: &str =
    "Sem dicas (--sem-dicas): o boletim mostra o observado, sem o porquê nem o que mudar.\n";

/// O cabeçalho: o alvo e o que decide o veredito.
pub fn cabecalho(alvo: &str, iniciado: bool, parte: Option<u8>) -> String {
    let mut texto = format!("Verificando {alvo}\n");
    if iniciado {
        texto += &quebrar(
            "(iniciado pelo verificar, que o encerra no fim: com {porta} no comando, um servidor \
             novo a cada verificação; com a porta fixa, reiniciado só se cair)",
            "",
        );
    }
    let pede = ordem(parte).into_iter().filter(|id| nivel(id, parte) == Nivel::Atividade).count();
    texto += &match parte {
        None => quebrar(
            &format!(
                "Sem --parte: tudo é relatado, sem veredito (a atividade inteira pede {pede} \
                 verificações; {} vão além dela).",
                IDS.len() - pede
            ),
            "",
        ),
        Some(p) => {
            let classe = classe_exigida(parte)
                .map(|c| format!(", servidor {}", c.nome()))
                .unwrap_or_default();
            quebrar(
                &format!(
                    "Parte {p}: o veredito sai do que a atividade pede ({pede} verificações{classe}); \
                     as outras {} vão além dela e não decidem a parte.",
                    IDS.len() - pede
                ),
                "",
            )
        }
    };
    texto
}

/// O título da seção do nível `nivel`.
pub fn secao(nivel: Nivel, parte: Option<u8>) -> String {
    let nome = match (nivel, parte) {
        (Nivel::Atividade, Some(p)) => format!("O que a atividade pede (Parte {p})"),
        (Nivel::Atividade, None) => "O que a atividade pede".to_string(),
        (Nivel::Alem, _) => "Além da atividade (relatado à parte; não decide a parte)".to_string(),
    };
    format!("\n== {nome} ==\n")
}

/// O bloco de uma verificação: a marca, o id, o título e, numa falha, o
/// observado, por que importa e o que mudar; depois, os erros típicos que
/// ela revelou.
pub fn bloco(r: &Resultado, dicas: Dicas) -> String {
    let marca = match r.ok {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "–",
    };
    let mut texto = format!("\n{marca} {} — {}\n", r.id, titulo(r.id));
    if r.ok == Some(false) {
        texto += &paragrafo("Observado: ", &r.detalhe);
        let explicacao = explicar(r);
        if dicas == Dicas::Mostrar && !explicacao.por_que.is_empty() {
            texto += &paragrafo("Por que importa: ", &explicacao.por_que);
            texto += &paragrafo("O que mudar: ", &explicacao.o_que_mudar);
        }
    } else {
        texto += &paragrafo("", &r.detalhe);
    }
    if let Some(queda) = &r.queda {
        texto += &paragrafo(
            "",
            &format!(
                "O processo do servidor {} nesta verificação (a saída dele vai no fim).",
                queda.como
            ),
        );
    }
    for d in &r.diagnosticos {
        let diz = if dicas == Dicas::Mostrar { &d.texto } else { &d.observado };
        if !diz.is_empty() {
            texto += &quebrar(&format!("» {diz}"), "    ");
        }
    }
    texto
}

/// O boletim inteiro, de uma vez (a `turma` grava um por aluno).
pub fn completo(relatorio: &Relatorio) -> String {
    let mut texto = cabecalho(&relatorio.alvo, relatorio.iniciado, relatorio.parte);
    let mut anterior = None;
    for r in &relatorio.resultados {
        if anterior != Some(r.nivel) {
            texto += &secao(r.nivel, relatorio.parte);
            anterior = Some(r.nivel);
        }
        texto += &bloco(r, Dicas::Mostrar);
    }
    texto + &rodape(relatorio, Dicas::Mostrar)
}

/// O veredito numa linha (o fim do boletim e a tabela da turma).
pub fn veredito(relatorio: &Relatorio) -> String {
    let (a, de_a) = relatorio.contagem(Nivel::Atividade);
    let (b, de_b) = relatorio.contagem(Nivel::Alem);
    let falhas: Vec<&str> = relatorio
        .resultados
        .iter()
        .filter(|r| r.nivel == Nivel::Atividade && r.ok != Some(true) && !super::nao_se_aplica(r))
        .map(|r| r.id)
        .collect();
    let alem = format!("além da atividade, {b} de {de_b}");
    match (relatorio.parte, relatorio.cumpre()) {
        (Some(p), Some(true)) => {
            format!("Parte {p}: CUMPRE o que a atividade pede ({a} de {de_a}); {alem}.")
        }
        (Some(p), _) => format!(
            "Parte {p}: NÃO CUMPRE o que a atividade pede ({a} de {de_a}; faltou: {}); {alem}.",
            falhas.join(", ")
        ),
        (None, _) => {
            format!("O que a atividade pede: {a} de {de_a}; {alem} (sem --parte, sem veredito).")
        }
    }
}

/// O fim do boletim: a classe, os erros típicos, a observação sobre o
/// `\n`, o veredito e a saída do servidor em cada queda.
pub fn rodape(relatorio: &Relatorio, dicas: Dicas) -> String {
    let mut texto = String::from("\n");
    texto += &match relatorio.classe {
        Some(c) => format!("Concorrência: {}.\n", c.nome()),
        None => "Concorrência: não classificada.\n".to_string(),
    };
    if dicas == Dicas::Mostrar && !relatorio.diagnosticos.is_empty() {
        let nomes: Vec<&str> = relatorio.diagnosticos.iter().map(|d| d.id).collect();
        texto += &format!("Erros típicos encontrados (explicados acima): {}.\n", nomes.join(", "));
    }
    let tolerados: Vec<&str> =
        relatorio.resultados.iter().filter(|r| r.sem_terminador).map(|r| r.id).collect();
    if !tolerados.is_empty() {
        // Com --sem-dicas, só o fato: o porquê é a pergunta do exercício 5.
        let porque = if dicas == Dicas::Mostrar {
            " O protocolo deste projeto termina cada resposta em \\n, para o cliente saber onde \
             ela acaba; o servidor.py da disciplina também responde sem ele, para o cliente.py, \
             que lê com um recv só."
        } else {
            ""
        };
        texto += &quebrar(
            &format!(
                "Observação: o servidor responde sem o \\n no fim da resposta. Contei assim mesmo \
                 quando chegaram os bytes certos e nada mais ({}).{porque}",
                tolerados.join(", ")
            ),
            "",
        );
    }
    texto += &format!(
        "{} (verificado em {})\n",
        veredito(relatorio),
        super::formato::segundos(relatorio.duracao)
    );
    for r in &relatorio.resultados {
        let (titulo, saida) = match (&r.queda, &r.erro_escrito) {
            (Some(queda), _) => (
                format!("Saída do servidor na verificação {} ({})", r.id, queda.como),
                &queda.saida,
            ),
            (None, Some(erro)) => (
                format!(
                    "O servidor escreveu um erro na verificação {} (e continuou rodando)",
                    r.id
                ),
                erro,
            ),
            (None, None) => continue,
        };
        texto += &format!("\n{titulo}:\n{}", saida_do_servidor(saida));
    }
    texto
}

/// O JSON de um servidor verificado.
pub fn json(relatorio: &Relatorio, dicas: Dicas) -> Value {
    let verificacoes: Vec<Value> = relatorio
        .resultados
        .iter()
        .map(|r| {
            let mut detalhe = r.detalhe.clone();
            if r.sem_terminador {
                detalhe += " (resposta sem \\n no fim, aceita)";
            }
            json!({
                "id": r.id,
                "nivel": r.nivel,
                "ok": r.ok,
                "detalhe": detalhe,
                "queda": r.queda.as_ref().map(|q| json!({"como": q.como, "saida": q.saida})),
                "erro_escrito": r.erro_escrito,
                "duracao_s": (r.duracao.as_secs_f64() * 100.0).round() / 100.0,
            })
        })
        .collect();
    let (a, de_a) = relatorio.contagem(Nivel::Atividade);
    let (b, de_b) = relatorio.contagem(Nivel::Alem);
    json!({
        "alvo": relatorio.alvo,
        "parte": relatorio.parte,
        "atividade": {"parte": relatorio.parte, "cumpre": relatorio.cumpre(), "passaram": a, "de": de_a},
        "alem": {"passaram": b, "de": de_b},
        "concorrencia": relatorio.classe,
        "ritmo": relatorio.ritmo,
        "prefixo": String::from_utf8_lossy(&relatorio.prefixo),
        "porta_fixa": relatorio.porta_fixa,
        "diagnosticos": diagnosticos_json(&relatorio.diagnosticos, dicas),
        "duracao_s": (relatorio.duracao.as_secs_f64() * 10.0).round() / 10.0,
        "verificacoes": verificacoes,
    })
}

/// O JSON de um alvo que não pôde ser alcançado (o professor vê o motivo
/// no mesmo formato dos outros).
pub fn json_de_erro(alvo: &str, parte: Option<u8>, erro: &str, dicas: Dicas) -> Value {
    let diagnosticos: Vec<Diagnostico> = diagnostico::da_saida(erro).into_iter().collect();
    let diagnosticos = diagnosticos_json(&diagnosticos, dicas);
    let de_a = ordem(parte).iter().filter(|id| nivel(id, parte) == Nivel::Atividade).count();
    json!({
        "alvo": alvo,
        "parte": parte,
        "atividade": {"parte": parte, "cumpre": parte.map(|_| false), "passaram": 0, "de": de_a},
        "alem": {"passaram": 0, "de": IDS.len() - de_a},
        "concorrencia": null,
        "ritmo": null,
        "prefixo": null,
        "porta_fixa": null,
        "diagnosticos": diagnosticos,
        "erro": erro,
        "verificacoes": ordem(parte).iter().map(|id| json!({
            "id": id, "nivel": nivel(id, parte), "ok": null,
            "detalhe": format!("não avaliada: o servidor não pôde ser alcançado ({erro})"),
            "queda": null, "erro_escrito": null,
        })).collect::<Vec<_>>(),
    })
}

/// Os diagnósticos no JSON: sem dicas, só o observado de cada um (e os que
/// são só causa e conselho ficam de fora).
fn diagnosticos_json(diagnosticos: &[Diagnostico], dicas: Dicas) -> Value {
    match dicas {
        Dicas::Mostrar => json!(diagnosticos),
        Dicas::Esconder => diagnosticos
            .iter()
            .filter(|d| !d.observado.is_empty())
            .map(|d| json!({"id": d.id, "texto": d.observado}))
            .collect(),
    }
}

/// `texto` quebrado em linhas de até [`LARGURA`], com recuo, e `rotulo` no começo.
fn paragrafo(rotulo: &str, texto: &str) -> String {
    quebrar(&format!("{rotulo}{texto}"), "    ")
}

pub fn quebrar(texto: &str, recuo: &str) -> String {
    let mut saida = String::new();
    let mut linha = String::from(recuo);
    let mut vazia = true;
    for palavra in texto.split(' ') {
        let largura = linha.chars().count() + 1 + palavra.chars().count();
        if !vazia && largura > LARGURA {
            saida += &linha;
            saida.push('\n');
            linha = String::from(recuo);
            vazia = true;
        }
        if !vazia {
            linha.push(' ');
        }
        linha += palavra;
        vazia = false;
    }
    saida += &linha;
    saida.push('\n');
    saida
}
