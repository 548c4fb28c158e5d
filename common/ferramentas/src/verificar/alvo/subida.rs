//! Subir o servidor: iniciar o comando, esperar a porta aceitar conexões
//! e, se ele ignorou a porta pedida (fixa no código), achá-lo na que ele
//! anunciou.

use super::{registrar, Alvo, MARCADOR};
use crate::verificar::diagnostico;
use crate::verificar::shell::{iniciar_pelo_shell, Iniciado};
use anyhow::{anyhow, bail, Result};
use common::rede::{host_porta, resolver, PORTA_PADRAO};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

/// Quanto esperar a porta aceitar conexões depois de iniciar o comando: um
/// `cargo run` pode compilar antes, e a máquina pode estar carregada.
pub const PRAZO_PARA_INICIAR: Duration = Duration::from_secs(30);
/// Quanto esperar, sem nada na porta pedida, antes de procurar o servidor
/// na porta padrão da disciplina (um servidor com a porta fixa que não
/// anuncia onde escuta).
const ESPERA_PELA_PORTA_PEDIDA: Duration = Duration::from_secs(2);
/// Na primeira subida, quanto o servidor precisa seguir vivo depois de a
/// porta aceitar: um `input()` antes do `accept()` escuta e termina logo em
/// seguida (EOFError, sem teclado), e a sondagem pode cair antes ou depois
/// do fim. Sem esta espera, o mesmo servidor seria ora "não iniciou", ora
/// "0 de 7", conforme a carga da máquina.
const CARENCIA_NA_PRIMEIRA_SUBIDA: Duration = Duration::from_millis(500);

impl Alvo {
    /// Inicia o comando e espera a porta aceitar (a sondagem fica guardada).
    /// Um servidor que anuncia outra porta (fixa no código) é achado lá.
    /// Na `primeira` subida, ele ainda precisa seguir vivo por um instante.
    pub(super) fn subir(&mut self, primeira: bool) -> Result<()> {
        let mut tentativas = 0;
        loop {
            match self.subir_uma_vez(primeira) {
                // A porta escolhida foi tomada antes do bind(): outra porta.
                Err(e)
                    if self.porta_nova_a_cada_vez()
                        && tentativas < 2
                        && diagnostico::da_saida(&format!("{e:#}"))
                            .is_some_and(|d| d.id == "endereco_em_uso") =>
                {
                    tentativas += 1;
                }
                resultado => return resultado,
            }
        }
    }

    fn subir_uma_vez(&mut self, primeira: bool) -> Result<()> {
        let modelo = self.comando.clone().expect("subir só é chamado com --iniciar");
        let mut pedida = self.porta;
        if modelo.contains(MARCADOR) {
            pedida = porta_livre(&self.host)?;
            if self.porta_fixa.is_none() {
                self.porta = pedida;
            }
        }
        let comando = modelo.replace(MARCADOR, &pedida.to_string());
        let iniciado = iniciar_pelo_shell(&comando, self.pasta.as_deref())?;
        registrar(iniciado.pid(), true);
        self.iniciado = Some(iniciado);
        self.usado = false;
        let inicio = Instant::now();
        loop {
            if let Ok(socket) = self.sondar() {
                if !primeira || !self.terminou_em(CARENCIA_NA_PRIMEIRA_SUBIDA) {
                    self.reserva = Some(socket);
                    return Ok(());
                }
            }
            if self.porta_fixa.is_none()
                && self.achar_porta_fixa(pedida, inicio.elapsed(), primeira)
            {
                continue;
            }
            if !self.vivo() {
                // A saída do programa vai por último, em linhas próprias:
                // ela costuma ser um erro do Python, em inglês e longo.
                let queda = self.queda();
                let saida = queda.as_ref().map(|q| q.saida.clone()).unwrap_or_default();
                let como = queda.map(|q| match q.saida.trim() {
                    "" => format!(" ({}, sem escrever nada)", q.como),
                    saida => format!(" ({}). A saída dele:\n{saida}", q.como),
                });
                let causa = diagnostico::da_saida(&saida)
                    .map(|d| format!("\n\n{}", d.texto))
                    .unwrap_or_default();
                bail!(
                    "o comando {comando:?} terminou antes de aceitar conexões{}{causa}",
                    como.unwrap_or_default()
                );
            }
            if inicio.elapsed() >= PRAZO_PARA_INICIAR {
                let saida = self.iniciado.as_ref().map(Iniciado::texto_da_saida);
                self.encerrar();
                let dica = if modelo.contains(MARCADOR) {
                    format!(
                        "{MARCADOR} virou {pedida}, e o servidor não escutou nela nem anunciou \
                         outra porta: ele lê a porta da linha de comando? (PORT = \
                         int(sys.argv[1]) em Python). Se a porta é fixa no código, tire \
                         {MARCADOR} do comando e use --porta com ela"
                    )
                } else {
                    format!("ele escuta nessa porta? Ponha {MARCADOR} no comando, ou use --porta")
                };
                bail!(
                    "o comando {comando:?} rodou {}, mas nada aceitou conexões em {} ({dica}); a \
                     saída dele:\n{}",
                    crate::verificar::formato::segundos(inicio.elapsed()),
                    host_porta(&self.host, self.porta),
                    saida.unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// O servidor ignorou a porta `pedida`? Procura-o na porta que ele
    /// anunciou na saída ("escutando em localhost:5000") ou, passado um
    /// tempo sem anúncio, na porta padrão da disciplina, se ela estava livre
    /// antes de ele iniciar. Achando (e, na `primeira` subida, vivo um
    /// instante depois), passa a verificar lá.
    fn achar_porta_fixa(&mut self, pedida: u16, passado: Duration, primeira: bool) -> bool {
        let saida = self.iniciado.as_ref().map(|i| i.texto_desde(0)).unwrap_or_default();
        let mut candidatas: Vec<(u16, bool)> = diagnostico::portas_anunciadas(&saida)
            .into_iter()
            .filter(|p| *p != pedida)
            .map(|p| (p, true))
            .collect();
        if candidatas.is_empty()
            && passado >= ESPERA_PELA_PORTA_PEDIDA
            && !self.padrao_ocupada_antes
            && pedida != PORTA_PADRAO
        {
            candidatas.push((PORTA_PADRAO, false));
        }
        for (porta, anunciada) in candidatas {
            let Ok(socket) = self.sondar_em(porta) else { continue };
            if !self.vivo() || (primeira && self.terminou_em(CARENCIA_NA_PRIMEIRA_SUBIDA)) {
                return false;
            }
            self.porta = porta;
            self.porta_fixa = Some(porta);
            self.reserva = Some(socket);
            self.diagnosticos.push(diagnostico::porta_fixa(
                porta,
                pedida,
                anunciada.then_some(saida.as_str()),
            ));
            return true;
        }
        false
    }
}

/// Uma porta livre agora em `host`. Entre soltá-la e o servidor ocupá-la,
/// outro programa poderia tomá-la: por isso ela sai de uma faixa abaixo das
/// portas efêmeras (Linux: 32.768 a 60.999; Windows: 49.152 a 65.535), de
/// onde vêm as portas dos nossos próprios clientes (centenas, com várias
/// entregas da turma ao mesmo tempo); se nenhuma servir, o sistema escolhe
/// (porta 0). Um servidor que mesmo assim não consiga a porta é reiniciado
/// noutra (ver `subir`).
fn porta_livre(host: &str) -> Result<u16> {
    let endereco = resolver(host, 0).map_err(|_| anyhow!("o nome {host:?} não foi encontrado"))?[0];
    let semente = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id().wrapping_mul(2_654_435_761);
    for i in 0..20u32 {
        let porta = 20_000 + (semente.wrapping_add(i.wrapping_mul(7_919)) % 12_000) as u16;
        let mut tentativa = endereco;
        tentativa.set_port(porta);
        if TcpListener::bind(tentativa).is_ok() {
            return Ok(porta);
        }
    }
    let escuta = TcpListener::bind(endereco)
        .map_err(|e| anyhow!("escolher uma porta livre: {}", common::erros::descrever(&e)))?;
    Ok(escuta.local_addr().map_err(|e| anyhow!("getsockname(): {e}"))?.port())
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn a_porta_livre_vem_de_baixo_das_efemeras_e_esta_livre() {
        for _ in 0..5 {
            let porta = porta_livre("127.0.0.1").unwrap();
            assert!((20_000..32_000).contains(&porta), "{porta}");
            TcpListener::bind(("127.0.0.1", porta)).unwrap();
        }
    }
}
