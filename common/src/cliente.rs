//! O cliente interativo: lê linhas do teclado, envia ao servidor e mostra
//! as respostas, como o `cliente.py` da disciplina.
//!
//! Duas threads auxiliares alimentam a thread principal por canais:
//! - uma lê a entrada padrão, linha a linha;
//! - outra lê as linhas que chegam do servidor.
//!
//! A thread principal espera as duas ao mesmo tempo (`select!`). Assim um
//! `Aviso:` do servidor (inatividade, servidor encerrando) aparece na hora,
//! mesmo com o usuário parado no prompt; o cliente da disciplina só o veria
//! ao enviar a próxima mensagem.

use crate::erros::descrever;
use crate::protocolo::{
    LeitorDeMensagens, Recebido, LIMITE_MENSAGEM, PREFIXO_AVISO, PREFIXO_ECO, PREFIXO_ERRO,
};
use crate::rede::{host_porta, resolver, ArgsAjuda, MODELO_AJUDA, PORTA_PADRAO};
use crate::tempo::agora;
use crate::texto::texto_seguro;
use crossbeam_channel::{bounded, never, select, Receiver};
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

/// Opções do cliente.
#[derive(clap::Parser, Debug, Clone)]
#[command(
    name = "cliente",
    about = "Cliente interativo do servidor Echo: envia cada linha digitada e mostra a resposta",
    after_help = "Digite \"sair\" (ou Ctrl-D; no Windows, Ctrl-Z e Enter) para encerrar.",
    disable_help_flag = true,
    help_template = MODELO_AJUDA
)]
pub struct ArgsCliente {
    /// Nome ou IP do servidor (padrão: localhost)
    #[arg(long, default_value = "localhost", hide_default_value = true)]
    pub host: String,

    /// Porta do servidor (padrão: 5000)
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true)]
    pub porta: u16,

    /// Mostra a hora (com milissegundos) antes de cada evento impresso
    #[arg(long)]
    pub tempo: bool,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Executa uma sessão completa e devolve o código de saída do processo:
/// 0 quando o usuário encerra (`sair` ou fim da entrada), 1 quando a conexão
/// falha ou o servidor a encerra.
pub fn executar(args: &ArgsCliente) -> i32 {
    let tela = Tela { tempo: args.tempo, interativo: io::stdin().is_terminal() };
    let onde = host_porta(&args.host, args.porta);
    // Na saída de erros, para a transcrição (saída padrão) ficar igual à da
    // disciplina. Se o connect demorar (fila de conexões do servidor cheia),
    // o usuário já sabe o que o cliente está esperando.
    tela.aviso(&format!("Conectando a {onde}..."));
    let socket = match conectar(&args.host, args.porta) {
        Ok(socket) => socket,
        Err(motivo) => {
            tela.aviso(&format!(
                "Não foi possível conectar a {onde}: {motivo}. O servidor está rodando? \
                 (ex.: cargo run --bin parte1 -- --porta {})",
                args.porta
            ));
            return 1;
        }
    };
    match sessao(&tela, socket) {
        Ok(codigo) => codigo,
        Err(e) => {
            tela.linha(&format!("Erro na conexão com o servidor: {}", descrever(&e)));
            1
        }
    }
}

/// Tenta cada endereço de `host` (IPv4 primeiro) e devolve o primeiro que
/// aceitar, ou a explicação do último erro.
fn conectar(host: &str, porta: u16) -> Result<TcpStream, String> {
    let enderecos =
        resolver(host, porta).map_err(|_| format!("nome de host desconhecido ({host:?})"))?;
    let mut ultimo_erro = None;
    for endereco in enderecos {
        match TcpStream::connect(endereco) {
            Ok(socket) => return Ok(socket),
            Err(e) => ultimo_erro = Some(e),
        }
    }
    Err(ultimo_erro.map(|e| descrever(&e)).unwrap_or_default())
}

/// Depois de conectado: o diálogo até alguém encerrar.
fn sessao(tela: &Tela, socket: TcpStream) -> io::Result<i32> {
    // Cada mensagem sai numa única escrita; sem Nagle nada fica retido.
    socket.set_nodelay(true)?;
    let respostas = ler_servidor(socket.try_clone()?);
    let linhas = ler_entrada();
    let mut socket = socket;

    tela.linha("Conectado ao servidor Echo");
    tela.linha("Digite \"sair\" para encerrar a conexão");
    tela.vazia();
    tela.prompt();

    let nenhuma_linha = never();
    let mut esperando_resposta = false;
    loop {
        // Enquanto espera a resposta, não lê a próxima linha: a transcrição
        // fica na ordem pergunta, resposta, pergunta...
        let entrada = if esperando_resposta { &nenhuma_linha } else { &linhas };
        select! {
            recv(entrada) -> linha => {
                let Ok(Some(linha)) = linha else {
                    // Fim da entrada (Ctrl-D / Ctrl-Z): encerra como `sair`.
                    let _ = socket.shutdown(Shutdown::Both);
                    tela.fim_da_entrada();
                    tela.linha("Conexão encerrada");
                    return Ok(0);
                };
                tela.entrada_lida(&linha);
                let texto = String::from_utf8_lossy(&linha);
                if texto.trim().eq_ignore_ascii_case("sair") {
                    // Fecha antes de dizer que fechou: quem lê a transcrição
                    // com horários vê o instante real do fechamento.
                    let _ = socket.shutdown(Shutdown::Both);
                    tela.linha("Conexão encerrada");
                    return Ok(0);
                }
                if texto.trim().is_empty() {
                    tela.prompt();
                    continue;
                }
                let mut mensagem = linha;
                mensagem.push(b'\n');
                socket.write_all(&mensagem)?;
                esperando_resposta = true;
            }
            recv(respostas) -> evento => {
                let evento = evento.unwrap_or(Ok(Recebido::Fim))?;
                if !esperando_resposta {
                    // Chegou algo com o usuário parado no prompt.
                    tela.interromper_prompt();
                }
                match evento {
                    Recebido::Mensagem(linha) if linha.starts_with(PREFIXO_ECO.as_bytes()) => {
                        tela.linha(&format!("Resposta: {}", texto_seguro(&linha)));
                        tela.vazia();
                        tela.prompt();
                        esperando_resposta = false;
                    }
                    Recebido::Mensagem(linha) => {
                        let linha = texto_seguro(&linha);
                        if linha.starts_with(PREFIXO_ERRO) || linha.starts_with(PREFIXO_AVISO) {
                            tela.linha(&format!("Servidor: {linha}"));
                        } else {
                            tela.linha(&format!("Servidor enviou uma linha inesperada: {linha}"));
                        }
                        tela.linha("Conexão encerrada pelo servidor");
                        return Ok(1);
                    }
                    Recebido::GrandeDemais => {
                        tela.linha("O servidor enviou uma linha longa demais; conexão encerrada");
                        return Ok(1);
                    }
                    Recebido::Fim | Recebido::Incompleta(_) => {
                        tela.linha("O servidor encerrou a conexão");
                        return Ok(1);
                    }
                }
            }
        }
    }
}

/// Thread que lê a entrada padrão e entrega cada linha (sem `\n`/`\r\n`);
/// `None` no fim da entrada. Lê bytes, não texto: uma entrada que não é
/// UTF-8 válido é enviada como veio.
///
/// O canal tem capacidade 1: com a entrada vinda de um arquivo grande, a
/// thread lê só uma linha à frente, em vez de carregar o arquivo todo.
fn ler_entrada() -> Receiver<Option<Vec<u8>>> {
    let (envia, recebe) = bounded(1);
    thread::spawn(move || {
        let mut entrada = io::stdin().lock();
        loop {
            let mut linha = Vec::new();
            match entrada.read_until(b'\n', &mut linha) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if linha.last() == Some(&b'\n') {
                        linha.pop();
                        if linha.last() == Some(&b'\r') {
                            linha.pop();
                        }
                    }
                    if envia.send(Some(linha)).is_err() {
                        return; // a sessão acabou
                    }
                }
            }
        }
        let _ = envia.send(None);
    });
    recebe
}

/// Thread que lê as linhas do servidor. Termina no fim do fluxo ou no
/// primeiro erro, que também é entregue.
fn ler_servidor(socket: TcpStream) -> Receiver<io::Result<Recebido>> {
    let (envia, recebe) = bounded(16);
    thread::spawn(move || {
        // Uma resposta tem o prefixo `Echo: ` além da mensagem.
        let mut leitor = LeitorDeMensagens::com_limite(socket, LIMITE_MENSAGEM + PREFIXO_ECO.len());
        loop {
            let evento = leitor.proxima();
            let ultimo = !matches!(evento, Ok(Recebido::Mensagem(_)));
            if envia.send(evento).is_err() || ultimo {
                return;
            }
        }
    });
    recebe
}

/// A saída do cliente. Ignora erros de escrita no terminal (ex.: saída
/// redirecionada para um pipe já fechado) em vez de entrar em pânico.
struct Tela {
    /// `--tempo`: cada linha de evento começa com `[hh:mm:ss.mmm] `.
    tempo: bool,
    /// A entrada é um terminal? Se não é (pipe, arquivo), o prompt só é
    /// impresso quando a linha é lida, junto com ela: a transcrição fica
    /// igual à de uma sessão digitada, e o horário do prompt é o do envio.
    interativo: bool,
}

impl Tela {
    fn carimbo(&self) -> String {
        if self.tempo {
            format!("{} ", agora())
        } else {
            String::new()
        }
    }

    fn linha(&self, texto: &str) {
        let mut saida = io::stdout().lock();
        let _ = writeln!(saida, "{}{texto}", self.carimbo());
        let _ = saida.flush();
    }

    fn vazia(&self) {
        let _ = writeln!(io::stdout().lock());
    }

    /// O prompt fica sem quebra de linha, esperando o texto do usuário.
    fn prompt(&self) {
        if self.interativo {
            let mut saida = io::stdout().lock();
            let _ = write!(saida, "{}Digite uma mensagem: ", self.carimbo());
            let _ = saida.flush();
        }
    }

    /// Uma linha foi lida da entrada. No terminal, o eco do que foi
    /// digitado já está na tela; sem terminal, imprime o prompt e a linha.
    fn entrada_lida(&self, linha: &[u8]) {
        if !self.interativo {
            let mut saida = io::stdout().lock();
            let _ =
                writeln!(saida, "{}Digite uma mensagem: {}", self.carimbo(), texto_seguro(linha));
            let _ = saida.flush();
        }
    }

    /// Fim da entrada (Ctrl-D, Ctrl-Z ou fim do arquivo): fecha a linha do prompt.
    fn fim_da_entrada(&self) {
        if self.interativo {
            self.vazia();
        } else {
            self.entrada_lida(b"");
        }
    }

    /// Algo chegou do servidor com o prompt na tela: pula para a linha de baixo.
    fn interromper_prompt(&self) {
        if self.interativo {
            self.vazia();
        }
    }

    /// Mensagens sobre a conexão, na saída de erros.
    fn aviso(&self, texto: &str) {
        let _ = writeln!(io::stderr().lock(), "{}{texto}", self.carimbo());
    }
}
