//! Testes da Parte 3 com `poll` contra o binário de verdade, em TCP de
//! verdade: as mesmas provas do servidor de threads (`parte3/tests`).

apoio::provas_da_parte3!("parte3-poll");

/// A regra dos buffers: 3.000 conexões paradas, menos de 1 KiB cada (`escala`: 0,4 KiB).
#[cfg(target_os = "linux")]
#[test]
fn conexoes_paradas_custam_pouca_memoria() {
    provas::conexoes_paradas_custam_pouco("parte3-poll", 3000, 1.0);
}

/// Um terminal travado não para o laço: o log descarta linhas e conta, e os clientes seguem
/// atendidos.
#[test]
fn terminal_travado_nao_para_o_laco() {
    provas::terminal_travado_nao_para_o_laco("parte3-poll");
}
