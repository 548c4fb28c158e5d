//! O protocolo "linha-eco": mensagens delimitadas por `\n` sobre TCP.
//!
//! TCP entrega um fluxo de bytes, não mensagens: um `read` pode trazer meia
//! mensagem, ou três mensagens de uma vez. O cliente Python da disciplina
//! envia o texto sem terminador e lê a resposta com um único `recv(1024)`;
//! isso só funciona por sorte, num loopback tranquilo. Aqui cada mensagem
//! termina em `\n` (um `\r` logo antes dele é descartado, para aceitar
//! clientes Windows, telnet e `nc -C`), e quem lê junta os pedaços até achar
//! o terminador.
//!
//! Regras (SPEC §2):
//! - para cada mensagem o servidor envia exatamente uma linha
//!   `Echo: <mensagem>\n`, na ordem, sem alterar nenhum byte (nem os que não
//!   são UTF-8 válido);
//! - uma mensagem com mais de [`LIMITE_MENSAGEM`] bytes não é guardada
//!   inteira: o servidor responde [`erro_mensagem_grande`] e fecha;
//! - uma linha do servidor que não é eco começa com `Erro: ` ou `Aviso: ` e
//!   é seguida do fechamento da conexão.

use std::borrow::Borrow;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Maior mensagem aceita, em bytes, sem contar o terminador (`\n` ou `\r\n`).
/// Limita a memória que um cliente pode ocupar no servidor.
pub const LIMITE_MENSAGEM: usize = 65_536;

/// Tamanho do buffer de leitura de cada conexão. Uma leitura (uma chamada de
/// sistema) traz até isso do buffer de recepção do kernel; mensagens maiores
/// são montadas em várias leituras.
pub const TAMANHO_BUFFER: usize = 16 * 1024;

/// Prefixo de toda resposta de eco.
pub const PREFIXO_ECO: &str = "Echo: ";
/// Prefixos das linhas que o servidor envia antes de fechar a conexão.
pub const PREFIXO_ERRO: &str = "Erro: ";
pub const PREFIXO_AVISO: &str = "Aviso: ";

/// A linha (sem `\n`) enviada a quem manda uma mensagem grande demais.
pub fn erro_mensagem_grande() -> String {
    format!("{PREFIXO_ERRO}mensagem maior que {LIMITE_MENSAGEM} bytes")
}

/// O que [`LeitorDeMensagens::proxima`] encontrou no fluxo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recebido {
    /// Uma mensagem completa, já sem `\n` (e sem o `\r` que o precedia).
    Mensagem(Vec<u8>),
    /// O outro lado fechou a conexão (fim do fluxo) entre duas mensagens.
    Fim,
    /// O outro lado fechou no meio de uma linha: estes bytes não tinham `\n`
    /// e foram descartados.
    Incompleta(usize),
    /// A linha passou de [`LIMITE_MENSAGEM`] bytes; o que veio foi descartado.
    GrandeDemais,
}

/// O núcleo do enquadramento, sem nenhuma E/S: recebe os bytes que já
/// chegaram e diz quanto consumiu e se uma mensagem ficou completa.
///
/// Separado da leitura para servir aos três modelos de concorrência da
/// Parte 3 (leitura bloqueante, `poll` e async) com as mesmas regras.
pub struct Enquadrador {
    /// A mensagem em montagem, quando ela chega em mais de uma leitura.
    linha: Vec<u8>,
    /// Maior linha aceita, sem o terminador.
    limite: usize,
}

impl Enquadrador {
    pub fn novo(limite: usize) -> Self {
        Enquadrador { linha: Vec::new(), limite }
    }

    /// Processa o início de `disponivel` (não vazio). Devolve quantos bytes
    /// consumiu e, se completou uma, a mensagem (ou `GrandeDemais`).
    pub fn avancar(&mut self, disponivel: &[u8]) -> (usize, Option<Recebido>) {
        match memchr::memchr(b'\n', disponivel) {
            Some(posicao) => {
                self.linha.extend_from_slice(&disponivel[..posicao]);
                let mut mensagem = std::mem::take(&mut self.linha);
                if mensagem.last() == Some(&b'\r') {
                    mensagem.pop();
                }
                if mensagem.len() > self.limite {
                    return (posicao + 1, Some(Recebido::GrandeDemais));
                }
                (posicao + 1, Some(Recebido::Mensagem(mensagem)))
            }
            None => {
                // +1: a linha pode ter exatamente o limite e ainda um `\r`.
                if self.linha.len() + disponivel.len() > self.limite + 1 {
                    self.linha = Vec::new();
                    return (disponivel.len(), Some(Recebido::GrandeDemais));
                }
                self.linha.extend_from_slice(disponivel);
                (disponivel.len(), None)
            }
        }
    }

    /// O fluxo terminou: `Fim`, ou `Incompleta` se havia meia linha.
    pub fn fim(&mut self) -> Recebido {
        match std::mem::take(&mut self.linha).len() {
            0 => Recebido::Fim,
            sobra => Recebido::Incompleta(sobra),
        }
    }
}

/// Separa um fluxo de bytes em mensagens terminadas por `\n`.
///
/// Guarda no máximo [`TAMANHO_BUFFER`] + limite + 1 bytes, por maior que
/// seja a linha que o outro lado envie.
pub struct LeitorDeMensagens<R> {
    entrada: BufReader<R>,
    enquadrador: Enquadrador,
}

impl<R: Read> LeitorDeMensagens<R> {
    /// Um leitor com o limite do protocolo, [`LIMITE_MENSAGEM`].
    pub fn novo(fonte: R) -> Self {
        Self::com_limite(fonte, LIMITE_MENSAGEM)
    }

    /// Um leitor com outro limite (o cliente lê respostas, que têm o
    /// prefixo `Echo: ` a mais).
    pub fn com_limite(fonte: R, limite: usize) -> Self {
        LeitorDeMensagens {
            entrada: BufReader::with_capacity(TAMANHO_BUFFER, fonte),
            enquadrador: Enquadrador::novo(limite),
        }
    }

    /// Lê até completar a próxima mensagem (ou até o fim do fluxo).
    ///
    /// Se a leitura falhar (erro, tempo esgotado ou, num socket não
    /// bloqueante, `WouldBlock`), o que já chegou fica guardado e uma nova
    /// chamada continua de onde parou.
    pub fn proxima(&mut self) -> io::Result<Recebido> {
        loop {
            let disponivel = match self.entrada.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if disponivel.is_empty() {
                // Fim do fluxo: o outro lado fechou (ou fez shutdown de escrita).
                return Ok(self.enquadrador.fim());
            }
            let (consumidos, recebido) = self.enquadrador.avancar(disponivel);
            self.entrada.consume(consumidos);
            if let Some(recebido) = recebido {
                return Ok(recebido);
            }
        }
    }

    /// Já há uma mensagem completa no buffer, que [`Self::proxima`] entrega
    /// sem nenhuma chamada de sistema?
    pub fn tem_mensagem_pronta(&self) -> bool {
        memchr::memchr(b'\n', self.entrada.buffer()).is_some()
    }

    /// A fonte (o socket), para escrever nela ou ajustar opções.
    /// Ler diretamente dela perderia o que já está no buffer.
    pub fn fonte(&self) -> &R {
        self.entrada.get_ref()
    }

    pub fn fonte_mut(&mut self) -> &mut R {
        self.entrada.get_mut()
    }
}

/// Acrescenta a `saida` a resposta de eco de `mensagem`: `Echo: ` + bytes + `\n`.
pub fn codificar_eco(saida: &mut Vec<u8>, mensagem: &[u8]) {
    saida.reserve(PREFIXO_ECO.len() + mensagem.len() + 1);
    saida.extend_from_slice(PREFIXO_ECO.as_bytes());
    saida.extend_from_slice(mensagem);
    saida.push(b'\n');
}

/// Tempo máximo que o servidor espera, depois de um `Erro:`/`Aviso:`, o
/// cliente fechar o lado dele (ver [`Conexao::encerrar`]).
pub const ESPERA_AO_ENCERRAR: Duration = Duration::from_secs(2);

/// Quanto o servidor aceita descartar nesse intervalo antes de desistir.
pub const DESCARTE_MAXIMO: usize = 1024 * 1024;

/// Uma conexão do ponto de vista do servidor: lê mensagens e devolve ecos.
///
/// O eco de uma mensagem não é escrito na hora: [`Conexao::preparar_eco`]
/// o guarda, e a escrita (`write` no socket) acontece no começo do próximo
/// [`Conexao::enviar_e_receber`], logo antes de o servidor voltar a esperar
/// dados. No vai e volta isso dá uma leitura e uma escrita por mensagem; com
/// várias mensagens chegando juntas num pacote (pipeline), todos os ecos
/// saem numa escrita só. Cada eco sai inteiro numa escrita, então nenhum
/// espera o algoritmo de Nagle.
pub struct Conexao<S: Read + Write = TcpStream> {
    leitor: LeitorDeMensagens<S>,
    /// Ecos preparados que ainda não foram escritos no socket.
    pendente: Vec<u8>,
}

impl<S: Read + Write> Conexao<S> {
    pub fn nova(socket: S) -> Self {
        Conexao { leitor: LeitorDeMensagens::novo(socket), pendente: Vec::new() }
    }

    /// Escreve no socket os ecos preparados e espera a próxima mensagem.
    ///
    /// A escrita só acontece quando a leitura vai bloquear (nenhuma outra
    /// mensagem completa já está no buffer): senão o cliente esperaria para
    /// sempre pelos ecos, e nós pela próxima mensagem dele.
    pub fn enviar_e_receber(&mut self) -> io::Result<Recebido> {
        if !self.leitor.tem_mensagem_pronta() {
            self.enviar_pendentes()?;
        }
        self.leitor.proxima()
    }

    /// Prepara o eco de `mensagem`, sem escrever: ele sai no próximo
    /// [`Self::enviar_e_receber`] (ou em [`Conexao::encerrar`]).
    pub fn preparar_eco(&mut self, mensagem: &[u8]) {
        codificar_eco(&mut self.pendente, mensagem);
    }

    /// Escreve de uma vez todos os ecos preparados.
    fn enviar_pendentes(&mut self) -> io::Result<()> {
        if !self.pendente.is_empty() {
            if let Err(e) = self.leitor.fonte_mut().write_all(&self.pendente) {
                return Err(match e.kind() {
                    // Com tempo limite de escrita (Parte 4), escrita esgotada
                    // quer dizer que o cliente não lê as respostas. Vira um
                    // erro próprio, para não ser confundido com a leitura
                    // esgotada, que a Parte 4 usa como relógio e não é fatal.
                    ErrorKind::WouldBlock | ErrorKind::TimedOut => io::Error::other(
                        "o cliente não está lendo as respostas (tempo de escrita esgotado)",
                    ),
                    _ => e,
                });
            }
            self.pendente.clear();
        }
        Ok(())
    }

    /// O socket, para ajustar opções (tempo limite) ou clonar.
    pub fn socket(&self) -> &S {
        self.leitor.fonte()
    }
}

impl<S: Read + Write + Borrow<TcpStream>> Conexao<S> {
    /// Escreve os ecos preparados e a linha `aviso` (um `Erro: ...` ou
    /// `Aviso: ...`), e fecha a conexão sem perder essa linha.
    ///
    /// Se o servidor fechasse o socket com dados do cliente ainda não lidos
    /// no buffer, o kernel responderia com RST, e o RST pode apagar do lado
    /// do cliente a linha de aviso antes que ele a leia. Por isso: envia a
    /// linha, fecha só o lado de escrita (o cliente recebe a linha e depois o
    /// fim do fluxo) e descarta o que ainda chegar, por no máximo
    /// [`ESPERA_AO_ENCERRAR`] ou [`DESCARTE_MAXIMO`] bytes. É o "fechamento
    /// demorado" (lingering close) dos servidores HTTP.
    pub fn encerrar(mut self, aviso: &str) -> io::Result<()> {
        self.pendente.extend_from_slice(aviso.as_bytes());
        self.pendente.push(b'\n');
        self.enviar_pendentes()?;
        self.leitor.fonte().borrow().shutdown(Shutdown::Write)?;
        let prazo = Instant::now() + ESPERA_AO_ENCERRAR;
        let mut descartados = 0;
        let mut lixo = [0u8; 8192];
        while descartados < DESCARTE_MAXIMO {
            let resta = prazo.saturating_duration_since(Instant::now());
            if resta.is_zero() {
                break;
            }
            self.leitor.fonte().borrow().set_read_timeout(Some(resta))?;
            match self.leitor.fonte_mut().read(&mut lixo) {
                Ok(0) => break,
                Ok(n) => descartados += n,
                // Tempo esgotado (de uma leitura com relógio, Parte 4): o
                // prazo é que decide quando desistir.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        Ok(())
    }
}
