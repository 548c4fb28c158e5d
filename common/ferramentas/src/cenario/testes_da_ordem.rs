//! A ordem da transcrição quando a hora de chegada de uma linha atrasa:
//! nenhuma linha sai depois de outra de hora maior.

use super::desenho::transcricao;
use super::execucao::{Executado, Resultado};
use super::ordem::{horario, ordenar, Evento, Origem};
use super::ordem_causal::conferir_ordem_causal;
use super::testes::Roteiro;
use crate::processo::Linha;
use chrono::{DateTime, Local};
use std::time::Duration;

/// Uma linha feita à mão: a hora que o processo imprime (ms depois da base;
/// `None` numa linha sem hora, como o banner), quando ela chega ao `cenario`
/// (µs depois da base) e o texto.
type Feita<'a> = (Option<u64>, u64, &'a str);

fn processo(r: &Roteiro, linhas: &[Feita]) -> Executado {
    let linhas: Vec<Linha> = linhas
        .iter()
        .map(|&(hora, chegada_us, texto)| {
            let texto = match hora {
                Some(ms) => {
                    let hora = DateTime::<Local>::from(r.em(ms)).format("[%H:%M:%S%.3f]");
                    format!("{hora} {texto}")
                }
                None => texto.to_string(),
            };
            Linha { texto, chegada: r.base + Duration::from_micros(chegada_us) }
        })
        .collect();
    let fim = linhas.last().map_or(r.base, |l| l.chegada) + Duration::from_millis(5);
    Executado { pid: 1, linhas, inicio: r.base, fim, codigo: None }
}

fn resultado(servidor: Executado, clientes: Vec<Executado>) -> Resultado {
    Resultado { servidor, clientes, notas: vec![], fotos: vec![] }
}

/// O caso visto no `cenario --parte 4` com a máquina ocupada: o `cenario`
/// leu o banner tarde (aos 130,5 ms), depois de o servidor já ter escrito o
/// `Aguardando conexões...` de 121 ms; o cliente, iniciado logo depois da
/// leitura do banner, imprimiu linhas de 130 ms. Antes, o banner (hora de
/// chegada: 130,5) saía depois das linhas de 130 do cliente, e o `Aguardando`
/// de 121, que vem atrás dele no pipe, também.
#[test]
fn banner_lido_tarde_nao_empurra_o_aguardando_para_depois_dos_clientes() {
    let r = Roteiro::novo();
    let servidor = processo(
        &r,
        &[
            (None, 130_500, "Servidor Echo escutando em localhost:5000"),
            (Some(121), 131_000, "Aguardando conexões..."),
            (Some(131), 131_200, "[cliente 1 127.0.0.1:40001] Conectado (conexões ativas: 1)"),
            (Some(132), 133_000, "[cliente 1 127.0.0.1:40001] Recebido: oi"),
            (
                Some(140),
                141_000,
                "[cliente 1 127.0.0.1:40001] Cliente desconectou (atendido por 9 ms, 1 \
                 mensagem; conexões ativas: 0)",
            ),
        ],
    );
    let cliente = processo(
        &r,
        &[
            (Some(130), 130_600, "Conectando a localhost:5000..."),
            (Some(130), 130_700, "Conectado ao servidor Echo"),
            (Some(132), 132_100, "Digite uma mensagem: oi"),
            (Some(133), 133_100, "Resposta: Echo: oi"),
            (Some(140), 140_100, "Digite uma mensagem: sair"),
            (Some(140), 140_200, "Conexão encerrada"),
        ],
    );
    let eventos = ordenar(&resultado(servidor, vec![cliente]));
    let texto = transcricao(&eventos);
    let comecos: Vec<&str> = eventos.iter().take(3).map(|e| e.texto.as_str()).collect();
    assert!(comecos[0].starts_with("Servidor Echo escutando"), "{texto}");
    assert!(comecos[1].ends_with("Aguardando conexões..."), "{texto}");
    assert!(comecos[2].ends_with("Conectando a localhost:5000..."), "{texto}");
    conferir_ordem_causal(&texto);
}

/// Um gerador pseudoaleatório pequeno (xorshift), com semente fixa: o
/// teste é o mesmo a cada execução.
struct Sorteio(u64);

impl Sorteio {
    fn ate(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Os fluxos de um sorteio: o servidor (banner sem hora, depois linhas) e
/// dois ou três clientes. Cada processo escreve as suas linhas em horas
/// que não voltam; uma linha em cinco sai sem hora; cada uma chega ao
/// `cenario` de 0 a 25 ms depois de escrita, na ordem em que foi escrita
/// (um pipe). Os textos não casam com nenhuma regra do protocolo.
fn sorteado(r: &Roteiro, sorteio: &mut Sorteio) -> Resultado {
    let servidor = fluxo(r, sorteio, "servidor", true);
    let clientes = 2 + sorteio.ate(2);
    let clientes =
        (1..=clientes).map(|k| fluxo(r, sorteio, &format!("cliente {k}"), false)).collect();
    resultado(servidor, clientes)
}

/// As linhas sorteadas de um processo (ver [`sorteado`]).
fn fluxo(r: &Roteiro, sorteio: &mut Sorteio, quem: &str, banner: bool) -> Executado {
    let mut escrita_us = sorteio.ate(5_000);
    let mut chegada_us = 0;
    let mut linhas: Vec<(Option<u64>, u64, String)> = Vec::new();
    for k in 0..3 + sorteio.ate(10) {
        escrita_us += sorteio.ate(3_000);
        chegada_us = (escrita_us + sorteio.ate(25_000)).max(chegada_us);
        let (hora, texto) = if banner && k == 0 {
            (None, "Servidor Echo escutando em localhost:5000".to_string())
        } else if sorteio.ate(5) == 0 {
            (None, format!("{quem}: linha {k}, sem hora"))
        } else {
            (Some(escrita_us / 1000), format!("{quem}: linha {k}"))
        };
        linhas.push((hora, chegada_us, texto));
    }
    let feitas: Vec<Feita> = linhas.iter().map(|(h, c, t)| (*h, *c, t.as_str())).collect();
    processo(r, &feitas)
}

#[test]
fn nenhuma_linha_sai_depois_de_outra_de_hora_maior() {
    let mut sorteio = Sorteio(0x5eed_0033);
    for _ in 0..300 {
        let r = Roteiro::novo();
        let entrada = sorteado(&r, &mut sorteio);
        let eventos = ordenar(&entrada);
        let texto = transcricao(&eventos);
        // Todas as linhas, cada processo na ordem em que as escreveu.
        let de = |origem: Origem| -> Vec<&str> {
            eventos.iter().filter(|e| e.origem == origem).map(|e| e.texto.as_str()).collect()
        };
        let escritas =
            |e: &Executado| -> Vec<String> { e.linhas.iter().map(|l| l.texto.clone()).collect() };
        assert_eq!(de(Origem::Servidor), escritas(&entrada.servidor), "{texto}");
        for (k, cliente) in entrada.clientes.iter().enumerate() {
            assert_eq!(de(Origem::Cliente(k + 1)), escritas(cliente), "{texto}");
        }
        // As horas impressas nunca voltam, de um processo ao outro.
        let horas: Vec<f64> = eventos.iter().filter_map(|e: &Evento| horario(&e.texto)).collect();
        assert!(horas.windows(2).all(|par| par[0] <= par[1]), "{texto}");
    }
}
