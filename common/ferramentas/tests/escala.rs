//! A escala em miniatura: dois pontos contra um servidor, só para conferir
//! que a tabela e o gráfico saem com campos sãos (nenhuma meta de tempo).

#[cfg(target_os = "linux")]
#[test]
fn escala_em_miniatura_escreve_tabela_e_grafico() {
    use apoio::binario;
    use std::process::Command;
    for nome in ["parte3-poll", "carga"] {
        binario(nome);
    }
    let pasta = std::env::temp_dir().join(format!("escala-teste-{}", std::process::id()));
    let saida = Command::new(env!("CARGO_BIN_EXE_escala"))
        .args(["--rapido", "--conexoes", "10,100", "--servidores", "parte3-poll"])
        .args(["--duracao", "0,3", "--saida"])
        .arg(&pasta)
        .env_remove("CARGO")
        .output()
        .expect("executar a escala");
    assert!(saida.status.success(), "{}", String::from_utf8_lossy(&saida.stderr));
    let tabela = std::fs::read_to_string(pasta.join("escala.md")).unwrap();
    for n in ["10", "100"] {
        // servidor, conexões, atendidas (todas), msg/s, p99, RSS, por conexão,
        // threads (o parte3-poll tem uma só para atender), ... erros (0).
        let linha = tabela
            .lines()
            .find(|l| l.starts_with(&format!("| parte3-poll -q | {n} | {n} |")))
            .unwrap_or_else(|| panic!("falta a linha de {n} conexões em\n{tabela}"));
        let campos: Vec<&str> = linha.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(campos.len(), 12, "{linha}");
        let numero = |c: &str| c.replace('.', "").replace(',', ".").parse::<f64>();
        assert!(numero(campos[3]).unwrap() > 0.0, "msg/s: {linha}");
        assert!(numero(campos[5]).unwrap() > 0.0, "memória residente: {linha}");
        assert!(numero(campos[6]).is_ok(), "memória por conexão: {linha}");
        assert!(numero(campos[7]).unwrap() <= 2.0, "threads: {linha}");
        assert_eq!(campos[11], "0", "erros: {linha}");
    }
    assert!(tabela.contains("## Por conexão, com 100 conexões abertas"), "{tabela}");
    let svg = std::fs::read_to_string(pasta.join("escala.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("parte3-poll -q"), "{svg}");
    assert!(svg.contains("conexões abertas (escala logarítmica)"));
    // Os mesmos números em JSON.
    let json: ferramentas::figuras::Escala =
        ferramentas::figuras::ler(&pasta.join("escala.json")).expect("escala.json");
    assert_eq!(json.pontos.len(), 2, "{json:?}");
    let medida = json.medida("parte3-poll -q", 100).expect("o ponto de 100 conexões");
    assert!(medida.mensagens_por_s > 0.0 && medida.atendidas == 100, "{medida:?}");
    let _ = std::fs::remove_dir_all(&pasta);
}

#[test]
fn escala_so_grava_numa_execucao_completa() {
    let saida = std::process::Command::new(env!("CARGO_BIN_EXE_escala"))
        .args(["--rapido", "--gravar"])
        .env_remove("CARGO")
        .output()
        .expect("executar a escala");
    assert_eq!(saida.status.code(), Some(1));
    let erros = String::from_utf8_lossy(&saida.stderr);
    assert!(
        erros.contains("--gravar só vale numa execução completa")
            || erros.contains("não disponível neste sistema"),
        "{erros}"
    );
}
