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
}
