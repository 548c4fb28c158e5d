//! Os blocos do `RELATO.md` gerados pelos programas (`cenario`, `escala`),
//! entre marcadores `<!-- NOME -->` e `<!-- /NOME -->`.

use crate::figuras::{Escala, ESCALA_JSON, ESCALA_MD};
use crate::formato::{inteiro, kib};
use crate::medidos::{self, Medido};
use anyhow::{anyhow, bail, Context, Result};
use apoio::servidores::Servidor;
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

/// Quantas conexões abertas tem a comparação (a última linha da escala).
const CONEXOES_DA_COMPARACAO: u32 = 10_000;

/// O bloco das medidas no relato: o custo de cada modelo da Parte 3 com
/// muitas conexões, tirado da última execução completa da escala
/// (`figuras/escala.json`). A vazão fica de fora: nesta máquina
/// compartilhada ela muda de uma execução a outra mais do que de um modelo a
/// outro, e não os ordena; quem a compara, contra um eco de referência e
/// rodada a rodada, é a bancada (`figuras/bancada.md`).
pub fn modelos_da_escala(escala: &Escala) -> Result<String> {
    let mut texto = format!(
        "Tirei os números da última execução completa da escala (`{ESCALA_MD}`), com os \
         servidores sem log (`-q`) e {} conexões abertas, {} delas ativas.\n\n|",
        inteiro(f64::from(CONEXOES_DA_COMPARACAO)),
        escala.ativas,
    );
    let modelos: Vec<&Servidor> = medidos::modelos_da_parte3().collect();
    for servidor in &modelos {
        texto += &format!(" | {} (`{}`)", servidor.modelo, servidor.binario);
    }
    texto += " |\n|---|---:|---:|---:|\n";
    // Cada linha da tabela: o rótulo, depois o número de cada modelo (pelo
    // seu rótulo nas figuras, `parte3 -q`).
    let rotulos: Vec<String> = modelos.iter().map(|s| Medido::sem_log(s).rotulo()).collect();
    let mut linha = |rotulo: &str, numero: &dyn Fn(&str) -> Result<String>| -> Result<()> {
        texto += &format!("| {rotulo}");
        for servidor in &rotulos {
            texto += &format!(" | {}", numero(servidor)?);
        }
        texto += " |\n";
        Ok(())
    };
    let conexao = |servidor: &str| {
        escala.medida(servidor, CONEXOES_DA_COMPARACAO).with_context(|| {
            format!("{ESCALA_JSON} não tem {servidor} com {CONEXOES_DA_COMPARACAO} conexões")
        })
    };
    let falta = |servidor: &str, o_que: &str| anyhow!("{ESCALA_JSON}: {servidor} sem {o_que}");
    linha("threads", &|s| {
        let threads = conexao(s)?.threads.ok_or_else(|| falta(s, "threads"))?;
        Ok(inteiro(threads as f64))
    })?;
    linha("memória residente por conexão (KiB)", &|s| {
        let kib_por_conexao = conexao(s)?.memoria_por_conexao_kib;
        Ok(kib(kib_por_conexao.ok_or_else(|| falta(s, "a memória"))?))
    })?;
    linha("pilha do kernel por conexão (KiB)", &|s| {
        let pilha = conexao(s)?.pilhas_do_kernel_por_conexao_kib;
        Ok(quase_zero(pilha.ok_or_else(|| falta(s, "a pilha do kernel"))?))
    })?;
    Ok(texto)
}

// Os números do relato, sem mais dígitos do que a medida sustenta.

/// KiB como na tabela da escala, e `≈ 0` abaixo de 0,05: um valor que a
/// tabela chama de ruído.
fn quase_zero(kib_por_conexao: f64) -> String {
    if kib_por_conexao < 0.05 {
        "≈ 0".to_string()
    } else {
        kib(kib_por_conexao)
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn numeros_arredondados_como_a_medida_sustenta() {
        assert_eq!(quase_zero(0.01), "≈ 0");
        assert_eq!(quase_zero(16.0), "16,0");
        assert_eq!(kib(0.29), "0,29");
    }
}
