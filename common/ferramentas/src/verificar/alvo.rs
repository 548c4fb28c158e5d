//! O servidor verificado: um que já está rodando (`--host`/`--porta`), ou um
//! que o `verificar` inicia (`--iniciar "CMD"`, ver [`super::shell`]),
//! reinicia quando preciso (uma queda não esconde o resto) e encerra no fim.
//!
//! Com `{porta}` no comando, cada verificação ganha um servidor novo numa
//! porta nova. Com a porta fixa (a de `--porta`, ou a que o servidor
//! anuncia por conta própria: toda entrega da disciplina tem `PORT = 5000`
//! no código), o servidor só é reiniciado se cair, e o `verificar` fecha o
//! lado dele das conexões antes de encerrá-lo: quem fecha primeiro fica com
//! o TIME-WAIT, e o servidor reiniciado encontra a porta livre.
//!
//! Saber se a porta já aceita é conectar, e conectar já é um cliente: um
//! servidor que termina depois do primeiro cliente seria gasto pela sondagem.
//! A conexão da sondagem fica guardada ([`Alvo::conectar`] a entrega) e vira
//! o primeiro cliente da verificação seguinte.
//!
//! Iniciar o comando e esperar a porta (ou achar a porta fixa) fica em
//! [`subida`].

use super::conexao::Conexao;
use super::diagnostico::Diagnostico;
use super::shell::{matar_na_saida, Iniciado};
use anyhow::{anyhow, bail, Result};
use common::rede::{host_porta, resolver, PORTA_PADRAO};
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

mod subida;
pub use subida::PRAZO_PARA_INICIAR;

/// Prazo de cada `connect()`.
pub const PRAZO_DE_CONEXAO: Duration = Duration::from_secs(5);
/// O marcador da porta no comando.
pub const MARCADOR: &str = "{porta}";

/// Os processos (Unix: os grupos) iniciados agora, para o Ctrl-C os
/// encerrar: o grupo próprio não recebe o Ctrl-C do terminal. Na `turma`,
/// são vários ao mesmo tempo.
static INICIADOS_AGORA: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn registrar(pid: u32, vivo: bool) {
    let mut pids = INICIADOS_AGORA.lock().unwrap_or_else(|e| e.into_inner());
    pids.retain(|p| *p != pid);
    if vivo {
        pids.push(pid);
    }
}

/// Encerra à força os servidores iniciados agora, se houver (para o
/// tratador de Ctrl-C do programa, que sai logo depois).
pub fn encerrar_os_iniciados_agora() {
    let pids = std::mem::take(&mut *INICIADOS_AGORA.lock().unwrap_or_else(|e| e.into_inner()));
    for pid in pids {
        matar_na_saida(pid);
    }
}

/// Como o servidor saiu de cena numa verificação, e o que ele escreveu.
#[derive(Clone, Debug)]
pub struct Queda {
    /// `terminou com código 1`, `terminou pelo sinal 11`...
    pub como: String,
    /// O fim da saída do servidor (saída padrão e de erros juntas).
    pub saida: String,
}

/// O servidor verificado, e como falar com ele.
pub struct Alvo {
    host: String,
    porta: u16,
    /// O comando de `--iniciar`, com o marcador; `None` para um servidor já rodando.
    comando: Option<String>,
    /// Onde o comando roda (`None`: na pasta atual).
    pasta: Option<PathBuf>,
    iniciado: Option<Iniciado>,
    /// A porta em que o servidor escuta por conta própria, ignorando a do
    /// `{porta}` (fixa no código).
    porta_fixa: Option<u16>,
    /// A porta padrão já aceitava conexões antes de o servidor iniciar (não
    /// é dele, então).
    padrao_ocupada_antes: bool,
    /// Os erros típicos descobertos ao iniciar, ainda não entregues.
    diagnosticos: Vec<Diagnostico>,
    /// A conexão da sondagem, entregue ao próximo [`Alvo::conectar`].
    reserva: Option<TcpStream>,
    /// Já rodou uma verificação desde o último início?
    usado: bool,
}

impl Alvo {
    /// Um servidor já rodando em `host:porta`.
    pub fn existente(host: &str, porta: u16) -> Result<Alvo> {
        let mut alvo = Alvo::novo(host, porta, None);
        let onde = host_porta(host, porta);
        let socket = alvo.sondar().map_err(|e| match e.kind() {
            ErrorKind::ConnectionRefused => anyhow!(
                "nada escutando em {onde} (conexão recusada): o servidor está rodando, nessa \
                 porta? Ou use --iniciar \"COMANDO\" para o verificar iniciá-lo"
            ),
            ErrorKind::NotFound => anyhow!("o nome {host:?} não foi encontrado (DNS)"),
            _ => anyhow!("não foi possível conectar a {onde}: {}", common::erros::descrever(&e)),
        })?;
        alvo.reserva = Some(socket);
        Ok(alvo)
    }

    /// Inicia `comando` e espera a porta aceitar conexões.
    pub fn iniciar(comando: &str, host: &str, porta: u16, pasta: Option<&Path>) -> Result<Alvo> {
        let mut alvo = Alvo::novo(host, porta, Some(comando.to_string()));
        alvo.pasta = pasta.map(Path::to_path_buf);
        if !comando.contains(MARCADOR) && alvo.sondar().is_ok() {
            bail!(
                "a porta {porta} já está em uso: outro programa escuta em {} (outro servidor \
                 rodando? encerre-o, use --porta, ou ponha {MARCADOR} no comando para o \
                 verificar escolher uma porta livre)",
                host_porta(host, porta)
            );
        }
        if comando.contains(MARCADOR) && porta != PORTA_PADRAO {
            alvo.padrao_ocupada_antes = alvo.sondar_em(PORTA_PADRAO).is_ok();
        }
        alvo.subir(true)?;
        Ok(alvo)
    }

    fn novo(host: &str, porta: u16, comando: Option<String>) -> Alvo {
        Alvo {
            host: host.to_string(),
            porta,
            comando,
            pasta: None,
            iniciado: None,
            porta_fixa: None,
            padrao_ocupada_antes: false,
            diagnosticos: Vec::new(),
            reserva: None,
            usado: false,
        }
    }

    /// A porta fixa no código do servidor, se ele ignorou a do `{porta}`.
    pub fn porta_fixa(&self) -> Option<u16> {
        self.porta_fixa
    }

    /// Os erros típicos descobertos ao (re)iniciar desde a última chamada.
    pub fn diagnosticos(&mut self) -> Vec<Diagnostico> {
        std::mem::take(&mut self.diagnosticos)
    }

    /// Cada verificação ganha um servidor novo numa porta nova?
    fn porta_nova_a_cada_vez(&self) -> bool {
        self.porta_fixa.is_none() && self.comando.as_ref().is_some_and(|c| c.contains(MARCADOR))
    }

    /// Como o boletim nomeia o alvo.
    pub fn descricao(&self) -> String {
        match &self.comando {
            Some(c) => c.clone(),
            None => host_porta(&self.host, self.porta),
        }
    }

    /// Antes de cada verificação: com `{porta}` no comando, um servidor novo
    /// numa porta nova (cada verificação começa do zero); com a porta fixa,
    /// só se ele caiu (reabrir a mesma porta logo depois pode esbarrar nas
    /// conexões em TIME_WAIT de um servidor sem SO_REUSEADDR).
    pub fn preparar(&mut self) -> Result<()> {
        if self.comando.is_none() {
            return Ok(());
        }
        let reiniciar = if self.porta_nova_a_cada_vez() { self.usado } else { !self.vivo() };
        if reiniciar {
            self.encerrar();
            self.subir(false)
                .map_err(|e| anyhow!("o servidor não voltou depois de reiniciado: {e:#}"))?;
        }
        self.usado = true;
        Ok(())
    }

    /// Uma conexão com o servidor (a da sondagem, se ainda não foi usada).
    pub fn conectar(&mut self) -> std::io::Result<Conexao> {
        match self.reserva.take() {
            Some(socket) => Conexao::nova(socket),
            None => self.conectar_nova(),
        }
    }

    /// Uma conexão nova (nunca a da sondagem).
    pub fn conectar_nova(&self) -> std::io::Result<Conexao> {
        let mut ultimo = std::io::Error::from(ErrorKind::NotFound);
        for endereco in self.enderecos()? {
            match Conexao::conectar(endereco, PRAZO_DE_CONEXAO) {
                Ok(c) => return Ok(c),
                Err(e) => ultimo = e,
            }
        }
        Err(ultimo)
    }

    /// O servidor iniciado terminou? (De um já rodando, não há como saber.)
    pub fn terminou(&mut self) -> bool {
        self.iniciado.as_mut().is_some_and(|i| !i.vivo())
    }

    /// Como [`Alvo::terminou`], dando ao processo até `prazo` para terminar:
    /// um servidor que fecha a conexão e sai leva alguns milissegundos entre
    /// uma coisa e outra (o Python ainda desmonta o interpretador).
    pub fn terminou_em(&mut self, prazo: Duration) -> bool {
        let limite = Instant::now() + prazo;
        while self.iniciado.is_some() && !self.terminou() && Instant::now() < limite {
            thread::sleep(Duration::from_millis(20));
        }
        self.terminou()
    }

    /// Depois de uma verificação: se o servidor iniciado caiu, encerra o
    /// que restou dele e devolve como saiu e o que escreveu.
    pub fn queda(&mut self) -> Option<Queda> {
        if self.vivo() || self.iniciado.is_none() {
            return None;
        }
        let mut iniciado = self.iniciado.take()?;
        registrar(iniciado.pid(), false);
        // O shell saiu; o que ele deixou (um neto órfão) sai junto.
        let como = iniciado.matar();
        let saida = iniciado.texto_da_saida();
        Some(Queda { como, saida })
    }

    /// Quanto o servidor iniciado já escreveu (0 para um já rodando).
    pub fn marca(&self) -> usize {
        self.iniciado.as_ref().map_or(0, Iniciado::marca)
    }

    /// Um erro que o servidor iniciado escreveu depois da `marca` sem cair
    /// (o traceback de uma thread que morreu, o pânico de uma thread): do
    /// primeiro sinal de erro em diante. Sinais de Python, Java e Rust.
    pub fn erro_escrito(&self, marca: usize) -> Option<String> {
        let texto = self.iniciado.as_ref()?.texto_desde(marca);
        const SINAIS: [&str; 4] =
            ["Traceback (most recent call last)", "Exception", "panicked", "Error:"];
        let inicio = texto.lines().position(|l| SINAIS.iter().any(|s| l.contains(s)))?;
        Some(texto.lines().skip(inicio).collect::<Vec<_>>().join("\n"))
    }

    /// O servidor iniciado ainda roda? (Um servidor já rodando: sempre.)
    fn vivo(&mut self) -> bool {
        match self.iniciado.as_mut() {
            Some(iniciado) => iniciado.vivo(),
            None => self.comando.is_none(),
        }
    }

    pub fn enderecos(&self) -> std::io::Result<Vec<SocketAddr>> {
        resolver(&self.host, self.porta)
    }

    /// Conecta para saber se a porta aceita; devolve o socket conectado.
    fn sondar(&self) -> std::io::Result<TcpStream> {
        self.sondar_em(self.porta)
    }

    fn sondar_em(&self, porta: u16) -> std::io::Result<TcpStream> {
        let mut ultimo = std::io::Error::from(ErrorKind::NotFound);
        for endereco in resolver(&self.host, porta)? {
            match TcpStream::connect_timeout(&endereco, PRAZO_DE_CONEXAO) {
                Ok(s) => return Ok(s),
                Err(e) => ultimo = e,
            }
        }
        Err(ultimo)
    }

    /// Encerra o servidor iniciado, se houver (ver [`Iniciado::parar`]).
    pub fn encerrar(&mut self) {
        self.reserva = None;
        if let Some(mut iniciado) = self.iniciado.take() {
            if !self.porta_nova_a_cada_vez() && iniciado.vivo() {
                // Com a porta fixa, o servidor precisa ver o fim das nossas
                // conexões e fechar as dele antes de morrer: quem fecha
                // primeiro fica com o TIME-WAIT (ver `Conexao`).
                thread::sleep(Duration::from_millis(200));
            }
            registrar(iniciado.pid(), false);
            iniciado.parar();
        }
    }
}

impl Drop for Alvo {
    fn drop(&mut self) {
        self.encerrar();
    }
}
