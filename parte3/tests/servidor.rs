//! Testes da Parte 3 contra o binário de verdade, em TCP de verdade.

use common::teste::{concorrencia, provas, Processo};

#[test]
fn clientes_progridem_juntos_com_threads() {
    let servidor = Processo::servidor("parte3", &["--atraso", "1500"]);
    assert!(concorrencia::atendimento_se_sobrepoe(&servidor), "parte3 atendeu em série");
}

#[test]
fn a_mesma_carga_na_parte2_e_atendida_em_serie() {
    // O contraste: o mesmo roteiro contra o servidor serial não se sobrepõe.
    let servidor = Processo::servidor("parte2", &["--atraso", "1500"]);
    assert!(!concorrencia::atendimento_se_sobrepoe(&servidor), "parte2 deveria ser serial");
}

#[test]
fn linhas_do_log_nomeiam_o_cliente() {
    let servidor = Processo::servidor("parte3", &[]);
    concorrencia::muitos_clientes(servidor.porta, 3, 2);
    servidor.esperar_texto("(ficou", 3);
    for linha in
        servidor.saida().iter().filter(|l| l.contains("Recebido") || l.contains("Conectado"))
    {
        assert!(linha.starts_with('[') && linha[15..].starts_with("[cliente "), "{linha}");
    }
}

#[test]
fn quinhentos_clientes_simultaneos_vinte_ecos_cada() {
    let mut servidor = Processo::servidor("parte3", &[]);
    concorrencia::muitos_clientes(servidor.porta, 500, 20);
    provas::continua_atendendo(&mut servidor);
}

#[test]
fn clientes_hostis_nao_afetam_os_outros() {
    let servidor = Processo::servidor("parte3", &[]);
    concorrencia::hostis_nao_afetam_os_outros(&servidor);
}

#[test]
fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
    provas::mensagem_grande_recebe_erro("parte3", &[]);
}

#[test]
fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
    provas::linha_de_100_mb_nao_ocupa_memoria("parte3", &[]);
}

#[test]
fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
    provas::reset_no_meio_da_linha("parte3", &[]);
}

#[test]
fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
    provas::bytes_hostis_e_pipeline("parte3", &[]);
}
