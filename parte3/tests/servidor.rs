//! Testes da Parte 3 contra os binários de verdade, em TCP de verdade.
//!
//! Os três servidores da Parte 3 (threads, `poll` e async) passam pelas
//! mesmas provas: um protocolo, três modelos de concorrência.

use common::teste::{concorrencia, provas, Processo};

/// As mesmas provas para cada servidor da Parte 3.
macro_rules! provas_da_parte3 {
    ($modulo:ident, $binario:literal) => {
        mod $modulo {
            use super::*;

            #[test]
            fn clientes_progridem_juntos() {
                let servidor = Processo::servidor($binario, &["--atraso", "1500"]);
                assert!(
                    concorrencia::atendimento_se_sobrepoe(&servidor),
                    "{} atendeu em série",
                    $binario
                );
            }

            #[test]
            fn linhas_do_log_nomeiam_o_cliente() {
                let servidor = Processo::servidor($binario, &[]);
                concorrencia::muitos_clientes(servidor.porta, 3, 2);
                servidor.esperar_texto("(ficou", 3);
                for linha in servidor
                    .saida()
                    .iter()
                    .filter(|l| l.contains("Recebido") || l.contains("Conectado"))
                {
                    assert!(
                        linha.starts_with('[') && linha[15..].starts_with("[cliente "),
                        "{linha}"
                    );
                }
            }

            #[test]
            fn quinhentos_clientes_simultaneos_vinte_ecos_cada() {
                let mut servidor = Processo::servidor($binario, &[]);
                concorrencia::muitos_clientes(servidor.porta, 500, 20);
                provas::continua_atendendo(&mut servidor);
            }

            #[test]
            fn mil_clientes_simultaneos_nada_se_perde() {
                let mut servidor = Processo::servidor($binario, &[]);
                concorrencia::muitos_clientes(servidor.porta, 1000, 3);
                provas::continua_atendendo(&mut servidor);
            }

            #[test]
            fn clientes_hostis_nao_afetam_os_outros() {
                let servidor = Processo::servidor($binario, &[]);
                concorrencia::hostis_nao_afetam_os_outros(&servidor);
            }

            #[test]
            fn mensagem_grande_recebe_erro_e_o_proximo_cliente_e_atendido() {
                provas::mensagem_grande_recebe_erro($binario, &[]);
            }

            #[test]
            fn linha_de_100_mb_sem_fim_nao_ocupa_memoria() {
                provas::linha_de_100_mb_nao_ocupa_memoria($binario, &[]);
            }

            #[test]
            fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
                provas::reset_no_meio_da_linha($binario, &[]);
            }

            #[test]
            fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
                provas::bytes_hostis_e_pipeline($binario, &[]);
            }
        }
    };
}

provas_da_parte3!(threads, "parte3");
provas_da_parte3!(poll, "parte3-poll");
provas_da_parte3!(assincrono, "parte3-async");

#[test]
fn a_mesma_carga_na_parte2_e_atendida_em_serie() {
    // O contraste: o mesmo roteiro contra o servidor serial não se sobrepõe.
    let servidor = Processo::servidor("parte2", &["--atraso", "1500"]);
    assert!(!concorrencia::atendimento_se_sobrepoe(&servidor), "parte2 deveria ser serial");
}
