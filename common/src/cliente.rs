//! O cliente interativo: lê linhas do teclado, envia ao servidor e mostra
//! as respostas, como o `cliente.py` da disciplina.
//!
//! Duas threads auxiliares alimentam a thread principal por canais:
//! - uma lê a entrada (`teclado`): num terminal, com um editor de linha
//!   (setas, histórico, Ctrl-L); num pipe, linha a linha;
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
//!
//! O `connect()`, com o que o cliente diz quando ele falha ou demora, fica
//! em `cliente/conexao.rs`. O que é só do terminal (o editor, quem escreve
//! na tela enquanto alguém digita, restaurar o terminal na saída) fica nos
//! outros arquivos de `cliente/`: não é assunto de sockets, e este arquivo
//! lê igual com ou sem ele.

mod conexao;
mod destino;
mod teclado;
mod tela;
mod terminal;
mod vez;

use crate::erros::descrever;
use crate::linha_de_comando::{faixa, ArgsAjuda, MODELO_AJUDA};
use crate::protocolo::{
    LeitorDeLinhas, Recebido, LIMITE_MENSAGEM, PREFIXO_AVISO, PREFIXO_ECO, PREFIXO_ERRO,
};
use crate::rede::{host_porta, PORTA_PADRAO};
use crate::tempo::{agora, Carimbo};
use crate::texto::texto_seguro;
use conexao::conectar;
use crossbeam_channel::{after, bounded, never, select, Receiver};
use destino::destino;
use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use teclado::{Entrada, Teclado};
use tela::Tela;

/// Linhas digitadas enquanto uma resposta não chega, guardadas para enviar
/// depois dela (e a tela diz isso na hora: "na fila"). Uma mensagem por
/// vez, como no `cliente.py`: cada resposta fica com a sua mensagem, e a
/// espera medida (`Enviada` → `Resposta`, com `--tempo`) é só a do
/// servidor. Acima disso o cliente para de ler o teclado até a resposta.
const LINHAS_GUARDADAS: usize = 64;

/// Com o editor de linha: quanto esperar a resposta antes de mostrar o
/// prompt de novo. Uma resposta que chega antes disso (a de quase todo
/// servidor) sai antes do prompt, como na transcrição da disciplina; numa
/// espera longa (`--atraso`, a fila da Parte 2), o prompt volta para `sair`,
/// Ctrl-D e Ctrl-C valerem, e a resposta aparece acima dele quando chegar.
/// As teclas apertadas antes disso esperam o prompt (ver `teclado`).
const PROMPT_NA_ESPERA: Duration = Duration::from_millis(250);

/// Código de saída com Ctrl-C no prompt: o mesmo de um processo encerrado
/// pelo SIGINT no shell (128 + 2), como o cliente sai sem o editor.
const SAIDA_INTERROMPIDA: i32 = 130;

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
    #[arg(long, default_value = "localhost", hide_default_value = true, value_parser = destino)]
    pub host: String,

    /// Porta do servidor, de 1 a 65535 (padrão: 5000)
    #[arg(long, default_value_t = PORTA_PADRAO, hide_default_value = true,
          value_parser = faixa(1u16, 65_535))]
    pub porta: u16,

    /// Mostra a hora (com milissegundos) de cada evento: envio, resposta, fechamento
    #[arg(long)]
    pub tempo: bool,

    /// Na espera do connect(), só o que acontece, sem a causa provável (o
    /// `cenario --sem-respostas` usa: a causa é a pergunta do roteiro)
    #[arg(long, hide = true)]
    pub sem_explicacoes: bool,

    #[command(flatten)]
    ajuda: ArgsAjuda,
}

/// Executa uma sessão completa e devolve o código de saída do processo:
/// 0 quando o usuário encerra (`sair` ou fim da entrada), 1 quando a conexão
/// falha ou o servidor a encerra, 130 com Ctrl-C.
///
/// Antes de voltar, a tela termina de escrever, o terminal volta ao modo
/// normal e o que ficou digitado é descartado: quem chama pode sair com
/// `std::process::exit`, que não roda destrutores.
pub fn executar(args: &ArgsCliente) -> i32 {
    let mut tela = Tela::nova(args.tempo, io::stdin().is_terminal());
    let onde = host_porta(&args.host, args.porta);
    // Na saída de erros, para a transcrição (saída padrão) ficar igual à da
    // disciplina. Se o connect demorar (fila de conexões do servidor cheia),
    // o usuário já sabe o que o cliente está esperando, e `conectar` explica.
    tela.aviso(agora(), &format!("Conectando a {onde}..."));
    let socket = match conectar(&tela, &args.host, args.porta, !args.sem_explicacoes) {
        Ok(socket) => socket,
        Err(falha) => {
            tela.aviso(agora(), &format!("Não foi possível conectar a {onde}: {falha}"));
            tela.concluir();
            return 1;
        }
    };
    let conectado = agora(); // logo depois de o connect() voltar
    let mut teclado = Teclado::abrir(&mut tela);
    let codigo = match sessao(&tela, &mut teclado, socket, conectado) {
        Ok(codigo) => codigo,
        Err(e) => {
            tela.encerrar();
            tela.linha(agora(), &format!("Erro na conexão com o servidor: {}", descrever(&e)));
            1
        }
    };
    tela.concluir();
    codigo
}

/// Depois de conectado: o diálogo até alguém encerrar.
fn sessao(
    tela: &Tela,
    teclado: &mut Teclado,
    socket: TcpStream,
    conectado: Carimbo,
) -> io::Result<i32> {
    // Cada mensagem sai numa única escrita; sem Nagle nada fica retido.
    socket.set_nodelay(true)?;
    let respostas = ler_servidor(socket.try_clone()?);
    let mut socket = socket;

    tela.linha(conectado, "Conectado ao servidor Echo");
    tela.linha(conectado, "Digite \"sair\" para encerrar a conexão");
    tela.vazia();
    tela.prompt();
    teclado.pedir_linha(false);

    let nenhuma_linha = never();
    // A mensagem enviada cuja resposta ainda não chegou, e desde quando.
    let mut esperando = false;
    let mut enviada_em = Instant::now();
    // Linhas digitadas durante a espera, a enviar depois da resposta.
    let mut guardadas: VecDeque<Vec<u8>> = VecDeque::new();
    loop {
        // No terminal, o teclado é lido mesmo durante a espera: `sair` e
        // Ctrl-D valem na hora (com o editor, ele só lê quando liberado por
        // `pedir_linha`). Com a entrada vinda de um arquivo ou pipe, cada
        // linha é tratada depois da resposta à anterior, como se fosse
        // digitada naquele momento (um roteiro).
        let ler_teclado = teclado.com_editor()
            || !esperando
            || (tela.interativo && guardadas.len() < LINHAS_GUARDADAS);
        let entrada = if ler_teclado { &teclado.entradas } else { &nenhuma_linha };
        // Com o editor: a hora de mostrar o prompt durante uma espera longa.
        let prompt_na_espera = if teclado.com_editor()
            && esperando
            && !teclado.lendo()
            && guardadas.len() < LINHAS_GUARDADAS
        {
            after(PROMPT_NA_ESPERA.saturating_sub(enviada_em.elapsed()))
        } else {
            never()
        };
        select! {
            recv(entrada) -> entrada => {
                teclado.recebida();
                let linhas = match entrada.unwrap_or(Entrada::Fim) {
                    Entrada::Linhas(linhas) => linhas,
                    Entrada::Fim => {
                        tela.fim_da_entrada(agora(), esperando);
                        return Ok(encerrar(tela, &socket, 0));
                    }
                    Entrada::Interrompida => return Ok(encerrar(tela, &socket, SAIDA_INTERROMPIDA)),
                };
                let mut na_fila = 0;
                for linha in linhas {
                    let texto = String::from_utf8_lossy(&linha);
                    if texto.trim().eq_ignore_ascii_case("sair") {
                        tela.entrada_lida(agora(), &linha);
                        return Ok(encerrar(tela, &socket, 0));
                    }
                    if esperando {
                        // Uma linha em branco não enviaria nada: nem entra.
                        if !texto.trim().is_empty() {
                            guardadas.push_back(linha);
                            na_fila += 1;
                        }
                    } else if !enviar(tela, &mut socket, linha)? {
                        tela.prompt();
                    } else {
                        esperando = true;
                        enviada_em = Instant::now();
                    }
                }
                if na_fila > 0 {
                    tela.na_fila(agora(), na_fila);
                }
                if !esperando {
                    teclado.pedir_linha(false);
                }
            }
            recv(prompt_na_espera) -> _ => teclado.pedir_linha(true),
            recv(respostas) -> evento => {
                let (quando, evento) = evento.unwrap_or_else(|_| (agora(), Ok(Recebido::Fim)));
                let evento = evento?;
                if !esperando {
                    // Chegou algo com o usuário parado no prompt.
                    tela.interromper_prompt();
                }
                match evento {
                    Recebido::Mensagem(linha) if linha.starts_with(PREFIXO_ECO.as_bytes()) => {
                        esperando = tela.juntar(|| -> io::Result<bool> {
                            tela.resposta(quando, &linha);
                            // As linhas digitadas durante a espera, uma a uma.
                            while let Some(linha) = guardadas.pop_front() {
                                tela.digitada_na_espera(&linha);
                                if enviar(tela, &mut socket, linha)? {
                                    return Ok(true);
                                }
                            }
                            tela.prompt();
                            Ok(false)
                        })?;
                        if esperando {
                            enviada_em = Instant::now();
                        } else {
                            teclado.pedir_linha(false);
                        }
                    }
                    Recebido::Mensagem(linha) => {
                        tela.encerrar();
                        let linha = texto_seguro(&linha);
                        // `Erro:` e `Aviso:` vêm antes do fechamento do servidor; uma linha
                        // fora do protocolo faz o próprio cliente desistir da conexão.
                        if linha.starts_with(PREFIXO_ERRO) || linha.starts_with(PREFIXO_AVISO) {
                            tela.linha(quando, &format!("Servidor: {linha}"));
                            tela.linha(agora(), "Conexão encerrada pelo servidor");
                        } else {
                            tela.linha(quando, &format!("Servidor enviou uma linha inesperada: {linha}"));
                            tela.linha(agora(), "Encerrando a conexão: o servidor não segue o protocolo");
                        }
                        return Ok(1);
                    }
                    Recebido::GrandeDemais => {
                        tela.encerrar();
                        tela.linha(quando, "O servidor enviou uma linha longa demais; conexão encerrada");
                        return Ok(1);
                    }
                    Recebido::Fim | Recebido::Incompleta(_) => {
                        tela.encerrar();
                        tela.linha(quando, "Conexão encerrada pelo servidor");
                        return Ok(1);
                    }
                }
            }
        }
    }
}

/// O usuário encerrou (`sair`, fim da entrada, Ctrl-C): fecha a conexão e
/// diz que fechou. Fecha antes de dizer: quem lê a transcrição com horários
/// vê o instante real do fechamento.
fn encerrar(tela: &Tela, socket: &TcpStream, codigo: i32) -> i32 {
    let _ = socket.shutdown(Shutdown::Both);
    tela.encerrar();
    tela.linha(agora(), "Conexão encerrada");
    codigo
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
