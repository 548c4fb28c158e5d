//! A saída do cliente: a transcrição (saída padrão) e os avisos sobre a
//! conexão (saída de erros).
//!
//! Com a entrada num pipe (roteiros, `cenario`, testes) ou num terminal sem o
//! editor de linha, a thread principal escreve direto. Com o editor, o prompt
//! e a linha em edição são dele: ver [`SaidaDoEditor`].

use super::terminal;
use super::vez::Vez;
use crate::tempo::Carimbo;
use crate::texto::texto_seguro;
use crossbeam_channel::Receiver;
use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::Arc;

/// O texto do prompt, igual ao do `cliente.py` da disciplina.
pub const PROMPT: &str = "Digite uma mensagem: ";

/// A saída do cliente. Ignora erros de escrita no terminal (ex.: saída
/// redirecionada para um pipe já fechado) em vez de entrar em pânico.
pub struct Tela {
    /// `--tempo`: cada linha de evento começa com `[hh:mm:ss.mmm] `.
    pub tempo: bool,
    /// A entrada é um terminal? Se não é (pipe, arquivo), o prompt só é
    /// impresso quando a linha é lida, junto com ela: a transcrição fica
    /// igual à de uma sessão digitada, e a hora da linha é a do envio.
    pub interativo: bool,
    /// Com o editor de linha: como escrever sem atrapalhar o prompt.
    pub editor: Option<SaidaDoEditor>,
    /// Com o editor: o texto de um evento, juntado para sair numa escrita só
    /// (ver [`Tela::juntar`]).
    lote: RefCell<Option<String>>,
}

impl Tela {
    pub fn nova(tempo: bool, interativo: bool) -> Tela {
        Tela { tempo, interativo, editor: None, lote: RefCell::new(None) }
    }

    fn carimbo(&self, quando: Carimbo) -> String {
        if self.tempo {
            format!("{quando} ")
        } else {
            String::new()
        }
    }

    /// Escreve `texto` na saída padrão: direto, ou pelo editor.
    fn escrever(&self, texto: String) {
        if let Some(lote) = self.lote.borrow_mut().as_mut() {
            lote.push_str(&texto);
            return;
        }
        match &self.editor {
            Some(editor) => editor.escrever(texto),
            None => escrever_direto(&texto),
        }
    }

    /// Com o editor: o que `evento` escreve sai numa escrita só (a resposta
    /// e o `Enviada:` da linha guardada que sai logo depois dela), porque a
    /// impressora do editor escreve uma vez só (ver [`SaidaDoEditor`]).
    pub fn juntar<T>(&self, evento: impl FnOnce() -> T) -> T {
        if self.editor.is_none() {
            return evento();
        }
        *self.lote.borrow_mut() = Some(String::new());
        let resultado = evento();
        let texto = self.lote.borrow_mut().take().unwrap_or_default();
        if !texto.is_empty() {
            self.escrever(texto);
        }
        resultado
    }

    pub fn linha(&self, quando: Carimbo, texto: &str) {
        self.escrever(format!("{}{texto}\n", self.carimbo(quando)));
    }

    pub fn vazia(&self) {
        self.escrever("\n".to_string());
    }

    /// A resposta e a linha vazia que a separa do próximo prompt, numa
    /// escrita só: com o editor, as duas aparecem juntas acima do prompt.
    pub fn resposta(&self, quando: Carimbo, linha: &[u8]) {
        let carimbo = self.carimbo(quando);
        self.escrever(format!("{carimbo}Resposta: {}\n\n", texto_seguro(linha)));
    }

    /// O prompt fica sem quebra de linha, esperando o texto do usuário. Não
    /// leva hora: o que importa é quando a mensagem sai, não quando o prompt
    /// apareceu. Com o editor, quem o mostra é o próprio editor.
    pub fn prompt(&self) {
        if self.interativo && self.editor.is_none() {
            self.escrever(PROMPT.to_string());
        }
    }

    /// Uma linha foi lida da entrada. No terminal, o eco do que foi
    /// digitado já está na tela; sem terminal, imprime o prompt e a linha,
    /// com a hora de agora (a do envio).
    pub fn entrada_lida(&self, quando: Carimbo, linha: &[u8]) {
        if !self.interativo {
            self.linha(quando, &format!("{PROMPT}{}", texto_seguro(linha)));
        }
    }

    /// No terminal sem o editor: uma linha digitada enquanto a resposta
    /// anterior não chegava vai agora, depois dela; o prompt a mostra no
    /// lugar certo. Com o editor ela já está na tela, com o seu prompt.
    pub fn digitada_na_espera(&self, linha: &[u8]) {
        if self.interativo && self.editor.is_none() {
            self.escrever(format!("{PROMPT}{}\n", texto_seguro(linha)));
        }
    }

    /// No terminal: `quantas` linhas digitadas com uma resposta pendente
    /// ficaram guardadas, e só saem depois dela. Dito na hora: sem isso, a
    /// demora pareceria do servidor. A hora (com `--tempo`) é a de agora,
    /// e a do envio vem depois, no `Enviada:` de cada uma.
    pub fn na_fila(&self, quando: Carimbo, quantas: usize) {
        let nota = if quantas == 1 {
            "(na fila: sai quando chegar a resposta anterior)".to_string()
        } else {
            format!(
                "(na fila: {quantas} mensagens; cada uma sai quando chegar a resposta anterior)"
            )
        };
        self.linha(quando, &nota);
    }

    /// No terminal, com `--tempo`: a hora em que a mensagem saiu, numa
    /// linha própria (a linha digitada não tem como levar a hora).
    pub fn enviada(&self, quando: Carimbo, mensagem: &[u8]) {
        if self.interativo && self.tempo {
            self.linha(quando, &format!("Enviada: {}", texto_seguro(mensagem)));
        }
    }

    /// Fim da entrada (Ctrl-D, Ctrl-Z ou fim do arquivo): fecha a linha do
    /// prompt, se ele estava na tela. O editor já pulou a linha sozinho.
    pub fn fim_da_entrada(&self, quando: Carimbo, esperando: bool) {
        if !self.interativo {
            self.entrada_lida(quando, b"");
        } else if !esperando && self.editor.is_none() {
            self.vazia();
        }
    }

    /// Sem o editor: algo chegou do servidor com o prompt na tela; pula para
    /// a linha de baixo. Com o editor, o escritor põe o que chegou acima do
    /// prompt, ou, se a sessão acabou, abaixo da linha em edição.
    pub fn interromper_prompt(&self) {
        if self.interativo && self.editor.is_none() {
            self.vazia();
        }
    }

    /// A sessão acabou: daqui em diante só as últimas linhas. Com o editor,
    /// devolve o terminal ao modo normal (ver [`SaidaDoEditor::encerrar`]).
    /// Pode ser chamada mais de uma vez.
    pub fn encerrar(&self) {
        if let Some(editor) = &self.editor {
            editor.encerrar();
        }
    }

    /// Antes de o processo sair: o terminal no modo normal, e o que foi
    /// digitado e não lido, descartado, para nada sobrar para o shell.
    pub fn concluir(&self) {
        self.encerrar();
        let _ = io::stdout().flush();
        if self.interativo {
            terminal::descartar_entrada();
        }
    }

    /// Mensagens sobre a conexão, na saída de erros.
    pub fn aviso(&self, quando: Carimbo, texto: &str) {
        let _ = writeln!(io::stderr().lock(), "{}{texto}", self.carimbo(quando));
    }
}

fn escrever_direto(texto: &str) {
    let mut saida = io::stdout().lock();
    let _ = saida.write_all(texto.as_bytes());
    let _ = saida.flush();
}

/// Uma impressora do editor (`ExternalPrinter`): apaga o prompt, escreve o
/// texto e redesenha o prompt com o que já foi digitado.
pub type Impressora = Box<dyn FnMut(String) + Send>;

/// A saída com o editor de linha.
///
/// Enquanto nenhum `readline` está ativo, escrever direto basta; a thread do
/// teclado só começa um quando a principal libera (ver `Teclado`), e a
/// principal só libera quando não espera resposta: a resposta rápida sai
/// antes do prompt, como na transcrição da disciplina. Numa espera longa
/// (servidor lento ou ocupado) o prompt aparece, para `sair` e Ctrl-D
/// valerem, junto com uma impressora: a resposta, quando chegar, sai acima
/// dele. Uma impressora por espera, usada uma vez e descartada; fora das
/// esperas longas, nenhum `readline` tem impressora.
pub struct SaidaDoEditor {
    /// De quem é a vez de mexer no terminal; guarda o modo a restaurar.
    pub vez: Arc<Vez>,
    /// As impressoras que a thread do teclado cria antes de um `readline`
    /// numa espera; a última é a que vale.
    pub impressoras: Receiver<Impressora>,
    pub impressora: RefCell<Option<Impressora>>,
    /// A saída padrão é um terminal (e não um pipe, como nos testes).
    pub saida_no_terminal: bool,
}

impl SaidaDoEditor {
    fn escrever(&self, texto: String) {
        self.vez.escrever(|prompt_na_tela| {
            let mut impressora = self.impressora.borrow_mut();
            while let Ok(nova) = self.impressoras.try_recv() {
                *impressora = Some(nova);
            }
            // Usada ou não, a impressora vai embora com esta escrita.
            let impressora = impressora.take();
            if prompt_na_tela && self.saida_no_terminal {
                match impressora {
                    Some(mut imprimir) => imprimir(texto),
                    // O prompt está na tela e não há impressora (uma linha
                    // que o servidor não devia mandar): abaixo dele; o
                    // editor o redesenha na próxima tecla.
                    None => escrever_direto(&format!("\n{texto}")),
                }
            } else {
                escrever_direto(&texto);
            }
        });
    }

    /// Restaura o modo do terminal (o `readline` em curso fica para trás,
    /// parado; ver `vez`) e descarta o que foi digitado e não lido. Se havia
    /// uma linha em edição, pula para baixo dela, para que o que vier depois
    /// não a apague: o que foi digitado pela metade fica na tela, como
    /// estava, e não vai para o shell.
    fn encerrar(&self) {
        self.vez.encerrar(|prompt_na_tela| {
            // O editor liga a "colagem delimitada" no terminal ao começar
            // um `readline` e a desliga ao terminar; este não vai terminar.
            #[cfg(unix)]
            if self.saida_no_terminal {
                escrever_direto("\x1b[?2004l");
            }
            if prompt_na_tela {
                escrever_direto("\n");
            }
            self.impressora.borrow_mut().take();
        });
    }
}
