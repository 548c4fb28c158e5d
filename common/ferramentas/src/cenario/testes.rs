//! A lógica do cenário com linhas feitas à mão: a ordem causal, a análise
//! e o desenho, sem iniciar processo nenhum.

use super::analise::{analisar, sobreposicao};
use super::desenho::{ler_linha_da_transcricao, linha_do_tempo, mermaid, transcricao};
use super::execucao::{Executado, Resultado};
use super::ordem::{desfecho, do_servidor, enviada, horario, ordenar};
use super::ordem_causal::conferir_ordem_causal;
use super::respostas::respostas;
use crate::processo::Linha;
use chrono::{DateTime, Local};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Monta as linhas de um processo a partir de um instante comum.
pub(super) struct Roteiro {
    /// Um milissegundo inteiro: a hora impressa de `em(ms)` é a base mais
    /// `ms`, sem arredondamento no meio.
    pub(super) base: SystemTime,
}

impl Roteiro {
    pub(super) fn novo() -> Roteiro {
        let agora = SystemTime::now().duration_since(UNIX_EPOCH).expect("depois de 1970");
        Roteiro { base: UNIX_EPOCH + Duration::from_millis(agora.as_millis() as u64) }
    }

    pub(super) fn em(&self, ms: u64) -> SystemTime {
        self.base + Duration::from_millis(ms)
    }

    /// As linhas (ms, texto) de um processo que imprime a hora (`--tempo`,
    /// Parte 2 em diante), chegando `atraso` ms depois de escritas; a
    /// linha "Servidor Echo escutando..." sai sem hora, como o banner.
    fn processo(&self, linhas: &[(u64, &str)], atraso: u64) -> Executado {
        let linhas: Vec<Linha> = linhas
            .iter()
            .map(|&(ms, texto)| {
                let hora = DateTime::<Local>::from(self.em(ms)).format("[%H:%M:%S%.3f]");
                let texto = if texto.starts_with("Servidor Echo") {
                    texto.to_string()
                } else {
                    format!("{hora} {texto}")
                };
                Linha { texto, chegada: self.em(ms + atraso) }
            })
            .collect();
        let fim = linhas.last().map_or(self.base, |l| l.chegada) + Duration::from_millis(5);
        Executado { pid: 1, linhas, inicio: self.base, fim, codigo: None }
    }

    fn resultado(&self, servidor: Executado, clientes: Vec<Executado>) -> Resultado {
        Resultado { servidor, clientes, notas: vec![], fotos: vec![] }
    }
}

/// A Parte 2 com dois clientes: o segundo espera o primeiro sair. As linhas
/// do servidor chegam 40 ms atrasadas (o escalonador), como acontece quando
/// a máquina está ocupada: a ordem vem das horas, não da chegada.
fn parte2_serial(r: &Roteiro) -> Resultado {
    let servidor = r.processo(
        &[
            (0, "Servidor Echo escutando em localhost:5000"),
            (0, "Aguardando conexão..."),
            (12, "[cliente 1 127.0.0.1:40001] Conectado"),
            (12, "[cliente 1 127.0.0.1:40001] Recebido: olá, sou o cliente 1"),
            (
                3011,
                "[cliente 1 127.0.0.1:40001] Cliente desconectou (atendido por 3,00 s, 1 mensagem)",
            ),
            (3011, "Aguardando conexão..."),
            (3011, "[cliente 2 127.0.0.1:40002] Conectado"),
            (3011, "[cliente 2 127.0.0.1:40002] Recebido: olá, sou o cliente 2"),
            (
                3020,
                "[cliente 2 127.0.0.1:40002] Cliente desconectou (atendido por 9 ms, 1 mensagem)",
            ),
        ],
        40,
    );
    let cliente1 = r.processo(
        &[
            (10, "Conectando a localhost:5000..."),
            (11, "Conectado ao servidor Echo"),
            (11, "Digite uma mensagem: olá, sou o cliente 1"),
            (12, "Resposta: Echo: olá, sou o cliente 1"),
            (3010, "Digite uma mensagem: sair"),
            (3010, "Conexão encerrada"),
        ],
        0,
    );
    let cliente2 = r.processo(
        &[
            (210, "Conectando a localhost:5000..."),
            (211, "Conectado ao servidor Echo"),
            (211, "Digite uma mensagem: olá, sou o cliente 2"),
            (3012, "Resposta: Echo: olá, sou o cliente 2"),
            (3015, "Digite uma mensagem: sair"),
            (3015, "Conexão encerrada"),
        ],
        0,
    );
    r.resultado(servidor, vec![cliente1, cliente2])
}

/// A Parte 4 com dois clientes atendidos ao mesmo tempo.
fn parte4_sobreposta(r: &Roteiro) -> Resultado {
    let servidor = r.processo(
        &[
            (0, "Servidor Echo escutando em localhost:5000"),
            (0, "Aguardando conexões..."),
            (1, "[cliente 1 127.0.0.1:40001] Conectado (conexões ativas: 1)"),
            (1, "[cliente 1 127.0.0.1:40001] Recebido: olá, sou o cliente 1"),
            (201, "[cliente 2 127.0.0.1:40002] Conectado (conexões ativas: 2)"),
            (201, "[cliente 2 127.0.0.1:40002] Recebido: olá, sou o cliente 2"),
            (1000, "[cliente 1 127.0.0.1:40001] Recebido: segunda do cliente 1"),
            (
                1201,
                "[cliente 2 127.0.0.1:40002] Cliente desconectou (atendido por 1,00 s, 1 \
                 mensagem; conexões ativas: 1)",
            ),
            (
                3001,
                "[cliente 1 127.0.0.1:40001] Cliente desconectou (atendido por 3,00 s, 2 \
                 mensagens; conexões ativas: 0)",
            ),
        ],
        0,
    );
    let cliente1 = r.processo(
        &[
            (0, "Conectando a localhost:5000..."),
            (1, "Conectado ao servidor Echo"),
            (1, "Digite uma mensagem: olá, sou o cliente 1"),
            (2, "Resposta: Echo: olá, sou o cliente 1"),
            (1000, "Digite uma mensagem: segunda do cliente 1"),
            (1001, "Resposta: Echo: segunda do cliente 1"),
            (3000, "Digite uma mensagem: sair"),
            (3000, "Conexão encerrada"),
        ],
        0,
    );
    let cliente2 = r.processo(
        &[
            (200, "Conectando a localhost:5000..."),
            (201, "Conectado ao servidor Echo"),
            (201, "Digite uma mensagem: olá, sou o cliente 2"),
            (202, "Resposta: Echo: olá, sou o cliente 2"),
            (1200, "Digite uma mensagem: sair"),
            (1200, "Conexão encerrada"),
        ],
        0,
    );
    r.resultado(servidor, vec![cliente1, cliente2])
}

#[test]
fn leitura_das_linhas_do_servidor_e_do_cliente() {
    let linha = "[13:48:04.416] [cliente 12 127.0.0.1:5000] Recebido: oi";
    assert_eq!(do_servidor(linha), (Some(12), "Recebido: oi"));
    assert_eq!(do_servidor("Cliente desconectou"), (None, "Cliente desconectou"));
    assert_eq!(horario(linha), Some(f64::from(((13 * 60 + 48) * 60 + 4) * 1000 + 416)));
    assert_eq!(enviada("[13:48:04.416] Digite uma mensagem: oi "), Some("oi"));
    assert_eq!(enviada("Digite uma mensagem: SAIR"), None);
    assert_eq!(enviada("Digite uma mensagem: "), None);
    assert!(desfecho(
        "Cliente saiu no meio de uma mensagem (sem o \\n do fim); 3 bytes descartados"
    ));
    assert!(!desfecho("Conectado (conexões ativas: 1)"));
}

#[test]
fn transcricao_em_ordem_causal_mesmo_com_o_servidor_chegando_atrasado() {
    let r = Roteiro::novo();
    let eventos = ordenar(&parte2_serial(&r));
    let texto = transcricao(&eventos);
    conferir_ordem_causal(&texto);
    let posicao = |trecho: &str| {
        texto
            .lines()
            .position(|l| l.contains(trecho))
            .unwrap_or_else(|| panic!("{trecho}\n{texto}"))
    };
    // O servidor registra a mensagem antes de o cliente ver a resposta,
    // embora a linha dele tenha chegado 40 ms depois.
    assert!(
        posicao("Recebido: olá, sou o cliente 1") < posicao("Resposta: Echo: olá, sou o cliente 1")
    );
    // O `sair` do cliente 1 vem antes da desconexão dele no servidor.
    assert!(
        posicao("Digite uma mensagem: sair")
            < posicao("[cliente 1 127.0.0.1:40001] Cliente desconectou")
    );
    // Cada linha da transcrição volta a quem a escreveu, com o texto intacto.
    for (linha, evento) in texto.lines().zip(&eventos) {
        assert_eq!(ler_linha_da_transcricao(linha), Some((evento.origem, evento.texto.as_str())));
    }
    assert_eq!(ler_linha_da_transcricao("Linha do tempo"), None);
}

#[test]
#[should_panic(expected = "resposta antes do Recebido")]
fn conferencia_recusa_resposta_antes_do_recebido() {
    conferir_ordem_causal(
        "[cliente 1] [10:00:00.001] Digite uma mensagem: oi\n\
         [cliente 1] [10:00:00.002] Resposta: Echo: oi\n\
         [servidor]  [10:00:00.002] [cliente 1 127.0.0.1:40001] Recebido: oi\n",
    );
}

#[test]
fn parte2_e_serial_e_o_segundo_espera_na_fila() {
    let r = Roteiro::novo();
    let analise = analisar(&parte2_serial(&r)).expect("análise");
    assert_eq!(analise.servidor.max_ativas, 1);
    assert_eq!(sobreposicao(&analise.clientes), None);
    let segundo = &analise.clientes[1];
    assert_eq!(segundo.primeira_espera(), Some(Duration::from_millis(2801)));
    // A mensagem ficou sem ser lida até o servidor aceitar o cliente 2.
    assert_eq!(segundo.primeira_nao_lida(), Some(Duration::from_millis(2800)));
    let respostas = respostas(&analise, None);
    assert!(
        respostas.conclusoes(false).iter().any(|l| l.starts_with("O atendimento foi serial")),
        "{:?}",
        respostas.conclusoes(false)
    );
    // Repetida num bloco seguinte do relato, a conclusão vem curta.
    assert!(respostas.conclusoes(true).contains(&"De novo, o atendimento foi serial."));
    assert_eq!(respostas.por_cliente.len(), 2);
    let desenho = linha_do_tempo(&analise);
    assert!(desenho.contains("cliente 1") && desenho.contains("cliente 2"), "{desenho}");
}

#[test]
fn parte4_sobrepoe_os_dois_clientes() {
    let r = Roteiro::novo();
    let resultado = parte4_sobreposta(&r);
    conferir_ordem_causal(&transcricao(&ordenar(&resultado)));
    let analise = analisar(&resultado).expect("análise");
    assert_eq!(analise.servidor.max_ativas, 2);
    assert_eq!(sobreposicao(&analise.clientes), Some((1, 2)));
    let respostas = respostas(&analise, None);
    assert!(
        respostas.conclusoes(false).iter().any(|l| l.starts_with("O atendimento foi sobreposto")),
        "{:?}",
        respostas.conclusoes(false)
    );
    // Repetida num bloco seguinte do relato, a conclusão vem curta.
    assert!(respostas
        .conclusoes(true)
        .contains(&"De novo, o atendimento foi sobreposto (2 conexões ao mesmo tempo)."));
    let gantt = mermaid(&analise, "parte4: 2 clientes");
    assert!(
        gantt.starts_with("```mermaid\ngantt\n") && gantt.contains("section cliente 2"),
        "{gantt}"
    );
}

#[test]
fn eco_errado_e_um_erro_da_analise() {
    let r = Roteiro::novo();
    let mut resultado = parte2_serial(&r);
    let resposta = &mut resultado.clientes[0].linhas[3].texto;
    *resposta = resposta.replace("Echo: olá", "Echo: oi");
    let erro = analisar(&resultado).err().expect("eco errado");
    assert!(erro.to_string().contains("eco errado para o cliente 1"), "{erro}");
}

#[test]
fn duracoes_com_a_resolucao_dos_carimbos() {
    use super::desenho::medida;
    let ms = Duration::from_millis;
    assert_eq!(medida(ms(0)), "menos de 1 ms");
    assert_eq!(medida(ms(2)), "menos de 3 ms");
    assert_eq!(medida(ms(40)), "cerca de 40 ms");
    assert_eq!(medida(ms(2801)), "2,80 s");
}
