//! A entrada do cliente: as linhas que o usuário digita (ou que um roteiro
//! manda por um pipe), entregues à thread principal por um canal.
//!
//! Dois caminhos:
//! - entrada num pipe ou arquivo (e num terminal em que o editor não sabe
//!   desenhar, como `TERM=dumb`): uma thread lê a entrada padrão linha a
//!   linha, em bytes, como sempre;
//! - entrada num terminal: o editor de linha (crate `rustyline`) cuida do
//!   teclado. Setas andam na linha e no histórico, Ctrl-L limpa a tela, e
//!   nenhuma tecla de controle vira mensagem (o terminal do sistema, sozinho,
//!   mandaria `\u{1b}[A` ao servidor quando alguém aperta ↑).

use super::tela::Tela;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::io::{self, BufRead};
use std::thread;

/// O que a thread principal recebe da entrada.
pub enum Entrada {
    /// Uma linha, sem o `\n`/`\r\n`. Várias quando o usuário cola no prompt
    /// um texto com quebras de linha: cada uma é uma mensagem.
    Linhas(Vec<Vec<u8>>),
    /// Fim da entrada: Ctrl-D (Ctrl-Z no Windows) ou fim do arquivo.
    Fim,
    /// Ctrl-C no prompt do editor. (Sem o editor, o Ctrl-C encerra o
    /// processo pelo sinal, como sempre.)
    Interrompida,
}

/// A entrada, do lado da thread principal.
pub struct Teclado {
    /// As linhas, na ordem.
    pub entradas: Receiver<Entrada>,
    /// Com o editor: cada envio permite um `readline` (um prompt na tela);
    /// `true` pede também uma impressora (ver `tela::SaidaDoEditor`). A
    /// thread do teclado nunca volta ao `readline` por conta própria, e
    /// mesmo liberada só entra nele com a licença de `Vez::vai_editar`, que
    /// o fim da sessão nega (ver `vez`).
    liberar: Option<Sender<bool>>,
    /// Um `readline` foi liberado e ainda não entregou sua linha.
    lendo: bool,
}

impl Teclado {
    /// Começa a ler a entrada padrão: com o editor se ela é um terminal que
    /// ele sabe usar (e então `tela` passa a escrever pelo escritor), senão
    /// linha a linha.
    pub fn abrir(tela: &mut Tela) -> Teclado {
        if tela.interativo {
            if let Some(teclado) = editor::abrir(tela) {
                return teclado;
            }
        }
        Teclado { entradas: ler_linhas(), liberar: None, lendo: false }
    }

    /// Com o editor o teclado só é lido quando liberado (ver [`Self::pedir_linha`]).
    pub fn com_editor(&self) -> bool {
        self.liberar.is_some()
    }

    /// Um `readline` foi liberado e ainda não entregou sua linha.
    pub fn lendo(&self) -> bool {
        self.lendo
    }

    /// Com o editor: mostra o prompt e lê a próxima linha, se isso ainda não
    /// foi pedido; `na_espera`: com uma resposta pendente, que pode chegar
    /// com o prompt na tela. Sem o editor, a thread lê por conta própria.
    pub fn pedir_linha(&mut self, na_espera: bool) {
        if let Some(liberar) = &self.liberar {
            if !self.lendo {
                self.lendo = liberar.send(na_espera).is_ok();
            }
        }
    }

    /// Uma entrada chegou: o `readline` que a produziu acabou.
    pub fn recebida(&mut self) {
        self.lendo = false;
    }
}

/// Thread que lê a entrada padrão e entrega cada linha (sem `\n`/`\r\n`);
/// [`Entrada::Fim`] no fim da entrada. Lê bytes, não texto: uma entrada que
/// não é UTF-8 válido é enviada como veio.
///
/// O canal tem capacidade 1: com a entrada vinda de um arquivo grande, a
/// thread lê só uma linha à frente, em vez de carregar o arquivo todo.
fn ler_linhas() -> Receiver<Entrada> {
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
                    if envia.send(Entrada::Linhas(vec![linha])).is_err() {
                        return; // a sessão acabou
                    }
                }
            }
        }
        let _ = envia.send(Entrada::Fim);
    });
    recebe
}

/// O texto que o editor devolveu, como mensagens: uma por linha (um texto
/// colado pode ter várias), sem nenhum caractere de controle (o Ctrl-V do
/// Unix e a colagem podem inseri-los); a tabulação vira espaço.
fn mensagens(texto: &str) -> Vec<Vec<u8>> {
    texto
        .split('\n')
        .map(|linha| {
            let limpa: String = linha
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .filter(|c| !c.is_control())
                .collect();
            limpa.into_bytes()
        })
        .collect()
}

mod editor {
    use super::super::tela::{Impressora, SaidaDoEditor, PROMPT};
    use super::super::terminal;
    use super::super::vez::Vez;
    use super::*;
    use rustyline::completion::Completer;
    use rustyline::config::{BellStyle, Config};
    use rustyline::error::ReadlineError;
    use rustyline::highlight::Highlighter;
    use rustyline::hint::Hinter;
    use rustyline::history::DefaultHistory;
    use rustyline::validate::Validator;
    use rustyline::{Cmd, Context, Editor, ExternalPrinter, Helper, KeyEvent};
    use std::cell::RefCell;
    use std::io::IsTerminal;
    use std::sync::Arc;

    /// Terminais em que o editor não sabe desenhar (o próprio rustyline os
    /// recusa e lê linha a linha, sem avisar): ali o cliente usa o caminho
    /// sem editor, que é o mesmo, só que sabido.
    const TERMINAIS_SEM_EDITOR: [&str; 3] = ["dumb", "cons25", "emacs"];

    /// Prepara o editor e a thread do teclado; `None` se o terminal não
    /// serve para o editor.
    pub fn abrir(tela: &mut Tela) -> Option<Teclado> {
        let termo = std::env::var("TERM").unwrap_or_default();
        if TERMINAIS_SEM_EDITOR.iter().any(|t| t.eq_ignore_ascii_case(&termo)) {
            return None;
        }
        // Sem campainha (o Tab não completa nada) e sem histórico automático:
        // só as linhas com texto entram no histórico. Um Esc sozinho (nada
        // mais em 100 ms) é só Esc, e não faz nada; sem o prazo, ele virava
        // o prefixo "Alt" da tecla seguinte, e uma letra digitada depois dele,
        // mesmo muito depois, sumia. As setas chegam com o Esc numa leitura só.
        let config = Config::builder()
            .bell_style(BellStyle::None)
            .auto_add_history(false)
            .keyseq_timeout(Some(100))
            .build();
        let mut editor: Editor<Vigia, DefaultHistory> = Editor::with_config(config).ok()?;
        remapear_teclas(&mut editor);
        // Antes de qualquer `readline`: o modo a restaurar na saída. Entre um
        // `readline` e outro o terminal fica sem eco e sem sinais: uma tecla
        // apertada nesse meio-tempo espera o próximo prompt (o Ctrl-C e o
        // Ctrl-D inclusive), em vez de aparecer solta na tela.
        let modo = terminal::guardar();
        if let Some(modo) = modo {
            terminal::silenciar(&modo);
            // Um pânico (que não deveria haver) não deixa o terminal mudo.
            let anterior = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                terminal::restaurar(&modo);
                anterior(info);
            }));
        }
        let vez = Arc::new(Vez::nova(modo));
        editor.set_helper(Some(Vigia { vez: Arc::clone(&vez) }));
        let (envia_impressora, impressoras) = bounded(4);
        tela.editor = Some(SaidaDoEditor {
            vez: Arc::clone(&vez),
            impressoras,
            impressora: RefCell::new(None),
            saida_no_terminal: io::stdout().is_terminal(),
        });
        let (liberar, liberado) = bounded(1);
        let (envia, entradas) = bounded(1);
        thread::spawn(move || {
            ler_com_editor(editor, &vez, &liberado, &envia, &envia_impressora);
        });
        Some(Teclado { entradas, liberar: Some(liberar), lendo: false })
    }

    /// Teclas que o editor trataria de um jeito que não serve aqui.
    fn remapear_teclas(editor: &mut Editor<Vigia, DefaultHistory>) {
        // Ctrl-V e Ctrl-Q inserem o próximo caractere cru (até um ESC): no
        // Unix; no Windows o Ctrl-V cola, e continua colando.
        #[cfg(unix)]
        for tecla in ['V', 'Q'] {
            editor.bind_sequence(KeyEvent::ctrl(tecla), Cmd::Noop);
        }
        // No Unix, Ctrl-Z não faz nada: o editor suspenderia o processo e,
        // no `fg`, poria o terminal em modo cru de novo, fora da vez que a
        // thread principal sabe esperar (ver `vez`), e a saída podia deixá-lo
        // cru. No console do Windows, Ctrl-Z é o fim da entrada (como Ctrl-D).
        #[cfg(unix)]
        editor.bind_sequence(KeyEvent::ctrl('Z'), Cmd::Noop);
        #[cfg(windows)]
        editor.bind_sequence(KeyEvent::ctrl('Z'), Cmd::EndOfFile);
    }

    /// O laço da thread do teclado: um `readline` por liberação.
    fn ler_com_editor(
        mut editor: Editor<Vigia, DefaultHistory>,
        vez: &Vez,
        liberado: &Receiver<bool>,
        envia: &Sender<Entrada>,
        impressoras: &Sender<Impressora>,
    ) {
        while let Ok(na_espera) = liberado.recv() {
            if na_espera {
                // Só existe com a saída num terminal; num pipe, escrever
                // direto basta.
                if let Ok(mut impressora) = editor.create_external_printer() {
                    let imprimir = move |texto: String| {
                        let _ = impressora.print(texto);
                    };
                    let _ = impressoras.try_send(Box::new(imprimir));
                }
            }
            if !vez.vai_editar() {
                return; // a sessão acabou: nenhum `readline` novo
            }
            let lido = editor.readline(PROMPT);
            vez.parou_de_editar();
            let entrada = match lido {
                Ok(texto) => {
                    for linha in texto.lines().filter(|l| !l.trim().is_empty()) {
                        let _ = editor.add_history_entry(linha);
                    }
                    Entrada::Linhas(mensagens(&texto))
                }
                Err(ReadlineError::Interrupted) => Entrada::Interrompida,
                // Ctrl-D, ou um erro do terminal: de todo jeito, acabou a
                // entrada.
                Err(_) => Entrada::Fim,
            };
            let ultima = !matches!(entrada, Entrada::Linhas(_));
            if envia.send(entrada).is_err() || ultima {
                return;
            }
        }
    }

    /// O ajudante do editor que só vigia: o rustyline chama [`Hinter::hint`]
    /// a cada vez que redesenha a linha, a primeira delas logo depois de pôr
    /// o terminal em modo cru e antes de desenhar o prompt (ver
    /// [`Vez::comecou_a_editar`]). Não sugere, não completa e não colore nada.
    struct Vigia {
        vez: Arc<Vez>,
    }

    impl Hinter for Vigia {
        type Hint = String;

        fn hint(&self, _linha: &str, _posicao: usize, _contexto: &Context<'_>) -> Option<String> {
            self.vez.comecou_a_editar();
            None
        }
    }

    impl Completer for Vigia {
        type Candidate = String;
    }
    impl Highlighter for Vigia {}
    impl Validator for Vigia {}
    impl Helper for Vigia {}
}

#[cfg(test)]
mod testes {
    use super::mensagens;

    #[test]
    fn teclas_de_controle_nunca_viram_mensagem() {
        assert_eq!(mensagens("oi\u{1b}[A\u{c}\u{0}\r"), vec![b"oi[A".to_vec()]);
        assert_eq!(mensagens("a\tb"), vec![b"a b".to_vec()]);
    }

    #[test]
    fn texto_colado_com_quebras_vira_uma_mensagem_por_linha() {
        assert_eq!(mensagens("um\ndois"), vec![b"um".to_vec(), b"dois".to_vec()]);
    }
}
