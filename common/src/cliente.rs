//! O cliente interativo: lê linhas do teclado, envia ao servidor e mostra
//! as respostas, como o `cliente.py` da disciplina.
//!
//! Duas threads auxiliares alimentam a thread principal por canais:
//! - uma lê a entrada padrão, linha a linha;
//! - outra lê as linhas que chegam do servidor.
//!
//! A thread principal espera as duas ao mesmo tempo (`select!`). Assim um
//! `Aviso:` do servidor (inatividade, servidor encerrando) aparece na hora,
//! mesmo com o usuário parado no prompt, e `sair` (ou Ctrl-D) encerra na
//! hora mesmo com uma resposta pendente; o cliente da disciplina só veria o
//! aviso ao enviar a próxima mensagem, e não sairia antes da resposta.
//!
//! Com `--tempo`, cada evento leva a hora em que aconteceu: a mensagem, a
//! hora em que foi enviada; a resposta, a hora em que chegou; o fechamento,
//! a hora do fechamento. Nunca a hora em que um prompt apareceu.

use crate::erros::descrever;
use crate::linha_de_comando::{faixa, ArgsAjuda, MODELO_AJUDA};
use crate::protocolo::{
    LeitorDeLinhas, Recebido, LIMITE_MENSAGEM, PREFIXO_AVISO, PREFIXO_ECO, PREFIXO_ERRO,
};
use crate::rede::{host_porta, resolver, PORTA_PADRAO};
use crate::tempo::{agora, Carimbo};
use crate::texto::texto_seguro;
use crossbeam_channel::{bounded, never, select, Receiver};
use std::collections::VecDeque;
use std::io::{self, BufRead, ErrorKind, IsTerminal, Write};
use std::net::{IpAddr, Shutdown, TcpStream};
use std::thread;

/// Linhas digitadas enquanto uma resposta não chega, guardadas para enviar
/// depois dela. Acima disso o cliente para de ler o teclado até a resposta.
const LINHAS_GUARDADAS: usize = 64;

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

    /// Porta do servidor, de 1 a 65535 (padrão: 5000)
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true,
          value_parser = faixa(1u16, 65_535))]
    pub porta: u16,

    /// Mostra a hora (com milissegundos) de cada evento: envio, resposta, fechamento
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
    tela.aviso(agora(), &format!("Conectando a {onde}..."));
    let socket = match conectar(&args.host, args.porta) {
        Ok(socket) => socket,
        Err(falha) => {
            tela.aviso(agora(), &format!("Não foi possível conectar a {onde}: {falha}"));
            return 1;
        }
    };
    let conectado = agora(); // logo depois de o connect() voltar
    match sessao(&tela, socket, conectado) {
        Ok(codigo) => codigo,
        Err(e) => {
            tela.linha(agora(), &format!("Erro na conexão com o servidor: {}", descrever(&e)));
            1
        }
    }
}

/// Tenta cada endereço de `host` (IPv4 primeiro) e devolve o primeiro que
/// aceitar, ou a explicação do que deu errado, com a dica que cabe.
fn conectar(host: &str, porta: u16) -> Result<TcpStream, String> {
    let Ok(enderecos) = resolver(host, porta) else {
        return Err(format!(
            "o nome {host:?} não foi encontrado (DNS). O nome está certo? \
             Na mesma máquina, use localhost; em outra, o IP dela (ex.: --host 192.168.0.10)."
        ));
    };
    let mut ultimo_erro = io::Error::from(ErrorKind::NotFound);
    for endereco in &enderecos {
        match TcpStream::connect(endereco) {
            Ok(socket) => return Ok(socket),
            Err(e) => ultimo_erro = e,
        }
    }
    let local = enderecos.iter().all(|e| e.ip().is_loopback());
    let dica = match ultimo_erro.kind() {
        ErrorKind::ConnectionRefused if local => {
            format!("O servidor está rodando? (ex.: cargo run --bin parte1 -- --porta {porta})")
        }
        ErrorKind::ConnectionRefused => format!(
            "Nada escuta na porta {porta} dessa máquina para quem vem de fora: o servidor de lá \
             está rodando com --host 0.0.0.0 (com localhost, ele só aceita conexões da própria \
             máquina)? O firewall dela pode também estar recusando."
        ),
        ErrorKind::TimedOut => "A máquina está ligada e na mesma rede? O firewall dela pode \
             estar descartando a conexão (no Windows, permita o programa no Firewall do Windows)."
            .to_string(),
        _ if enderecos.iter().any(|e| e.ip() == IpAddr::from([0, 0, 0, 0])) => {
            "0.0.0.0 é o endereço em que um servidor escuta em todas as interfaces, não um \
             destino: use localhost ou o IP da máquina do servidor."
                .to_string()
        }
        _ => "O servidor está rodando?".to_string(),
    };
    Err(format!("{}. {dica}", descrever(&ultimo_erro)))
}

/// Depois de conectado: o diálogo até alguém encerrar.
fn sessao(tela: &Tela, socket: TcpStream, conectado: Carimbo) -> io::Result<i32> {
    // Cada mensagem sai numa única escrita; sem Nagle nada fica retido.
    socket.set_nodelay(true)?;
    let respostas = ler_servidor(socket.try_clone()?);
    let linhas = ler_entrada();
    let mut socket = socket;

    tela.linha(conectado, "Conectado ao servidor Echo");
    tela.linha(conectado, "Digite \"sair\" para encerrar a conexão");
    tela.vazia();
    tela.prompt();

    let nenhuma_linha = never();
    // A mensagem enviada cuja resposta ainda não chegou.
    let mut esperando = false;
    // Linhas digitadas durante a espera, a enviar depois da resposta.
    let mut guardadas: VecDeque<Vec<u8>> = VecDeque::new();
    loop {
        // No terminal, o teclado é lido mesmo durante a espera: `sair` e
        // Ctrl-D valem na hora. Com a entrada vinda de um arquivo ou pipe,
        // cada linha é tratada depois da resposta à anterior, como se fosse
        // digitada naquele momento (um roteiro).
        let ler_teclado = !esperando || (tela.interativo && guardadas.len() < LINHAS_GUARDADAS);
        let entrada = if ler_teclado { &linhas } else { &nenhuma_linha };
        select! {
            recv(entrada) -> linha => {
                let linha = linha.ok().flatten();
                let texto = linha.as_deref().map(String::from_utf8_lossy);
                let sair = texto.as_deref().is_none_or(|t| t.trim().eq_ignore_ascii_case("sair"));
                if sair {
                    match &linha {
                        Some(linha) => tela.entrada_lida(agora(), linha),
                        None => tela.fim_da_entrada(esperando),
                    }
                    // Fecha antes de dizer que fechou: quem lê a transcrição
                    // com horários vê o instante real do fechamento.
                    let _ = socket.shutdown(Shutdown::Both);
                    tela.linha(agora(), "Conexão encerrada");
                    return Ok(0);
                }
                let linha = linha.expect("sem linha, `sair` é verdadeiro");
                if esperando {
                    guardadas.push_back(linha);
                } else if !enviar(tela, &mut socket, linha)? {
                    tela.prompt();
                } else {
                    esperando = true;
                }
            }
            recv(respostas) -> evento => {
                let (quando, evento) = evento.unwrap_or_else(|_| (agora(), Ok(Recebido::Fim)));
                let evento = evento?;
                if !esperando {
                    // Chegou algo com o usuário parado no prompt.
                    tela.interromper_prompt();
                }
                match evento {
                    Recebido::Mensagem(linha) if linha.starts_with(PREFIXO_ECO.as_bytes()) => {
                        tela.linha(quando, &format!("Resposta: {}", texto_seguro(&linha)));
                        tela.vazia();
                        esperando = false;
                        // As linhas digitadas durante a espera, uma a uma.
                        while let Some(linha) = guardadas.pop_front() {
                            tela.digitada_na_espera(&linha);
                            if enviar(tela, &mut socket, linha)? {
                                esperando = true;
                                break;
                            }
                        }
                        if !esperando {
                            tela.prompt();
                        }
                    }
                    Recebido::Mensagem(linha) => {
                        let linha = texto_seguro(&linha);
                        if linha.starts_with(PREFIXO_ERRO) || linha.starts_with(PREFIXO_AVISO) {
                            tela.linha(quando, &format!("Servidor: {linha}"));
                        } else {
                            tela.linha(quando, &format!("Servidor enviou uma linha inesperada: {linha}"));
                        }
                        tela.linha(agora(), "Conexão encerrada pelo servidor");
                        return Ok(1);
                    }
                    Recebido::GrandeDemais => {
                        tela.linha(quando, "O servidor enviou uma linha longa demais; conexão encerrada");
                        return Ok(1);
                    }
                    Recebido::Fim | Recebido::Incompleta(_) => {
                        tela.linha(quando, "O servidor encerrou a conexão");
                        return Ok(1);
                    }
                }
            }
        }
    }
}

/// Envia `linha` (se não for vazia) como uma mensagem, numa escrita só.
/// Devolve `false` se não havia nada a enviar (linha em branco: a
/// disciplina não define o que fazer, e o cliente dela travaria aqui).
fn enviar(tela: &Tela, socket: &mut TcpStream, linha: Vec<u8>) -> io::Result<bool> {
    let enviada = agora();
    tela.entrada_lida(enviada, &linha);
    if String::from_utf8_lossy(&linha).trim().is_empty() {
        return Ok(false);
    }
    let mut mensagem = linha;
    mensagem.push(b'\n');
    socket.write_all(&mensagem)?;
    mensagem.pop();
    tela.enviada(enviada, &mensagem);
    Ok(true)
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

/// Thread que lê as linhas do servidor e as entrega com a hora em que
/// chegaram. Termina no fim do fluxo ou no primeiro erro, que também é
/// entregue.
fn ler_servidor(socket: TcpStream) -> Receiver<(Carimbo, io::Result<Recebido>)> {
    let (envia, recebe) = bounded(16);
    thread::spawn(move || {
        // Uma resposta tem o prefixo `Echo: ` além da mensagem.
        let mut linhas = LeitorDeLinhas::com_limite(LIMITE_MENSAGEM + PREFIXO_ECO.len());
        let mut socket = socket;
        loop {
            let evento = linhas.proxima(&mut socket);
            let ultimo = !matches!(evento, Ok(Recebido::Mensagem(_)));
            if envia.send((agora(), evento)).is_err() || ultimo {
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
    /// igual à de uma sessão digitada, e a hora da linha é a do envio.
    interativo: bool,
}

impl Tela {
    fn carimbo(&self, quando: Carimbo) -> String {
        if self.tempo {
            format!("{quando} ")
        } else {
            String::new()
        }
    }

    fn linha(&self, quando: Carimbo, texto: &str) {
        let mut saida = io::stdout().lock();
        let _ = writeln!(saida, "{}{texto}", self.carimbo(quando));
        let _ = saida.flush();
    }

    fn vazia(&self) {
        let _ = writeln!(io::stdout().lock());
    }

    /// O prompt fica sem quebra de linha, esperando o texto do usuário. Não
    /// leva hora: o que importa é quando a mensagem sai, não quando o prompt
    /// apareceu.
    fn prompt(&self) {
        if self.interativo {
            let mut saida = io::stdout().lock();
            let _ = write!(saida, "Digite uma mensagem: ");
            let _ = saida.flush();
        }
    }

    /// Uma linha foi lida da entrada. No terminal, o eco do que foi
    /// digitado já está na tela; sem terminal, imprime o prompt e a linha,
    /// com a hora de agora (a do envio).
    fn entrada_lida(&self, quando: Carimbo, linha: &[u8]) {
        if !self.interativo {
            self.linha(quando, &format!("Digite uma mensagem: {}", texto_seguro(linha)));
        }
    }

    /// No terminal: uma linha digitada enquanto a resposta anterior não
    /// chegava vai agora, depois dela; o prompt a mostra no lugar certo.
    fn digitada_na_espera(&self, linha: &[u8]) {
        if self.interativo {
            let _ = writeln!(io::stdout().lock(), "Digite uma mensagem: {}", texto_seguro(linha));
        }
    }

    /// No terminal, com `--tempo`: a hora em que a mensagem saiu, numa
    /// linha própria (a linha digitada não tem como levar a hora).
    fn enviada(&self, quando: Carimbo, mensagem: &[u8]) {
        if self.interativo && self.tempo {
            self.linha(quando, &format!("Enviada: {}", texto_seguro(mensagem)));
        }
    }

    /// Fim da entrada (Ctrl-D, Ctrl-Z ou fim do arquivo): fecha a linha do
    /// prompt, se ele estava na tela.
    fn fim_da_entrada(&self, esperando: bool) {
        if self.interativo {
            if !esperando {
                self.vazia();
            }
        } else {
            self.entrada_lida(agora(), b"");
        }
    }

    /// Algo chegou do servidor com o prompt na tela: pula para a linha de baixo.
    fn interromper_prompt(&self) {
        if self.interativo {
            self.vazia();
        }
    }

    /// Mensagens sobre a conexão, na saída de erros.
    fn aviso(&self, quando: Carimbo, texto: &str) {
        let _ = writeln!(io::stderr().lock(), "{}{texto}", self.carimbo(quando));
    }
}
