//! O protocolo "linha-eco": mensagens delimitadas por `\n` sobre TCP.
//!
//! TCP entrega um fluxo de bytes, não mensagens: uma leitura pode trazer meia
//! mensagem, ou três mensagens de uma vez. O `servidor.py` da disciplina
//! trata cada `recv(1024)` como uma mensagem, e o cliente envia o texto sem
//! terminador: isso só funciona por sorte. Com mensagens curtas e um cliente
//! que espera cada resposta, cada `sendall` costuma chegar num `recv` só,
//! mas o TCP não promete isso; e uma mensagem de mais de 1024 bytes sempre
//! chega em vários `recv`, e o servidor responde a cada pedaço como se fosse
//! uma mensagem.
//!
//! Aqui uma mensagem é uma linha: termina em `\n` (um `\r` logo antes dele
//! é descartado, para aceitar clientes Windows, telnet e `nc -C`). A ideia
//! do [`LeitorDeLinhas`], em três passos:
//! 1. chame `read()` e guarde o que veio;
//! 2. se já há um `\n`, o que vem antes dele é a mensagem (se não, volte ao 1);
//! 3. o que vem depois fica guardado para a próxima chamada.
//!
//! Regras:
//! - para cada mensagem o servidor envia exatamente uma linha
//!   `Echo: <mensagem>\n` ([`eco`]), na ordem, sem alterar nenhum byte (nem
//!   os que não são UTF-8 válido);
//! - uma mensagem com mais de [`LIMITE_MENSAGEM`] bytes não é guardada
//!   inteira: o servidor responde [`erro_mensagem_grande`] e fecha;
//! - uma linha do servidor que não é eco começa com `Erro: ` ou `Aviso: ` e
//!   é seguida do fechamento da conexão ([`fechar_com_aviso`]).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Maior mensagem aceita, em bytes, sem contar o terminador (`\n` ou `\r\n`).
/// Limita a memória que um cliente pode ocupar no servidor.
pub const LIMITE_MENSAGEM: usize = 65_536;

/// Quanto uma leitura (uma chamada de sistema) pede ao kernel, no máximo.
/// Mensagens maiores são montadas em várias leituras.
pub const TAMANHO_DA_LEITURA: usize = 8 * 1024;

/// Prefixo de toda resposta de eco.
pub const PREFIXO_ECO: &str = "Echo: ";
/// Prefixos das linhas que o servidor envia antes de fechar a conexão.
pub const PREFIXO_ERRO: &str = "Erro: ";
pub const PREFIXO_AVISO: &str = "Aviso: ";

/// A linha (sem `\n`) enviada a quem manda uma mensagem grande demais.
pub fn erro_mensagem_grande() -> String {
    format!("{PREFIXO_ERRO}mensagem maior que {LIMITE_MENSAGEM} bytes")
}

/// A resposta a `mensagem`, inteira: `Echo: ` + os mesmos bytes + `\n`.
pub fn eco(mensagem: &[u8]) -> Vec<u8> {
    let mut resposta = Vec::with_capacity(PREFIXO_ECO.len() + mensagem.len() + 1);
    acrescentar_eco(&mut resposta, mensagem);
    resposta
}

/// Acrescenta a resposta a `mensagem` ao fim de `saida` (os laços de eventos
/// juntam várias respostas num buffer de saída).
pub fn acrescentar_eco(saida: &mut Vec<u8>, mensagem: &[u8]) {
    saida.extend_from_slice(PREFIXO_ECO.as_bytes());
    saida.extend_from_slice(mensagem);
    saida.push(b'\n');
}

/// O que o leitor encontrou no fluxo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recebido {
    /// Uma mensagem completa, já sem `\n` (e sem o `\r` que o precedia).
    Mensagem(Vec<u8>),
    /// O outro lado fechou a conexão (fim do fluxo) entre duas mensagens:
    /// o `if not dados` do `servidor.py`.
    Fim,
    /// O outro lado fechou no meio de uma linha: estes bytes não tinham `\n`
    /// e foram descartados.
    Incompleta(usize),
    /// A linha passou de [`LIMITE_MENSAGEM`] bytes; o que veio foi descartado.
    GrandeDemais,
}

/// Lê mensagens de um socket: o `recv` do `servidor.py`, com as fronteiras
/// de mensagem que o TCP não tem.
///
/// Não é dono do socket: cada chamada de [`LeitorDeLinhas::proxima`] o
/// recebe emprestado, e quem chamou continua escrevendo nele. Guarda só os
/// bytes já lidos e ainda não entregues.
pub struct LeitorDeLinhas {
    /// `lidos[inicio..fim]`: o que a última leitura trouxe depois do `\n` da
    /// mensagem entregue (o começo da próxima, ou mensagens inteiras).
    lidos: Box<[u8]>,
    inicio: usize,
    fim: usize,
    enquadrador: Enquadrador,
}

impl LeitorDeLinhas {
    /// Um leitor com o limite do protocolo, [`LIMITE_MENSAGEM`].
    pub fn novo() -> Self {
        Self::com_limite(LIMITE_MENSAGEM)
    }

    /// Um leitor com outro limite (o cliente lê respostas, que têm o
    /// prefixo `Echo: ` a mais).
    pub fn com_limite(limite: usize) -> Self {
        let lidos = Box::default(); // vazio: ver `proxima`
        LeitorDeLinhas { lidos, inicio: 0, fim: 0, enquadrador: Enquadrador::novo(limite) }
    }

    /// Devolve a próxima mensagem, lendo de `socket` quantas vezes precisar.
    /// Se a leitura falhar, o que já chegou fica guardado. Quem usa um prazo
    /// de leitura encerra a conexão quando ele esgota (a Parte 4): no
    /// Windows, depois de um prazo esgotado, o estado do socket fica
    /// indefinido, diz a documentação do `SO_RCVTIMEO`.
    pub fn proxima(&mut self, socket: &mut impl Read) -> io::Result<Recebido> {
        loop {
            // Uma mensagem completa já chegou numa leitura anterior?
            while self.inicio < self.fim {
                let pedaco = &self.lidos[self.inicio..self.fim];
                let (usados, recebido) = self.enquadrador.avancar(pedaco);
                self.inicio += usados;
                if let Some(recebido) = recebido {
                    return Ok(recebido);
                }
            }
            // Não: pede mais bytes ao kernel. O `read` (o `recv` do Python)
            // devolve o que já chegou, de 1 byte até o tamanho pedido: meia
            // mensagem, ou três. Por isso tratar cada `recv(1024)` como uma
            // mensagem, como faz o `servidor.py`, só funciona por sorte:
            // duas mensagens seguidas podem chegar num `recv` só, e uma de
            // mais de 1024 bytes nunca cabe num `recv(1024)`.
            // O buffer nasce na primeira leitura, e de novo depois de um
            // `liberar_se_vazio` (o poll não o guarda em conexões paradas).
            if self.lidos.is_empty() {
                self.lidos = vec![0; TAMANHO_DA_LEITURA].into_boxed_slice();
            }
            self.fim = match socket.read(&mut self.lidos) {
                Ok(0) => return Ok(self.enquadrador.fim()),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.inicio = 0;
        }
    }

    /// Devolve o buffer de leitura se tudo o que ele trouxe já foi entregue
    /// (a próxima leitura cria outro). Para quem guarda milhares de
    /// conexões paradas, como o poll: parada, a conexão não ocupa o buffer.
    pub fn liberar_se_vazio(&mut self) {
        if self.inicio == self.fim {
            self.lidos = Box::default();
        }
    }
}

/// O núcleo do enquadramento, sem nenhuma E/S: recebe os bytes que já
/// chegaram e diz quanto consumiu e se uma mensagem ficou completa.
///
/// Separado da leitura para servir a todos os modelos da Parte 3 (leitura
/// bloqueante, `poll` e async) com as mesmas regras. Só guarda memória
/// enquanto há uma linha pela metade; sem ela, não ocupa nada.
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

    /// Processa o início de `disponivel` (se vazio, nada muda). Devolve quantos
    /// bytes consumiu e, se completou uma, a mensagem (ou `GrandeDemais`).
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

/// Tempo máximo que o servidor espera, depois de um `Erro:`/`Aviso:`, o
/// cliente fechar o lado dele (ver [`fechar_com_aviso`]).
pub const ESPERA_AO_ENCERRAR: Duration = Duration::from_secs(2);

/// Quanto o servidor aceita descartar nesse intervalo antes de desistir.
pub const DESCARTE_MAXIMO: usize = 1024 * 1024;

/// Envia a linha `aviso` (um `Erro: ...` ou `Aviso: ...`) e fecha a conexão
/// sem perder essa linha.
///
/// Se o servidor fechasse o socket com dados do cliente ainda não lidos no
/// buffer, o kernel responderia com RST, e o RST pode apagar do lado do
/// cliente a linha de aviso antes que ele a leia. Por isso: envia a linha,
/// fecha só o lado de escrita (o cliente recebe a linha e depois o fim do
/// fluxo) e descarta o que ainda chegar, até [`DESCARTE_MAXIMO`] bytes ou
/// [`ESPERA_AO_ENCERRAR`] (somado ao prazo da escrita do aviso, no pior caso
/// o dobro). É o "fechamento demorado" (lingering close)
/// dos servidores HTTP. O socket em si é fechado por quem é dono dele. Um
/// cliente que não lê (o buffer de envio cheio) não segura quem fecha: a
/// escrita do aviso também tem o prazo.
pub fn fechar_com_aviso(socket: &TcpStream, aviso: &str) -> io::Result<()> {
    let mut socket = socket;
    socket.set_write_timeout(Some(ESPERA_AO_ENCERRAR))?;
    socket.write_all(format!("{aviso}\n").as_bytes())?;
    socket.shutdown(Shutdown::Write)?;
    descartar_ate_o_fim(socket, Instant::now() + ESPERA_AO_ENCERRAR)
}

/// A segunda metade do fechamento demorado, com o aviso e o FIN já
/// enviados: descarta o que o cliente ainda enviar até ele fechar o lado
/// dele (o fim do fluxo), até `prazo` ou [`DESCARTE_MAXIMO`] bytes, o que
/// vier primeiro. O prazo vale para a espera toda, e não para cada leitura:
/// um cliente que pinga um byte por segundo não a estica. O socket tem de
/// ser bloqueante.
pub fn descartar_ate_o_fim(socket: &TcpStream, prazo: Instant) -> io::Result<()> {
    let mut socket = socket;
    let mut descartados = 0;
    let mut lixo = [0u8; 8192];
    while descartados < DESCARTE_MAXIMO {
        let resta = prazo.saturating_duration_since(Instant::now());
        if resta.is_zero() {
            break;
        }
        socket.set_read_timeout(Some(resta))?;
        match socket.read(&mut lixo) {
            Ok(0) => break,
            Ok(n) => descartados += n,
            // Tempo esgotado (ou um sinal): o prazo é que decide quando desistir.
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
