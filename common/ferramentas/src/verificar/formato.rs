//! Como números, tempos e bytes aparecem no boletim: vírgula decimal,
//! ponto de milhar, bytes de rede escapados e resumidos.

use std::time::Duration;

/// Bytes para o boletim: acentos visíveis, controles e bytes inválidos
/// escapados (`\n`, `\xff`); o meio de uma sequência longa é resumido.
pub fn mostrar(bytes: &[u8]) -> String {
    const INICIO: usize = 60;
    const FIM: usize = 20;
    if bytes.len() <= INICIO + FIM + 20 {
        return common::texto::texto_seguro(bytes).into_owned();
    }
    format!(
        "{}… ({} bytes) …{}",
        common::texto::texto_seguro(&bytes[..INICIO]),
        formatar_milhar(bytes.len()),
        common::texto::texto_seguro(&bytes[bytes.len() - FIM..])
    )
}

/// Quantas linhas do fim da saída do servidor o boletim mostra.
const LINHAS_DA_SAIDA: usize = 40;
/// Uma linha da saída do servidor com mais caracteres que isto aparece
/// resumida: um log que ecoa uma mensagem de 100.000 bytes não inunda o
/// terminal (uma linha de traceback, mesmo com um caminho longo, cabe).
const LINHA_LONGA: usize = 200;

/// A saída do servidor para o boletim, com a margem `  │ `: as últimas
/// [`LINHAS_DA_SAIDA`] linhas, cada uma escapada e, se longa, resumida como
/// [`mostrar`] resume uma mensagem: o começo, o tamanho e o fim.
pub fn saida_do_servidor(saida: &str) -> String {
    let linhas: Vec<&str> = saida.lines().collect();
    let inicio = linhas.len().saturating_sub(LINHAS_DA_SAIDA);
    let mut texto = String::new();
    if inicio > 0 {
        texto += &format!("  │ (… {} linhas antes)\n", formatar_milhar(inicio));
    }
    for linha in &linhas[inicio..] {
        let n = linha.chars().count();
        let linha = if n <= LINHA_LONGA {
            common::texto::texto_seguro(linha.as_bytes()).into_owned()
        } else {
            let comeco: String = linha.chars().take(100).collect();
            let fim: String = linha.chars().skip(n - 20).collect();
            format!(
                "{}… ({} bytes) …{}",
                common::texto::texto_seguro(comeco.as_bytes()),
                formatar_milhar(linha.len()),
                common::texto::texto_seguro(fim.as_bytes())
            )
        };
        texto += &format!("  │ {linha}\n");
    }
    if linhas.is_empty() {
        texto += "  │ (nada)\n";
    }
    texto
}

/// `100000` como `100.000` (um tamanho em bytes ou uma contagem).
pub fn formatar_milhar(n: usize) -> String {
    common::texto::milhares(n as u64)
}

/// Uma duração em segundos com vírgula decimal: `2,0 s`, `0,35 s`.
pub fn segundos(d: Duration) -> String {
    let s = d.as_secs_f64();
    let texto = if s < 1.0 { format!("{s:.2} s") } else { format!("{s:.1} s") };
    texto.replace('.', ",")
}

/// Uma duração curta para o boletim (`0,4 ms`, `12 ms`, `1,20 s`).
pub fn duracao(d: Duration) -> String {
    common::tempo::duracao_legivel(d)
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn numeros_e_tempos_em_portugues() {
        assert_eq!(formatar_milhar(100_000), "100.000");
        assert_eq!(segundos(Duration::from_millis(350)), "0,35 s");
        assert_eq!(segundos(Duration::from_millis(2_040)), "2,0 s");
    }

    #[test]
    fn bytes_escapados_e_o_meio_de_uma_linha_longa_resumido() {
        assert_eq!(mostrar("ação".as_bytes()), "ação");
        assert_eq!(mostrar(b"a\xffb"), "a\\xffb");
        let longa = vec![b'x'; 1_000];
        let texto = mostrar(&longa);
        assert!(texto.contains("… (1.000 bytes) …"), "{texto}");
        assert!(texto.len() < 120, "{texto}");
    }

    #[test]
    fn saida_do_servidor_tem_linhas_e_tamanho_limitados() {
        // A linha de 65.516 "x" do exercício 1 (um log que ecoa a mensagem).
        let log = format!("Recebido: {}\nCliente desconectou; fim\n", "x".repeat(65_506));
        let texto = saida_do_servidor(&log);
        assert!(texto.contains("… (65.516 bytes) …"), "{texto}");
        assert!(texto.lines().all(|l| l.chars().count() < 150), "{texto}");
        assert!(texto.ends_with("  │ Cliente desconectou; fim\n"), "{texto}");
        // Acentos no corte não viram bytes escapados; 100 linhas viram 40.
        let texto = saida_do_servidor(&"é".repeat(300));
        assert!(!texto.contains("\\x"), "{texto}");
        let cem: String = (1..=100).map(|i| format!("linha {i}\n")).collect();
        let texto = saida_do_servidor(&cem);
        assert_eq!(texto.lines().count(), 41, "{texto}");
        assert!(texto.starts_with("  │ (… 60 linhas antes)\n  │ linha 61\n"), "{texto}");
        assert_eq!(saida_do_servidor(""), "  │ (nada)\n");
    }
}
