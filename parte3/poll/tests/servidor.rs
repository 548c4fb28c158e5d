//! Testes da Parte 3 com `poll` contra o binário de verdade, em TCP de
//! verdade: as mesmas provas do servidor de threads (`parte3/tests`).

ferramentas::provas_da_parte3!("parte3-poll");
