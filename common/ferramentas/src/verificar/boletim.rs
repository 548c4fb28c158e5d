//! O boletim: o texto para o aluno (uma verificação por vez, assim que ela
//! termina) e o JSON para o professor corrigir uma turma num laço.

use super::explicacoes::{explicar, titulo};
use super::{exigencias, Relatorio, Resultado, IDS};
use serde_json::{json, Value};

/// Largura das linhas do boletim (o texto é quebrado entre palavras).
const LARGURA: usize = 96;
/// Quantas linhas do fim da saída do servidor o boletim mostra.
const LINHAS_DA_SAIDA: usize = 40;

/// O cabeçalho: o alvo e o que é exigido.
pub fn cabecalho(alvo: &str, iniciado: bool, parte: Option<u8>) -> String {
    let mut texto = format!("Verificando {alvo}\n");
    if iniciado {
        texto += "(iniciado pelo verificar, que o reinicia antes de cada verificação e o encerra \
                  no fim)\n";
    }
    texto += &match parte {
        None => "Sem --parte: tudo é relatado, nada é exigido.\n".to_string(),
        Some(p) => {
            let (ids, classe) = exigencias(p);
            let classe = classe.map(|c| format!(", servidor {}", c.nome())).unwrap_or_default();
            format!("Parte {p}: exigidas {} de {} verificações{classe}.\n", ids.len(), IDS.len())
        }
    };
    texto
}

/// O bloco de uma verificação: a marca, o id, o título e, numa falha, o
/// observado, por que importa e o que mudar.
pub fn bloco(r: &Resultado) -> String {
    let marca = match r.ok {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "–",
    };
    let exigida = if r.exigida { " (exigida)" } else { "" };
    let mut texto = format!("\n{marca} {} — {}{exigida}\n", r.id, titulo(r.id));
    if r.ok == Some(false) {
        texto += &paragrafo("Observado: ", &r.detalhe);
        let explicacao = explicar(r.id, r.classe, r.classe_exigida);
        texto += &paragrafo("Por que importa: ", explicacao.por_que);
        texto += &paragrafo("O que mudar: ", explicacao.o_que_mudar);
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
    texto
}

/// O fim do boletim: a classe, a observação sobre o `\n`, o resultado e a
/// saída do servidor em cada queda.
pub fn rodape(relatorio: &Relatorio) -> String {
    let mut texto = String::from("\n");
    texto += &match relatorio.classe {
        Some(c) => format!("Concorrência: {}.\n", c.nome()),
        None => "Concorrência: não classificada.\n".to_string(),
    };
    let tolerados: Vec<&str> =
        relatorio.resultados.iter().filter(|r| r.sem_terminador).map(|r| r.id).collect();
    if !tolerados.is_empty() {
        texto += &quebrar(
            &format!(
                "Observação: o servidor responde sem o \\n no fim da resposta (como o \
                 servidor.py da disciplina, com o cliente.py que lê com um recv só). Contei \
                 assim mesmo: os bytes certos seguidos de {} de silêncio ({}). O protocolo \
                 deste projeto termina cada resposta em \\n, para o cliente saber onde ela acaba.",
                super::conexao::segundos(super::conexao::SILENCIO),
                tolerados.join(", ")
            ),
            "",
        );
    }
    let exigidas: Vec<&Resultado> = relatorio.resultados.iter().filter(|r| r.exigida).collect();
    let passaram = |rs: &[&Resultado]| rs.iter().filter(|r| r.ok == Some(true)).count();
    let todos: Vec<&Resultado> = relatorio.resultados.iter().collect();
    texto += &match relatorio.parte {
        None => format!(
            "Resultado: {} de {} verificações passaram (sem --parte, nenhuma é exigida).\n",
            passaram(&todos),
            todos.len()
        ),
        Some(p) => format!(
            "Resultado da Parte {p}: {} de {} verificações exigidas passaram: {}.\n",
            passaram(&exigidas),
            exigidas.len(),
            if relatorio.aprovado() { "APROVADO" } else { "REPROVADO" }
        ),
    };
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
        texto += &format!("\n{titulo}:\n");
        let linhas: Vec<&str> = saida.lines().collect();
        let inicio = linhas.len().saturating_sub(LINHAS_DA_SAIDA);
        if inicio > 0 {
            texto += &format!("  │ (… {inicio} linhas antes)\n");
        }
        for linha in &linhas[inicio..] {
            texto += &format!("  │ {}\n", common::texto::texto_seguro(linha.as_bytes()));
        }
        if linhas.is_empty() {
            texto += "  │ (nada)\n";
        }
    }
    texto
}

/// O JSON de uma turma: um objeto por servidor verificado.
pub fn json(relatorio: &Relatorio) -> Value {
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
                "ok": r.ok,
                "detalhe": detalhe,
                "exigida": r.exigida,
                "queda": r.queda.as_ref().map(|q| json!({"como": q.como, "saida": q.saida})),
                "erro_escrito": r.erro_escrito,
            })
        })
        .collect();
    json!({
        "alvo": relatorio.alvo,
        "parte": relatorio.parte,
        "concorrencia": relatorio.classe,
        "aprovado": relatorio.aprovado(),
        "verificacoes": verificacoes,
    })
}

/// O JSON de um alvo que não pôde ser alcançado (o professor vê o motivo
/// na mesma coluna dos outros).
pub fn json_de_erro(alvo: &str, parte: Option<u8>, erro: &str) -> Value {
    let exigidas = parte.map(|p| exigencias(p).0).unwrap_or_default();
    json!({
        "alvo": alvo,
        "parte": parte,
        "concorrencia": null,
        "aprovado": false,
        "erro": erro,
        "verificacoes": IDS.iter().map(|id| json!({
            "id": id, "ok": null, "detalhe": format!("não rodou: {erro}"), "exigida": exigidas.contains(id),
            "queda": null, "erro_escrito": null,
        })).collect::<Vec<_>>(),
    })
}

/// `texto` quebrado em linhas de até [`LARGURA`], com recuo, e `rotulo` no começo.
fn paragrafo(rotulo: &str, texto: &str) -> String {
    quebrar(&format!("{rotulo}{texto}"), "    ")
}

fn quebrar(texto: &str, recuo: &str) -> String {
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
