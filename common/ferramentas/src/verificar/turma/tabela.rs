//! A tabela da turma (Markdown e CSV) e a linha de progresso de cada
//! aluno: o veredito, as contagens dos dois níveis e o principal problema
//! numa frase.

use super::{Linha, Turma};
use crate::verificar::{diagnostico, Classe, Nivel, Relatorio};
use std::time::Duration;

/// O veredito de uma linha, em palavras.
fn veredito(linha: &Linha) -> &'static str {
    match (&linha.relatorio, linha.relatorio.as_ref().and_then(Relatorio::cumpre)) {
        (None, _) => "não iniciou",
        (Some(_), Some(true)) => "cumpre",
        (Some(_), Some(false)) => "não cumpre",
        (Some(_), None) => "sem --parte",
    }
}

/// O principal problema, numa frase: um erro típico que explica a falha,
/// senão a primeira verificação da atividade que falhou; e os avisos de
/// além da atividade, agrupados pelo erro que os causa.
fn principal_problema(linha: &Linha) -> String {
    let Some(r) = &linha.relatorio else {
        let erro = linha.erro.clone().unwrap_or_default();
        if let Some(d) = diagnostico::da_saida(&erro) {
            return frase_do_diagnostico(d.id, None);
        }
        return erro.lines().next().unwrap_or_default().chars().take(120).collect();
    };
    let falhou = |id: &str| r.resultados.iter().any(|x| x.id == id && x.ok == Some(false));
    let mut frases = Vec::new();
    // As causas que explicam uma falha do que a atividade pede.
    const CAUSAS: [&str; 4] = ["teclado", "thread_chamada", "prefixo", "endereco_em_uso"];
    let atividade: Vec<&str> = r
        .resultados
        .iter()
        .filter(|x| x.nivel == Nivel::Atividade && x.ok == Some(false))
        .map(|x| x.id)
        .collect();
    if let Some(d) = CAUSAS.iter().find_map(|c| r.diagnosticos.iter().find(|d| d.id == *c)) {
        frases.push(frase_do_diagnostico(d.id, r.porta_fixa));
    } else if atividade.contains(&"concorrencia") && r.classe == Some(Classe::Serial) {
        frases.push("serial: atende um cliente por vez".to_string());
    } else if let Some(primeira) = atividade.first() {
        frases.push(format!("{primeira}: {}", crate::verificar::explicacoes::titulo(primeira)));
    }
    if r.porta_fixa.is_some() {
        frases.push(frase_do_diagnostico("porta_fixa", r.porta_fixa));
    }
    // Além da atividade: um aviso por erro, não por verificação.
    let mut alem = Vec::new();
    if ["mensagem_em_pedacos", "duas_mensagens_juntas", "mensagem_grande"]
        .iter()
        .any(|id| falhou(id))
    {
        alem.push("trata cada recv() como uma mensagem");
    }
    if r.diagnosticos.iter().any(|d| d.id == "decodifica_pedacos") {
        alem.push("decodifica cada recv()");
    } else if falhou("bytes_invalidos") || falhou("caractere_na_fronteira") {
        alem.push("bytes inválidos ou um caractere partido");
    }
    if falhou("cliente_que_nao_le") {
        alem.push("um cliente que não lê trava os outros");
    }
    if falhou("cliente_que_inunda") {
        alem.push("um cliente que inunda cala os outros");
    }
    if !alem.is_empty() {
        frases.push(format!("além: {}", alem.join("; ")));
    }
    if frases.is_empty() {
        return "—".to_string();
    }
    frases.join("; ")
}

fn frase_do_diagnostico(id: &str, porta: Option<u16>) -> String {
    match id {
        "teclado" => "espera o teclado: input() sem teclado lança EOFError".into(),
        "thread_chamada" => "serial: target=atender(conn, addr) roda na thread principal".into(),
        "prefixo" => "responde sem o prefixo \"Echo: \"".into(),
        "endereco_em_uso" => "Address already in use (porta ocupada; sem SO_REUSEADDR?)".into(),
        "decodifica_pedacos" => "decodifica cada recv(): um \"é\" partido derruba a conexão".into(),
        "porta_fixa" => format!("porta fixa no código ({})", porta.unwrap_or_default()),
        outro => outro.to_string(),
    }
}

pub(super) fn resumo(linha: &Linha, parte: Option<u8>) -> String {
    let mut texto = veredito(linha).to_string();
    if let (Some(p), Some(_)) = (parte, &linha.relatorio) {
        texto = format!("Parte {p}: {texto}");
    }
    let problema = principal_problema(linha);
    if problema != "—" {
        texto += &format!("; {problema}");
    }
    format!("{texto} ({})", crate::verificar::formato::segundos(linha.tempo))
}

/// As colunas de uma linha: aluno, parte, veredito, atividade, além,
/// concorrência, principal problema, tempo.
fn colunas(linha: &Linha, parte: Option<u8>) -> [String; 8] {
    let contagem = |nivel| {
        linha.relatorio.as_ref().map(|r| {
            let (a, de) = r.contagem(nivel);
            format!("{a} de {de}")
        })
    };
    let classe = linha.relatorio.as_ref().and_then(|r| r.classe).map(|c| c.nome()).unwrap_or("—");
    [
        linha.nome.clone(),
        parte.map(|p| p.to_string()).unwrap_or("—".into()),
        veredito(linha).to_string(),
        contagem(Nivel::Atividade).unwrap_or("—".into()),
        contagem(Nivel::Alem).unwrap_or("—".into()),
        classe.to_string(),
        principal_problema(linha),
        crate::verificar::formato::segundos(linha.tempo),
    ]
}

const CABECALHO: [&str; 8] = [
    "aluno",
    "parte",
    "veredito",
    "atividade",
    "além",
    "concorrência",
    "principal problema",
    "tempo",
];

pub(super) fn tabela_markdown(linhas: &[Linha], turma: &Turma, tempo: Duration) -> String {
    let mut texto = format!(
        "# Turma: {}\n\nComando: `{}`; {}; {} entregas em {}. Os boletins completos estão em \
         `boletins/`.\n\n",
        turma.pasta.display(),
        turma.comando,
        turma.parte.map(|p| format!("Parte {p}")).unwrap_or("sem --parte".into()),
        linhas.len(),
        crate::verificar::formato::segundos(tempo)
    );
    texto += &format!("| {} |\n", CABECALHO.join(" | "));
    texto += &format!("|{}\n", "---|".repeat(CABECALHO.len()));
    for linha in linhas {
        let celulas: Vec<String> =
            colunas(linha, turma.parte).iter().map(|c| c.replace('|', "\\|")).collect();
        texto += &format!("| {} |\n", celulas.join(" | "));
    }
    texto
}

pub(super) fn tabela_csv(linhas: &[Linha], parte: Option<u8>) -> String {
    let campo = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let mut texto = CABECALHO.iter().map(|c| campo(c)).collect::<Vec<_>>().join(",") + "\n";
    for linha in linhas {
        texto +=
            &(colunas(linha, parte).iter().map(|c| campo(c)).collect::<Vec<_>>().join(",") + "\n");
    }
    texto
}

#[cfg(test)]
mod testes {
    use super::*;
    use crate::verificar::exemplo::{relatorio, resultado};
    use std::path::PathBuf;

    fn linha(nome: &str, relatorio: Option<Relatorio>, erro: Option<&str>) -> Linha {
        Linha {
            nome: nome.into(),
            relatorio,
            erro: erro.map(String::from),
            tempo: Duration::from_millis(8_700),
        }
    }

    #[test]
    fn quem_nem_iniciou_ganha_a_causa_da_saida() {
        let teclado = linha("c", None, Some("o comando terminou\nEOFError: EOF when reading"));
        assert_eq!(principal_problema(&teclado), frase_do_diagnostico("teclado", None));
        assert_eq!(veredito(&teclado), "não iniciou");
        let outro = linha("e", None, Some("nenhum arquivo .py com accept( nesta pasta"));
        assert_eq!(principal_problema(&outro), "nenhum arquivo .py com accept( nesta pasta");
    }

    #[test]
    fn serial_na_parte_3_e_os_avisos_de_alem_agrupados_pelo_erro() {
        let mut r = relatorio(
            Some(3),
            vec![
                resultado("concorrencia", Some(false), "serial: a parte pede um concorrente"),
                resultado("mensagem_em_pedacos", Some(false), ""),
                resultado("duas_mensagens_juntas", Some(false), ""),
                resultado("bytes_invalidos", Some(false), ""),
            ],
        );
        r.classe = Some(Classe::Serial);
        let l = linha("f", Some(r), None);
        assert_eq!(veredito(&l), "não cumpre");
        assert_eq!(
            principal_problema(&l),
            "serial: atende um cliente por vez; além: trata cada recv() como uma mensagem; \
             bytes inválidos ou um caractere partido"
        );
        assert_eq!(
            resumo(&l, Some(3)),
            format!("Parte 3: não cumpre; {} (8,7 s)", principal_problema(&l))
        );
    }

    #[test]
    fn a_tabela_escapa_a_barra_e_as_aspas() {
        let l = linha("a|b", None, Some("disse \"oi\""));
        let turma = Turma {
            pasta: PathBuf::from("entregas"),
            comando: "python3 {arquivo} {porta}".into(),
            parte: Some(3),
            host: "localhost".into(),
            simultaneas: 3,
            saida: PathBuf::from("entregas-verificar"),
            limite: Duration::from_secs(150),
        };
        let md = tabela_markdown(std::slice::from_ref(&l), &turma, Duration::from_secs(99));
        assert!(
            md.contains("| a\\|b | 3 | não iniciou | — | — | — | disse \"oi\" | 8,7 s |"),
            "{md}"
        );
        let csv = tabela_csv(&[l], Some(3));
        assert_eq!(
            csv.lines().nth(1),
            Some("\"a|b\",\"3\",\"não iniciou\",\"—\",\"—\",\"—\",\"disse \"\"oi\"\"\",\"8,7 s\"")
        );
    }
}
