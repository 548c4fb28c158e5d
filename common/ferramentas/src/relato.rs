//! Os blocos do `RELATO.md` gerados pelos programas (`cenario`, `bancada`),
//! entre marcadores `<!-- NOME -->` e `<!-- /NOME -->`.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Troca o conteúdo entre `<!-- nome -->` e `<!-- /nome -->`.
pub fn substituir_bloco(documento: &str, nome: &str, conteudo: &str) -> Result<String> {
    let abre = format!("<!-- {nome} -->");
    let fecha = format!("<!-- /{nome} -->");
    let (Some(i), Some(f)) = (documento.find(&abre), documento.find(&fecha)) else {
        bail!("o relato não tem os marcadores {abre} e {fecha}");
    };
    if f < i {
        bail!("marcadores de {nome} fora de ordem");
    }
    Ok(format!("{}{abre}\n{conteudo}{}", &documento[..i], &documento[f..]))
}

/// Lê `arquivo`, troca os blocos `(nome, conteúdo)` e grava.
pub fn atualizar(arquivo: &Path, blocos: &[(String, String)]) -> Result<()> {
    let mut documento =
        std::fs::read_to_string(arquivo).with_context(|| format!("ler {}", arquivo.display()))?;
    for (nome, conteudo) in blocos {
        documento = substituir_bloco(&documento, nome, conteudo)?;
    }
    std::fs::write(arquivo, documento).with_context(|| format!("escrever {}", arquivo.display()))
}

/// Onde a bancada grava a tabela completa que o relato resume.
pub const TABELA_DA_BANCADA: &str = "figuras/bancada.md";
/// Onde a escala grava a sua tabela (o custo de uma conexão aberta).
pub const TABELA_DA_ESCALA: &str = "figuras/escala.md";

/// Os três modelos da Parte 3, na ordem das colunas do relato.
const MODELOS: [(&str, &str); 3] = [
    ("threads (`parte3`)", "parte3 -q"),
    ("laço de eventos (`parte3-poll`)", "parte3-poll -q"),
    ("async (`parte3-async`)", "parte3-async -q"),
];

/// As células de uma linha de tabela Markdown (`| a | b |` -> `["a", "b"]`).
fn celulas(linha: &str) -> Vec<&str> {
    linha.trim().trim_matches('|').split('|').map(str::trim).collect()
}

/// A coluna `coluna` da primeira linha da seção `secao` (o começo do seu
/// título `## `) de `tabela` (o arquivo `nome`) cujas primeiras células são
/// `chave` (ex.: `["parte3 -q", "10"]`).
fn celula(tabela: &str, nome: &str, secao: &str, chave: &[&str], coluna: usize) -> Result<String> {
    let inicio = tabela
        .find(&format!("\n## {secao}"))
        .with_context(|| format!("{nome} não tem a seção {secao:?}"))?;
    let trecho = &tabela[inicio + 1..];
    let trecho = &trecho[..trecho.find("\n## ").unwrap_or(trecho.len())];
    trecho
        .lines()
        .map(celulas)
        .find(|c| c.len() > coluna && c[..chave.len()] == *chave)
        .map(|c| c[coluna].to_string())
        .with_context(|| format!("{nome} não tem a linha {chave:?} na seção {secao:?}"))
}

/// O bloco das medidas no relato: a comparação dos três modelos da Parte 3,
/// tirada das tabelas completas que a bancada (`figuras/bancada.md`) e a
/// escala (`figuras/escala.md`) gravam nas suas últimas execuções
/// completas. As metas e as razões contra os ecos de referência ficam lá:
/// a atividade não as pede.
pub fn modelos_da_bancada(bancada: &str, escala: &str) -> Result<String> {
    let mut texto = format!(
        "Tirei os números, arredondados, das últimas execuções completas com os servidores \
         sem log (`-q`): as três primeiras linhas, da bancada (`{TABELA_DA_BANCADA}`: cada \
         cliente espera a resposta antes de enviar a próxima mensagem, de 32 bytes); as \
         outras, da escala (`{TABELA_DA_ESCALA}`), com 10.000 conexões abertas, 10 delas \
         ativas.\n\n|"
    );
    for (titulo, _) in MODELOS {
        texto += &format!(" | {titulo}");
    }
    texto += " |\n|---|---:|---:|---:|\n";
    const VAI_E_VOLTA: &str = "Vazão e latência, uma mensagem por vez";
    const POR_CONEXAO: &str = "Por conexão, com 10.000 conexões abertas";
    use Forma::*;
    let linhas: [Linha; 6] = [
        ("mensagens/s, 10 clientes", TABELA_DA_BANCADA, VAI_E_VOLTA, &["10"], 3, Milhares),
        ("mensagens/s, 1.000 clientes", TABELA_DA_BANCADA, VAI_E_VOLTA, &["1.000"], 3, Milhares),
        ("latência p99 com 1.000 clientes", TABELA_DA_BANCADA, VAI_E_VOLTA, &["1.000"], 4, Ms),
        ("threads", TABELA_DA_ESCALA, POR_CONEXAO, &[], 3, Exata),
        ("memória residente por conexão (KiB)", TABELA_DA_ESCALA, POR_CONEXAO, &[], 1, Exata),
        ("pilha do kernel por conexão (KiB)", TABELA_DA_ESCALA, POR_CONEXAO, &[], 2, QuaseZero),
    ];
    for (rotulo, nome, secao, clientes, coluna, forma) in linhas {
        let tabela = if nome == TABELA_DA_BANCADA { bancada } else { escala };
        texto += &format!("| {rotulo}");
        for (_, servidor) in MODELOS {
            let chave: Vec<&str> =
                std::iter::once(servidor).chain(clientes.iter().copied()).collect();
            let valor = celula(tabela, nome, secao, &chave, coluna)?;
            texto += &format!(" | {}", forma.mostrar(&valor)?);
        }
        texto += " |\n";
    }
    Ok(texto)
}

/// Uma linha da comparação: rótulo, tabela, seção, o que vem depois do
/// servidor na chave (os clientes), coluna e como mostrar o número.
type Linha = (&'static str, &'static str, &'static str, &'static [&'static str], usize, Forma);

/// Como o relato mostra um número das tabelas: sem mais dígitos do que a
/// medida sustenta.
#[derive(Clone, Copy)]
enum Forma {
    /// Como está na tabela.
    Exata,
    /// Mensagens por segundo em milhares: `52.502` vira `53 mil`.
    Milhares,
    /// Microssegundos em milissegundos inteiros: `35.455` vira `35 ms`.
    Ms,
    /// Abaixo de 0,05, um valor que a tabela da escala chama de ruído: `≈ 0`.
    QuaseZero,
}

impl Forma {
    fn mostrar(self, valor: &str) -> Result<String> {
        let numero = || -> Result<f64> {
            valor
                .replace('.', "")
                .replace(',', ".")
                .parse()
                .with_context(|| format!("{valor:?} não é um número"))
        };
        Ok(match self {
            Forma::Exata => valor.to_string(),
            Forma::Milhares => format!("{:.0} mil", numero()? / 1000.0),
            Forma::Ms => format!("{:.0} ms", numero()? / 1000.0),
            Forma::QuaseZero if numero()? < 0.05 => "≈ 0".to_string(),
            Forma::QuaseZero => valor.to_string(),
        })
    }
}

#[cfg(test)]
mod testes {
    use super::Forma;

    #[test]
    fn numeros_arredondados_como_a_medida_sustenta() {
        assert_eq!(Forma::Milhares.mostrar("52.502").unwrap(), "53 mil");
        assert_eq!(Forma::Milhares.mostrar("32.368").unwrap(), "32 mil");
        assert_eq!(Forma::Ms.mostrar("35.455").unwrap(), "35 ms");
        assert_eq!(Forma::QuaseZero.mostrar("0,01").unwrap(), "≈ 0");
        assert_eq!(Forma::QuaseZero.mostrar("16,0").unwrap(), "16,0");
        assert_eq!(Forma::Exata.mostrar("0,29").unwrap(), "0,29");
        assert!(Forma::Ms.mostrar("—").is_err());
    }
}
