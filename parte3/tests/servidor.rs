//! Testes da Parte 3 (uma thread por cliente) contra o binário de verdade,
//! em TCP de verdade. As mesmas provas rodam contra os outros dois caminhos
//! da Parte 3 (`parte3/poll` e `parte3/assincrono`).

apoio::provas_da_parte3!("parte3");

#[test]
fn a_mesma_carga_na_parte2_e_atendida_em_serie() {
    // O contraste: o mesmo roteiro contra o servidor serial não se sobrepõe.
    let servidor = iniciar_servidor("parte2", &["--atraso", "1500"]);
    assert!(!concorrencia::atendimento_se_sobrepoe(&servidor), "parte2 deveria ser serial");
}
