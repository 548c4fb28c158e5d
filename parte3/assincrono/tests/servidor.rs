//! Testes da Parte 3 com async/await contra o binário de verdade, em TCP
//! de verdade: as mesmas provas do servidor de threads (`parte3/tests`).

ferramentas::provas_da_parte3!("parte3-async");

#[test]
fn linha_sem_fim_recebe_uma_dica_no_log() {
    provas::linha_sem_fim_recebe_uma_dica_no_log("parte3-async");
}
