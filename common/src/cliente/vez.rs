//! De quem é a vez de mexer no terminal: da thread do teclado (o editor de
//! linha, dentro de um `readline`) ou da principal (que escreve as respostas
//! e, no fim, devolve o terminal ao modo normal).
//!
//! O perigo é o terminal ficar "cru" depois que o cliente sai: sem eco, com
//! Enter e Ctrl-C mortos, até um `stty sane`. A regra que o impede, seja qual
//! for o jeito de acabar (servidor recusando ou fechando, Ctrl-C, Ctrl-D,
//! `sair`) e seja qual for a ordem em que as threads correm:
//!
//! 1. O editor só mexe no modo do terminal ao entrar num `readline` (modo
//!    cru) e ao sair dele (volta ao modo que encontrou na entrada). Ele entra
//!    sempre com o terminal no modo normal ([`Vez::vai_editar`]), então, ao
//!    sair, devolve o normal: sair nunca estraga nada.
//! 2. Entrar num `readline` depende de licença, negada depois do fim.
//! 3. No fim ([`Vez::encerrar`]), a principal espera o editor que já entrou
//!    chegar ao primeiro desenho ([`Vez::comecou_a_editar`], logo depois do
//!    modo cru) e só então restaura: a restauração vem depois do modo cru,
//!    nunca antes.
//! 4. Depois do fim o editor não desenha mais nada: para de vez no primeiro
//!    desenho, e o processo sai com ele parado ali.
//!
//! Sem 2 e 3 havia uma corrida, vista num pseudoterminal em 7 de 200 saídas:
//! o servidor lotado recusava a conexão logo depois do primeiro prompt; a
//! principal restaurava o terminal e saía, enquanto a thread do teclado,
//! recém-liberada, ainda entrava no `readline` e punha o terminal em modo
//! cru, depois da restauração. (O Ctrl-Z, que no Unix faria o editor
//! suspender o processo e voltar ao modo cru no `fg`, não faz nada: ver
//! `teclado`.)

use super::terminal::{self, Modo};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Quanto a principal espera, no fim, o editor que entrava num `readline`
/// chegar ao primeiro desenho. São microssegundos; o prazo só existe para
/// um terminal travado (saída que não escoa) não prender o cliente para
/// sempre. Se ele acabar, o próprio editor desfaz o modo cru ao chegar lá.
const ESPERA_PELO_EDITOR: Duration = Duration::from_secs(2);

/// Onde está a thread do teclado em relação ao `readline`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Leitura {
    /// Fora de um `readline` (ou parada de vez depois do fim): não mexe no
    /// terminal.
    #[default]
    Fora,
    /// Licenciada, entrando num `readline`: o modo cru vem a qualquer
    /// momento.
    Entrando,
    /// Num `readline`: terminal em modo cru e o prompt na tela.
    Editando,
}

#[derive(Default)]
struct Estado {
    leitura: Leitura,
    /// A sessão acabou: a principal restaurou (ou vai restaurar) o terminal.
    encerrado: bool,
}

/// O que a thread do teclado e a principal sabem uma da outra, e o modo do
/// terminal a restaurar. Compartilhada pelas duas (`Arc`).
pub struct Vez {
    /// O modo do terminal antes do editor; `None` se não há o que restaurar.
    modo: Option<Modo>,
    estado: Mutex<Estado>,
    /// Sinalizada a cada mudança de `leitura`: a principal a espera no fim.
    mudou: Condvar,
    /// Nunca sinalizada: onde a thread do teclado para de vez depois do fim.
    depois_do_fim: Condvar,
}

impl Vez {
    pub fn nova(modo: Option<Modo>) -> Vez {
        Vez { modo, estado: Mutex::default(), mudou: Condvar::new(), depois_do_fim: Condvar::new() }
    }

    fn travar(&self) -> MutexGuard<'_, Estado> {
        // Um pânico em outra thread não impede a saída.
        self.estado.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mudar(&self, estado: &mut Estado, leitura: Leitura) {
        estado.leitura = leitura;
        self.mudou.notify_all();
    }

    /// Thread do teclado, antes de cada `readline`: `false` depois do fim
    /// (a thread não entra mais). Põe o terminal no modo normal, que é o
    /// que o editor vai guardar e devolver ao sair (regra 1).
    pub fn vai_editar(&self) -> bool {
        let mut estado = self.travar();
        if estado.encerrado {
            return false;
        }
        if let Some(modo) = &self.modo {
            terminal::normal(modo);
        }
        self.mudar(&mut estado, Leitura::Entrando);
        true
    }

    /// Chamada pelo editor cada vez que vai redesenhar a linha; a primeira,
    /// logo depois de pôr o terminal em modo cru e antes do prompt. Espera a
    /// principal terminar o que escreve direto (o prompt sai depois, nunca
    /// no meio). Depois do fim, desfaz o modo cru e não volta nunca: nada
    /// mais é desenhado por cima das últimas linhas.
    pub fn comecou_a_editar(&self) {
        let mut estado = self.travar();
        if estado.encerrado {
            if let Some(modo) = &self.modo {
                terminal::restaurar(modo);
            }
            self.mudar(&mut estado, Leitura::Fora);
            loop {
                estado = self.depois_do_fim.wait(estado).unwrap_or_else(|e| e.into_inner());
            }
        }
        if estado.leitura != Leitura::Editando {
            self.mudar(&mut estado, Leitura::Editando);
        }
    }

    /// Thread do teclado, quando o `readline` volta (ele já devolveu o modo
    /// normal e pulou a linha): até o próximo, o terminal fica em silêncio
    /// (ver `terminal::silenciar`), a não ser que a sessão tenha acabado.
    pub fn parou_de_editar(&self) {
        let mut estado = self.travar();
        self.mudar(&mut estado, Leitura::Fora);
        if let (Some(modo), false) = (&self.modo, estado.encerrado) {
            terminal::silenciar(modo);
        }
    }

    /// Principal: roda `escrever` com a vez dela; `prompt_na_tela` diz se um
    /// `readline` está desenhado (e não acabou). Um `readline` que comece
    /// agora desenha o prompt depois do que `escrever` escrever.
    pub fn escrever<T>(&self, escrever: impl FnOnce(bool) -> T) -> T {
        let estado = self.travar();
        escrever(estado.leitura == Leitura::Editando && !estado.encerrado)
    }

    /// Principal, no fim da sessão: espera o editor que entrava num
    /// `readline` chegar ao modo cru (regra 3), restaura o modo guardado e
    /// descarta o que foi digitado e não lido. Depois roda `depois` com a
    /// vez (`true`: havia um prompt na tela). Só a primeira chamada faz algo.
    pub fn encerrar(&self, depois: impl FnOnce(bool)) {
        let mut estado = self.travar();
        if estado.encerrado {
            return;
        }
        estado.encerrado = true;
        let prazo = Instant::now() + ESPERA_PELO_EDITOR;
        while estado.leitura == Leitura::Entrando {
            let falta = prazo.saturating_duration_since(Instant::now());
            if falta.is_zero() {
                break;
            }
            estado = match self.mudou.wait_timeout(estado, falta) {
                Ok((estado, _)) => estado,
                Err(envenenado) => envenenado.into_inner().0,
            };
        }
        if let Some(modo) = &self.modo {
            terminal::restaurar(modo);
        }
        depois(estado.leitura == Leitura::Editando);
    }
}
