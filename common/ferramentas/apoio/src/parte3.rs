//! As mesmas provas para cada servidor da Parte 3 (threads, `poll` e
//! async): um protocolo, três modelos de concorrência. Cada pacote chama
//! `apoio::provas_da_parte3!("nome-do-binario");` nos seus testes.

#[macro_export]
macro_rules! provas_da_parte3 {
    ($binario:literal) => {
        use $crate::{concorrencia, iniciar_servidor, provas};

        #[test]
        fn clientes_progridem_juntos() {
            let servidor = iniciar_servidor($binario, &["--atraso", "1500"]);
            assert!(
                concorrencia::atendimento_se_sobrepoe(&servidor),
                "{} atendeu em série",
                $binario
            );
        }

        #[test]
        fn linhas_do_log_nomeiam_o_cliente() {
            let servidor = iniciar_servidor($binario, &[]);
            concorrencia::muitos_clientes(servidor.porta, 3, 2);
            servidor.esperar_texto($crate::frases::ATENDIDO_POR, 3);
            for linha in servidor.saida().iter().filter(|l| {
                l.contains($crate::frases::RECEBIDO) || l.contains($crate::frases::CONECTADO)
            }) {
                let sem_carimbo = common::tempo::sem_carimbo(linha);
                assert!(sem_carimbo != linha && sem_carimbo.starts_with("[cliente "), "{linha}");
            }
        }

        #[test]
        fn silencioso_omite_as_linhas_por_mensagem() {
            let servidor = iniciar_servidor($binario, &["-q"]);
            concorrencia::muitos_clientes(servidor.porta, 1, 3);
            servidor.esperar_texto("3 mensagens)", 1);
            assert!(servidor.saida().iter().all(|l| !l.contains($crate::frases::RECEBIDO)));
        }

        // Com centenas de connect() ao mesmo tempo, a fila do listen() de 128
        // transbordaria: no Linux o SYN excedente espera 1 s para voltar, e
        // no Windows a conexão é recusada. O teste é sobre atender muitos
        // clientes, não sobre a fila: ela ganha espaço para todos.
        #[test]
        fn quinhentos_clientes_simultaneos_vinte_ecos_cada() {
            let mut servidor = iniciar_servidor($binario, &["--backlog", "1024"]);
            concorrencia::muitos_clientes(servidor.porta, 500, 20);
            provas::continua_atendendo(&mut servidor);
        }

        #[test]
        fn mil_clientes_simultaneos_nada_se_perde() {
            let mut servidor = iniciar_servidor($binario, &["--backlog", "1024"]);
            concorrencia::muitos_clientes(servidor.porta, 1000, 3);
            provas::continua_atendendo(&mut servidor);
        }

        #[test]
        fn clientes_hostis_nao_afetam_os_outros() {
            let servidor = iniciar_servidor($binario, &[]);
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

        #[cfg(target_os = "linux")]
        #[test]
        fn terminal_travado_nao_faz_a_memoria_crescer() {
            provas::terminal_travado_nao_faz_a_memoria_crescer($binario);
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn inundacao_nao_segura_os_outros_silencioso() {
            provas::inundacao_nao_segura_os_outros($binario, &["-q"]);
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn inundacao_nao_segura_os_outros_com_log() {
            provas::inundacao_nao_segura_os_outros($binario, &[]);
        }

        #[test]
        fn reset_no_meio_da_linha_nao_derruba_o_servidor() {
            provas::reset_no_meio_da_linha($binario, &[]);
        }

        #[test]
        fn resposta_nao_espera_a_mensagem_seguinte() {
            provas::resposta_nao_espera_a_mensagem_seguinte($binario, &["--atraso", "1000"]);
        }

        #[test]
        fn controles_escapados_no_log_bytes_invalidos_intactos_e_pipeline() {
            provas::bytes_hostis_e_pipeline($binario, &[]);
        }

        // Linhas numa escrita só e logo o fim do fluxo: todas as respostas e o
        // fechamento. O laço de eventos limita a vez de cada conexão em 128
        // linhas de log: com um múltiplo disso, o fim já lido não pode ficar
        // esquecido (ficou: o servidor em CLOSE-WAIT, sem a última linha).
        #[test]
        fn pipeline_seguido_do_fim_recebe_tudo_e_o_fechamento() {
            let servidor = iniciar_servidor($binario, &[]);
            for n in [1usize, 127, 128, 129, 256, 300] {
                let mut cliente = $crate::Conectado::novo(servidor.porta);
                let linhas: Vec<u8> = (0..n).flat_map(|i| format!("m{i}\n").into_bytes()).collect();
                cliente.enviar(&linhas).expect("enviar");
                cliente.fechar_escrita();
                let respostas = cliente.ler_ate_o_fim().expect("as respostas e o fechamento");
                assert_eq!(respostas.len(), n, "{}: {n} linhas", $binario);
            }
        }
    };
}
