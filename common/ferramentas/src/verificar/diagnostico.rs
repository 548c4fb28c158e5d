//! Os erros que os alunos cometem, nomeados: o boletim diz a causa, não só
//! o sintoma. Cada diagnóstico sai de uma evidência: o anúncio do servidor
//! ("escutando em localhost:5000"), a saída dele (um `EOFError`, um
//! `Address already in use`), o código-fonte que o comando roda (o
//! `target=atender(conn, addr)`) e o que as verificações mediram.

use super::formato::{duracao, mostrar};
use super::{Classe, Contexto, Resultado, PREFIXO};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Um erro típico, com a explicação para o aluno.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnostico {
    /// `porta_fixa`, `teclado`, `endereco_em_uso`, `thread_chamada`,
    /// `prefixo`, `lento`, `decodifica_pedacos`.
    pub id: &'static str,
    /// A causa nomeada e o que mudar.
    pub texto: String,
    /// Só o que foi observado, sem a causa nem a correção: o que o
    /// `--sem-dicas` mostra (nos exercícios de achar o erro). Vazio: o
    /// diagnóstico inteiro é a resposta, e some.
    #[serde(skip)]
    pub observado: String,
}

impl Diagnostico {
    fn novo(id: &'static str, texto: impl Into<String>) -> Diagnostico {
        Diagnostico { id, texto: texto.into(), observado: String::new() }
    }

    fn com_observado(self, observado: impl Into<String>) -> Diagnostico {
        Diagnostico { observado: observado.into(), ..self }
    }
}

/// As portas que o servidor anunciou na saída: um número depois de `:` ou
/// de "porta"/"port", numa linha que fala de escutar ("escutando em
/// localhost:5000", "listening on port 5000"). Um horário (`13:48:04.416`)
/// não conta: o número dele é seguido de `:` ou de `.` e mais dígitos.
pub fn portas_anunciadas(saida: &str) -> Vec<u16> {
    const PALAVRAS: [&str; 8] =
        ["escut", "ouvindo", "aguardando", "listen", "porta", "port", "servidor", "server"];
    let mut portas = Vec::new();
    for linha in saida.lines().take(30) {
        let minusculas = linha.to_lowercase();
        if !PALAVRAS.iter().any(|p| minusculas.contains(p)) {
            continue;
        }
        let bytes = minusculas.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
                i += 1;
                continue;
            }
            let fim = (i..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
            let antes = minusculas[..i].trim_end();
            let marcada = minusculas[..i].ends_with(':')
                || antes.ends_with("porta")
                || antes.ends_with("port")
                || antes.ends_with("port=");
            let depois = &bytes[fim..];
            let horario = depois.first() == Some(&b':')
                || (depois.first() == Some(&b'.') && depois.get(1).is_some_and(u8::is_ascii_digit));
            if marcada && !horario && (2..=5).contains(&(fim - i)) {
                if let Ok(p @ 1..) = minusculas[i..fim].parse::<u16>() {
                    if !portas.contains(&p) {
                        portas.push(p);
                    }
                }
            }
            i = fim;
        }
    }
    portas
}

/// O servidor escutou em `porta`, não na `pedida` pelo `{porta}`.
pub fn porta_fixa(porta: u16, pedida: u16, anuncio: Option<&str>) -> Diagnostico {
    let como = match anuncio.and_then(|s| s.lines().find(|l| l.contains(&porta.to_string()))) {
        Some(linha) => format!("como ele mesmo anunciou (\"{}\")", linha.trim()),
        None => format!(
            "sem anunciar onde escuta; a {porta}, a porta padrão da disciplina, estava livre antes \
             de ele iniciar e passou a aceitar conexões"
        ),
    };
    let observado = format!(
        "o verificar passou a porta {pedida} (o {{porta}} do comando), e o servidor escutou na \
         {porta}, {como}. As verificações rodaram na {porta}."
    );
    Diagnostico::novo(
        "porta_fixa",
        format!(
            "Porta fixa no código: {observado} Para o servidor usar a porta da linha de comando: \
             PORT = int(sys.argv[1]) if len(sys.argv) > 1 else {porta}."
        ),
    )
    .com_observado(maiuscula(&observado))
}

/// `texto` com a primeira letra maiúscula (o observado sozinho, sem o nome
/// da causa antes).
fn maiuscula(texto: &str) -> String {
    let mut letras = texto.chars();
    letras.next().map(|c| c.to_uppercase().chain(letras).collect()).unwrap_or_default()
}

/// Uma causa conhecida na saída de um servidor que terminou.
pub fn da_saida(saida: &str) -> Option<Diagnostico> {
    if saida.contains("EOFError") {
        return Some(Diagnostico::novo(
            "teclado",
            "O servidor espera o teclado: ele chama input(), e o verificar não tem teclado para \
             dar (a entrada padrão do servidor fica vazia, como a de um serviço). input() \
             encontra o fim da entrada, lança EOFError, e o servidor termina. Um servidor atende \
             a rede, não o teclado: tire o input() do laço do accept() (numa demonstração, quem \
             controla o ritmo são os clientes).",
        ));
    }
    const EM_USO: [&str; 4] = ["Address already in use", "Errno 98", "WinError 10048", "Errno 48"];
    if EM_USO.iter().any(|s| saida.contains(s)) {
        return Some(Diagnostico::novo(
            "endereco_em_uso",
            "Address already in use: o bind() achou a porta ocupada. Ou outro programa escuta \
             nela (outro servidor rodando?), ou ela guarda conexões em TIME-WAIT: quem fecha uma \
             conexão TCP primeiro a mantém uns 60 s nesse estado (para um pacote atrasado não \
             cair numa conexão nova), e enquanto isso um bind() na mesma porta falha, a menos \
             que o socket peça SO_REUSEADDR antes do bind: \
             servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1).",
        ));
    }
    None
}

/// O erro de um servidor que nem chegou a aceitar conexões, sem a causa que
/// a subida acrescenta a ele (o `--sem-dicas`): fica a saída do servidor.
pub fn sem_a_causa(erro: &str) -> String {
    match da_saida(erro) {
        Some(d) => erro.replace(&format!("\n\n{}", d.texto), ""),
        None => erro.to_string(),
    }
}

/// O código-fonte que o comando roda (os arquivos `.py` citados nele), para
/// os erros que só se veem no código.
#[derive(Debug, Default)]
pub struct Fonte {
    arquivos: Vec<(PathBuf, String)>,
}

impl Fonte {
    pub fn do_comando(comando: Option<&str>, pasta: Option<&Path>) -> Fonte {
        let mut fonte = Fonte::default();
        for palavra in comando.unwrap_or_default().split_whitespace() {
            let palavra = palavra.trim_matches(|c| c == '"' || c == '\'');
            if !palavra.to_lowercase().ends_with(".py") {
                continue;
            }
            let caminho = match pasta {
                Some(p) => p.join(palavra),
                None => PathBuf::from(palavra),
            };
            if let Ok(texto) = std::fs::read_to_string(&caminho) {
                fonte.arquivos.push((caminho, texto));
            }
        }
        fonte
    }

    /// A primeira linha com `target=funcao(...)`: a função é chamada ali,
    /// e só o valor que ela devolve vira o alvo da thread.
    pub fn thread_chamada(&self) -> Option<(String, usize, String)> {
        for (caminho, texto) in &self.arquivos {
            for (n, linha) in texto.lines().enumerate() {
                let codigo = linha.split('#').next().unwrap_or_default();
                let Some(p) = codigo.find("target") else { continue };
                let resto = codigo[p + "target".len()..].trim_start();
                let Some(resto) = resto.strip_prefix('=') else { continue };
                let resto = resto.trim_start();
                let nome: String = resto
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .collect();
                if !nome.is_empty() && resto[nome.len()..].trim_start().starts_with('(') {
                    let arquivo = caminho.file_name().map(|f| f.to_string_lossy().into_owned());
                    return Some((arquivo.unwrap_or_default(), n + 1, linha.trim().to_string()));
                }
            }
        }
        None
    }
}

/// O que uma verificação terminada revela de um erro típico.
pub fn do_resultado(r: &Resultado, ctx: &Contexto, fonte: &Fonte) -> Vec<Diagnostico> {
    let mut achados = Vec::new();
    if r.id == "eco" && r.ok.is_some() && ctx.prefixo != PREFIXO {
        let resposta = format!("{}oi", String::from_utf8_lossy(&ctx.prefixo));
        let observado = format!(
            "seu servidor respondeu \"{}\"; a atividade pede \"Echo: oi\". As outras \
             verificações aceitaram o prefixo do seu servidor, para este erro aparecer uma vez só.",
            mostrar(resposta.as_bytes())
        );
        achados.push(
            Diagnostico::novo("prefixo", format!("Prefixo: {observado}"))
                .com_observado(maiuscula(&observado)),
        );
    }
    if r.id == "eco" && r.ok.is_some() && ctx.ritmo.lento() {
        let (primeira, seguinte) = (duracao(ctx.ritmo.primeira), duracao(ctx.ritmo.seguinte));
        let esperou = format!(
            "sozinho, um cliente esperou {primeira} pela primeira resposta e {seguinte} por uma \
             mensagem seguinte"
        );
        let medidas = "Todas as esperas deste boletim foram medidas a partir desses tempos.";
        achados.push(
            Diagnostico::novo(
                "lento",
                format!(
                    "Servidor lento: {esperou} (um time.sleep no atendimento, como a atividade \
                     sugere para ver a concorrência?). {medidas}"
                ),
            )
            .com_observado(format!("{}. {medidas}", maiuscula(&esperou))),
        );
    }
    if r.id == "concorrencia" && r.classe == Some(Classe::Serial) {
        if let Some((arquivo, linha, codigo)) = fonte.thread_chamada() {
            achados.push(Diagnostico::novo(
                "thread_chamada",
                format!(
                    "Serial com threading: {arquivo}, linha {linha}: {codigo}. Os parênteses em \
                     target=atender(conn, addr) chamam atender ali mesmo, na thread principal \
                     (ela só volta quando o cliente sai), e a thread recebe o que a função \
                     devolveu (None). O certo passa a função e os argumentos separados: \
                     threading.Thread(target=atender, args=(conn, addr)).start()."
                ),
            ));
        }
    }
    let saida = r.queda.as_ref().map(|q| q.saida.as_str()).or(r.erro_escrito.as_deref());
    if let Some(d) = saida.and_then(da_saida) {
        achados.push(d);
    }
    if r.id == "caractere_na_fronteira"
        && r.ok == Some(false)
        && saida.is_some_and(|s| s.contains("UnicodeDecodeError"))
    {
        achados.push(Diagnostico::novo(
            "decodifica_pedacos",
            "Decodificar cada pedaço: uma mensagem válida com um \"é\" que caiu entre dois \
             recv() chegou partida, e decode() num pedaço com meio caractere lança \
             UnicodeDecodeError. Junte os bytes até o \\n e decodifique a linha inteira (ou \
             ecoe os bytes sem decodificar).",
        ));
    }
    achados
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn portas_anunciadas_saem_do_anuncio_e_nao_de_um_horario() {
        assert_eq!(portas_anunciadas("Servidor Echo escutando em localhost:5000\n"), [5000]);
        assert_eq!(portas_anunciadas("Listening on port 8080..."), [8080]);
        assert_eq!(portas_anunciadas("servidor ouvindo na porta 6001."), [6001]);
        // Um horário, um endereço do cliente e uma linha que não fala de
        // escutar não anunciam porta nenhuma.
        assert!(portas_anunciadas("[13:48:04.416] servidor: cliente 1").is_empty());
        assert!(portas_anunciadas("Conectado com ('127.0.0.1', 43518)").is_empty());
        assert!(portas_anunciadas("Recebido: 10:30").is_empty());
    }

    fn fonte(texto: &str) -> Fonte {
        Fonte { arquivos: vec![(PathBuf::from("servidor.py"), texto.to_string())] }
    }

    #[test]
    fn thread_chamada_acha_os_parenteses_no_target() {
        let errado =
            "import threading\n\n        threading.Thread(target=atender(conn, addr)).start()\n";
        let (arquivo, linha, codigo) = fonte(errado).thread_chamada().expect("acha o erro");
        assert_eq!((arquivo.as_str(), linha), ("servidor.py", 3));
        assert_eq!(codigo, "threading.Thread(target=atender(conn, addr)).start()");
        assert!(fonte("t = Thread(target = self.atender (c, a))").thread_chamada().is_some());
        // O certo, e o erro só num comentário, não contam.
        assert!(fonte("threading.Thread(target=atender, args=(conn, addr)).start()")
            .thread_chamada()
            .is_none());
        assert!(fonte("# nunca: Thread(target=atender(conn, addr))").thread_chamada().is_none());
    }

    #[test]
    fn causas_conhecidas_na_saida() {
        let teclado = "Traceback...\nEOFError: EOF when reading a line\n";
        assert_eq!(da_saida(teclado).map(|d| d.id), Some("teclado"));
        let em_uso = "OSError: [Errno 98] Address already in use";
        assert_eq!(da_saida(em_uso).map(|d| d.id), Some("endereco_em_uso"));
        let windows = "OSError: [WinError 10048] Normalmente é permitida apenas uma utilização";
        assert_eq!(da_saida(windows).map(|d| d.id), Some("endereco_em_uso"));
        assert!(da_saida("ConnectionResetError: [Errno 104]").is_none());
        // Sem dicas, o erro de subida perde a causa e guarda a saída.
        let erro =
            format!("terminou. A saída dele:\n{teclado}\n\n{}", da_saida(teclado).unwrap().texto);
        assert_eq!(sem_a_causa(&erro), format!("terminou. A saída dele:\n{teclado}"));
    }
}
