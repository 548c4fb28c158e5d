//! A porta fixa no código (achada pelo anúncio do servidor) e a turma
//! inteira num comando.

use super::comum::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A porta fixa no código: o anúncio do servidor a revela em segundos, e as
/// verificações rodam nela.
#[test]
fn porta_fixa_e_achada_pelo_anuncio_em_segundos() {
    let Some(p) = python() else { return };
    let pasta = pasta_temporaria("porta-fixa");
    let porta = porta_livre();
    let arquivo = com_porta_fixa(&pasta, "servidor.py", "porta_fixa", porta);
    let comando = format!("{p} {} {{porta}}", citar(&arquivo));
    let (codigo, linhas) = linhas_com_tempo(&["--iniciar", &comando, "--parte", "3"]);
    let (quando, _) = linhas
        .iter()
        .find(|(_, l)| l.contains("Porta fixa no código"))
        .unwrap_or_else(|| panic!("sem a porta fixa:\n{}", texto(&linhas)));
    assert!(*quando < Duration::from_secs(15), "a porta fixa veio em {quando:?}");
    let plano = texto(&linhas).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(plano.contains(&format!("escutou na {porta}, como ele mesmo anunciou")), "{plano}");
    assert!(plano.contains("Parte 3: CUMPRE"), "{plano}");
    assert_eq!(codigo, Some(0));
    let _ = std::fs::remove_dir_all(&pasta);
}

/// A turma: entregas numa pasta (uma subpasta por aluno e um arquivo solto),
/// com uma de porta fixa, uma que nem inicia e uma pasta sem servidor; a
/// tabela (Markdown e CSV) e um boletim por aluno.
#[test]
fn turma_escreve_a_tabela_e_um_boletim_por_aluno() {
    let Some(p) = python() else { return };
    let pasta = pasta_temporaria("turma");
    let entregas = pasta.join("entregas");
    let copiar = |aluno: &str, arquivo: &str| {
        std::fs::create_dir_all(entregas.join(aluno)).unwrap();
        let origem = servidor_python(&format!("tests/servidores/{arquivo}.py"));
        std::fs::copy(origem, entregas.join(aluno).join("servidor.py")).unwrap();
    };
    copiar("aluno-a", "threads_recv1024");
    copiar("aluno-b", "thread_chamada_na_hora");
    copiar("aluno-c", "espera_o_teclado");
    std::fs::create_dir_all(entregas.join("aluno-d")).unwrap();
    com_porta_fixa(&entregas.join("aluno-d"), "servidor.py", "porta_fixa", porta_livre());
    std::fs::create_dir_all(entregas.join("aluno-e")).unwrap();
    std::fs::write(entregas.join("aluno-e").join("leiame.txt"), "sem servidor").unwrap();
    std::fs::copy(servidor_python("disciplina/servidor.py"), entregas.join("aluno-f.py")).unwrap();
    let modelo = format!("{p} {{arquivo}} {{porta}}");
    let inicio = Instant::now();
    let execucao =
        executar_em(&["turma", "entregas", "--iniciar", &modelo, "--parte", "3"], Some(&pasta));
    let tempo = inicio.elapsed();
    assert_eq!(execucao.codigo, Some(0), "{}\n{}", execucao.saida, execucao.erros);
    let saida = pasta.join("entregas-verificar");
    let md = std::fs::read_to_string(saida.join("turma.md")).unwrap();
    let csv = std::fs::read_to_string(saida.join("turma.csv")).unwrap();
    let linha = |aluno: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {aluno} |")))
            .unwrap_or_else(|| panic!("sem {aluno}:\n{md}"))
            .to_string()
    };
    assert!(linha("aluno-a").contains("| cumpre |"), "{md}");
    assert!(
        linha("aluno-b").contains("| não cumpre |")
            && linha("aluno-b").contains("target=atender(conn, addr)"),
        "{md}"
    );
    assert!(
        linha("aluno-c").contains("| não iniciou |") && linha("aluno-c").contains("teclado"),
        "{md}"
    );
    assert!(linha("aluno-d").contains("| cumpre |"), "{md}");
    assert!(
        linha("aluno-e").contains("| não iniciou |") && linha("aluno-e").contains("accept("),
        "{md}"
    );
    assert!(
        linha("aluno-f").contains("| não cumpre |") && linha("aluno-f").contains("serial"),
        "{md}"
    );
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.starts_with("\"aluno\",\"parte\",\"veredito\""), "{csv}");
    // A de porta fixa rodou por último, sozinha.
    let progresso: Vec<&str> = execucao.saida.lines().filter(|l| l.starts_with('[')).collect();
    assert!(progresso.last().is_some_and(|l| l.contains("aluno-d")), "{}", execucao.saida);
    for aluno in ["aluno-a", "aluno-b", "aluno-c", "aluno-d", "aluno-e", "aluno-f"] {
        let json: Value = serde_json::from_str(
            &std::fs::read_to_string(saida.join("boletins").join(format!("{aluno}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(json["atividade"]["parte"], 3, "{aluno}: {json:#}");
        assert!(saida.join("boletins").join(format!("{aluno}.txt")).exists());
    }
    let boletim = std::fs::read_to_string(saida.join("boletins").join("aluno-b.txt")).unwrap();
    assert!(boletim.contains("Serial com threading"), "{boletim}");
    assert!(tempo < Duration::from_secs(180), "a turma levou {tempo:?}");
    let _ = std::fs::remove_dir_all(&pasta);
}
