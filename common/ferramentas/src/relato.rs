//! Os blocos do `RELATO.md` gerados pelos programas (`cenario`, `bancada`),
//! entre marcadores `<!-- NOME -->` e `<!-- /NOME -->`.

use crate::figuras::{Bancada, Escala, BANCADA_JSON, BANCADA_MD, ESCALA_JSON, ESCALA_MD};
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

/// O bloco das medidas no relato: a comparação dos três modelos da Parte 3,
/// tirada dos números que a bancada (`figuras/bancada.json`) e a escala
/// (`figuras/escala.json`) gravam nas suas últimas execuções completas, ao
/// lado das tabelas que o texto cita. As metas e as razões contra os ecos
/// de referência ficam lá: a atividade não as pede.
pub fn modelos_da_bancada(bancada: &Bancada, escala: &Escala) -> Result<String> {
    let mut texto = format!(
        "Tirei os números, arredondados, das últimas execuções completas com os servidores \
         sem log (`-q`): as três primeiras linhas, da bancada (`{BANCADA_MD}`: cada \
         cliente espera a resposta antes de enviar a próxima mensagem, de 32 bytes); as \
         outras, da escala (`{ESCALA_MD}`), com {} conexões abertas, {} delas \
         ativas.\n\n|",
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
    let vai_e_volta = |servidor: &str, clientes: u32| {
        bancada
            .vai_e_volta(servidor, clientes)
            .with_context(|| format!("{BANCADA_JSON} não tem {servidor} com {clientes} clientes"))
    };
    let conexao = |servidor: &str| {
        escala.medida(servidor, CONEXOES_DA_COMPARACAO).with_context(|| {
            format!("{ESCALA_JSON} não tem {servidor} com {CONEXOES_DA_COMPARACAO} conexões")
        })
    };
    let falta = |servidor: &str, o_que: &str| anyhow!("{ESCALA_JSON}: {servidor} sem {o_que}");
    linha("mensagens/s, 10 clientes", &|s| Ok(milhares(vai_e_volta(s, 10)?.mensagens_por_s)))?;
    linha("mensagens/s, 1.000 clientes", &|s| Ok(milhares(vai_e_volta(s, 1000)?.mensagens_por_s)))?;
    linha("latência p99 com 1.000 clientes", &|s| Ok(ms(vai_e_volta(s, 1000)?.p99_us)))?;
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

/// Mensagens por segundo em milhares: `52502` vira `53 mil`.
fn milhares(por_s: f64) -> String {
    format!("{:.0} mil", por_s / 1000.0)
}

/// Microssegundos em milissegundos inteiros: `35455` vira `35 ms`.
fn ms(us: f64) -> String {
    format!("{:.0} ms", us / 1000.0)
}

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
        assert_eq!(milhares(52_502.0), "53 mil");
        assert_eq!(milhares(32_368.0), "32 mil");
        assert_eq!(ms(35_455.0), "35 ms");
        assert_eq!(quase_zero(0.01), "≈ 0");
        assert_eq!(quase_zero(16.0), "16,0");
        assert_eq!(kib(0.29), "0,29");
    }
}
