//! O `nagle` mede os cinco jeitos e imprime uma linha para cada um. Os
//! tempos em si não são conferidos (dependem do sistema: é uma medida, não
//! uma prova); o relato cita os de uma execução.

use std::process::Command;

#[test]
fn nagle_mede_os_cinco_jeitos() {
    let saida = Command::new(env!("CARGO_BIN_EXE_nagle"))
        .args(["--mensagens", "5"])
        .output()
        .expect("executar o nagle");
    let texto = String::from_utf8_lossy(&saida.stdout);
    assert!(saida.status.success(), "{texto}{}", String::from_utf8_lossy(&saida.stderr));
    for jeito in [
        "resposta em duas escritas, Nagle ligado",
        "resposta em duas escritas, TCP_NODELAY",
        "resposta numa escrita, Nagle ligado",
        "duas mensagens juntas, Nagle ligado",
        "duas mensagens juntas, TCP_NODELAY",
    ] {
        let linha = texto.lines().find(|l| l.contains(jeito)).unwrap_or_else(|| panic!("{texto}"));
        assert!(linha.contains("mediana") && linha.contains(" ms"), "{linha}");
    }
}
