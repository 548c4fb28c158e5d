//! O porquê de cada falha, para o aluno: o que ela quer dizer em termos de
//! TCP e o que mudar, apontando o trecho do nosso código ou do `RELATO.md`
//! que mostra a correção. A explicação segue o que aconteceu: um servidor
//! que caiu com `UnicodeDecodeError`, um que fechou sem responder e um que
//! não respondeu nunca recebem conselhos diferentes. Os exemplos de
//! correção estão em Python, a linguagem da disciplina; os princípios valem
//! para C e Java.

use super::{Classe, Resultado, Sintoma};

/// Uma explicação: por que importa, e o que mudar.
pub struct Explicacao {
    pub por_que: String,
    pub o_que_mudar: String,
}

fn explicacao(por_que: impl Into<String>, o_que_mudar: impl Into<String>) -> Explicacao {
    Explicacao { por_que: por_que.into(), o_que_mudar: o_que_mudar.into() }
}

/// O título de cada verificação no boletim.
pub fn titulo(id: &str) -> &'static str {
    match id {
        "eco" => "responde \"Echo: \" + a mensagem",
        "acentos" => "devolve acentos e emojis intactos",
        "volta_ao_accept" => "atende um segundo cliente depois do primeiro",
        "fecha_quando_o_cliente_sai" => "fecha a conexão quando o cliente sai",
        "sobrevive_a_reset" => "sobrevive a um cliente que cai (RST)",
        "mensagem_em_pedacos" => "junta uma mensagem que chega em pedaços",
        "duas_mensagens_juntas" => "separa duas mensagens que chegam juntas",
        "bytes_invalidos" => "aguenta bytes que não são UTF-8",
        "mensagem_grande" => "aguenta uma mensagem de 100.000 bytes",
        "caractere_na_fronteira" => "um \"é\" partido entre dois recv() volta inteiro",
        "concorrencia" => "serial ou concorrente?",
        "muitos_clientes" => "100 clientes juntos, cada resposta para quem enviou",
        "cliente_que_nao_le" => "um cliente que não lê não trava os outros",
        "cliente_que_inunda" => "um cliente que inunda não cala os outros",
        _ => "",
    }
}

/// A exceção que o servidor escreveu (a última linha `XyzError: ...` de um
/// traceback do Python, ou um pânico do Rust).
pub fn excecao(r: &Resultado) -> Option<String> {
    let saida = r.queda.as_ref().map(|q| q.saida.as_str()).or(r.erro_escrito.as_deref())?;
    saida
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| {
            let nome = l.split(':').next().unwrap_or_default();
            !nome.contains(' ') && (nome.ends_with("Error") || nome.ends_with("Exception"))
        })
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
}

/// A explicação da falha de `r`, segundo o que aconteceu.
pub fn explicar(r: &Resultado) -> Explicacao {
    let quem = if r.queda.is_some() {
        "derrubou o servidor inteiro"
    } else {
        "matou a thread deste cliente, e a conexão ficou sem resposta"
    };
    match excecao(r).as_deref() {
        Some("UnicodeDecodeError") => {
            return explicacao(
                format!(
                    "dados.decode() num pedaço que não é UTF-8 válido (bytes que não são texto, \
                     ou um caractere partido entre dois recv()) lança UnicodeDecodeError; sem \
                     tratamento, ela {quem}."
                ),
                "ecoe os bytes sem decodificar (só o log precisa de texto: \
                 decode(errors=\"replace\")); se precisar do texto, junte os bytes até o \\n e \
                 decodifique a linha inteira (common/src/protocolo.rs ecoa bytes; \
                 common/src/texto.rs mostra o log).",
            )
        }
        Some(e @ ("ConnectionResetError" | "BrokenPipeError" | "ConnectionAbortedError")) => {
            return explicacao(
                format!(
                    "um cliente pode cair sem se despedir: o kernel dele responde com RST, e o \
                     próximo recv() ou send() do servidor lança {e}; sem tratamento, ela {quem}."
                ),
                "trate os erros de cada conexão (try/except OSError em volta do atendimento de \
                 um cliente), feche aquele socket e volte ao accept() (RELATO.md, Parte 3, \"O \
                 checklist\").",
            )
        }
        Some("EOFError") => {
            return explicacao(
                "o servidor chamou input(), e sem teclado input() lança EOFError.",
                "tire o input() do servidor: quem dita o ritmo são os clientes.",
            )
        }
        _ => {}
    }
    match (r.id, r.sintoma) {
        ("eco", Sintoma::Errada) => explicacao(
            "a atividade pede, para cada mensagem, a resposta \"Echo: \" + a mensagem: é o que o \
             cliente.py da disciplina mostra, e o que um cliente do protocolo espera.",
            "responda b\"Echo: \" + mensagem + b\"\\n\" com um sendall() só (o laço de \
             atendimento em parte1/src/servidor.rs).",
        ),
        ("eco", Sintoma::SemResposta) => explicacao(
            "o servidor aceitou a conexão (o kernel completa o connect() mesmo antes do \
             accept()), mas não respondeu: nenhum outro cliente seria atendido.",
            "confira que o servidor chega ao accept() e ao recv(), e que responde com sendall() \
             (o servidor.py da disciplina, ou parte1/src/servidor.rs).",
        ),
        ("eco", _) => explicacao(
            "o servidor aceitou a conexão e a fechou sem responder: nenhum cliente é atendido.",
            "depois do accept(), leia a mensagem com recv() e responda antes de fechar (o \
             servidor.py da disciplina, ou parte1/src/servidor.rs).",
        ),
        ("acentos", _) => explicacao(
            "texto viaja como bytes (UTF-8): \"ç\" são 2 bytes e \"🙂\" são 4. Decodificar e \
             codificar com outra codificação, ou cortar no meio de um caractere, troca os bytes.",
            "devolva os bytes que chegaram; se decodificar, use UTF-8 nos dois sentidos (o eco \
             de common/src/protocolo.rs trata só bytes).",
        ),
        ("volta_ao_accept", _) => explicacao(
            "um servidor atende muitos clientes na vida: quando um sai, o accept() precisa ser \
             chamado de novo. Se o processo termina (ou trava), os próximos clientes são \
             recusados ou ficam esperando.",
            "ponha o accept() num laço (while True) e, quando recv() devolver b\"\" (o cliente \
             saiu), saia só do laço de atendimento, de volta ao accept() \
             (parte1/src/servidor.rs).",
        ),
        ("fecha_quando_o_cliente_sai", _) => explicacao(
            "quando o cliente fecha, recv() devolve 0 bytes (fim do fluxo). Se o servidor não \
             fecha o socket dele, a conexão fica em CLOSE_WAIT, ocupando um descritor até o \
             processo terminar; com muitos clientes, os descritores acabam.",
            "ao receber b\"\", saia do laço e feche o socket: conn.close(), ou \"with conn:\", \
             que fecha em qualquer caminho; não guarde o socket numa lista global (em Rust, o \
             Drop fecha: atender_cliente em parte3/src/servidor.rs).",
        ),
        ("sobrevive_a_reset", _) => explicacao(
            "um cliente pode cair sem se despedir: o kernel dele responde com RST, e o próximo \
             recv() ou send() do servidor falha (ECONNRESET, ConnectionResetError). O erro de um \
             cliente não pode derrubar o servidor.",
            "trate os erros de cada conexão (try/except OSError em volta do atendimento de um \
             cliente), feche aquele socket e volte ao accept() (RELATO.md, Parte 3, \"O \
             checklist\").",
        ),
        ("concorrencia", _) => explicar_concorrencia(r.classe, r.classe_exigida),
        ("muitos_clientes", Sintoma::Errada) => explicacao(
            "com muitos clientes ao mesmo tempo, cada resposta precisa ir para quem enviou a \
             mensagem. Um dado compartilhado entre threads sem trava (uma variável global) \
             mistura as conversas: uma thread escreve, outra sobrescreve antes do envio.",
            "guarde a mensagem em variáveis locais da função que atende o cliente; o que for \
             mesmo compartilhado, proteja com threading.Lock ou passe por uma fila (RELATO.md, \
             Parte 3, \"O checklist\"; common/src/log.rs).",
        ),
        ("muitos_clientes", _) => explicacao(
            "o aceite da Parte 3 pede um servidor estável com conexões simultâneas: com cem \
             clientes juntos, alguns ficaram sem resposta no prazo.",
            "atenda cada cliente numa thread (o accept() nunca espera um cliente), trate os \
             erros de cada conexão e use uma fila de conexões maior (listen() sem argumento, em \
             vez de listen(1)): parte3/src/servidor.rs.",
        ),
        ("mensagem_em_pedacos" | "duas_mensagens_juntas", _) => explicacao(
            "TCP entrega um fluxo de bytes, sem fronteiras de mensagem: um recv(1024) devolve o \
             que já chegou, que pode ser meia mensagem, ou duas. Tratar cada recv() como uma \
             mensagem dá respostas a mais, ou grudadas.",
            "junte os bytes até o \\n antes de responder (em Python, arquivo = \
             conn.makefile(\"rb\") e arquivo.readline(); common/src/protocolo.rs e RELATO.md, \
             \"Por que mensagens delimitadas por linha\").",
        ),
        ("bytes_invalidos" | "mensagem_grande", Sintoma::Fechou | Sintoma::Resetou) => explicacao(
            "o servidor fechou a conexão sem responder (sem cair): recusar é legítimo, mas o \
             cliente fica sem saber por quê, e um fechamento com dados não lidos chega a ele \
             como RST.",
            "responda uma linha \"Erro: ...\" antes de fechar (\"Erro: mensagem maior que 65536 \
             bytes\", LIMITE_MENSAGEM em common/src/protocolo.rs), ou ecoe os bytes.",
        ),
        ("bytes_invalidos", _) => explicacao(
            "nem todo byte é texto: a mensagem volta trocada, ou não volta.",
            "ecoe os bytes sem decodificar (só o log precisa de texto: \
             decode(errors=\"replace\")), ou responda \"Erro: ...\" e feche \
             (common/src/protocolo.rs ecoa bytes).",
        ),
        ("mensagem_grande", _) => explicacao(
            "uma mensagem maior que o buffer de um recv() chega em vários pedaços, e cada \
             pedaço não é uma mensagem. E um cliente pode mandar uma linha sem fim: sem limite, \
             ela ocupa a memória do servidor.",
            "leia até o \\n com um limite (ex.: arquivo.readline(65537)); acima dele, responda \
             \"Erro: mensagem maior que 65536 bytes\" e feche (LIMITE_MENSAGEM em \
             common/src/protocolo.rs).",
        ),
        ("caractere_na_fronteira", Sintoma::Recusou) => explicacao(
            "a mensagem é UTF-8 válido e pequena: o protocolo a aceita, e recusá-la perde uma \
             mensagem de um cliente correto.",
            "junte os bytes até o \\n e só então decodifique (ou ecoe os bytes): o caractere \
             partido entre dois recv() se completa na linha inteira.",
        ),
        ("caractere_na_fronteira", _) => explicacao(
            "um recv(1024) devolve 1.024 bytes, caia onde cair a fronteira dos caracteres: \"é\" \
             são 2 bytes, e o pedaço pode terminar no meio dele. Quem decodifica cada pedaço \
             recebe meio caractere numa mensagem válida.",
            "junte os bytes até o \\n e decodifique a linha inteira (ou ecoe os bytes sem \
             decodificar: common/src/protocolo.rs).",
        ),
        ("cliente_que_nao_le", _) => explicacao(
            "um cliente que envia sem ler enche os buffers do TCP: o send() para ele bloqueia. \
             Se quem bloqueia é a única thread do servidor (ou o laço de eventos), todos os \
             outros clientes param junto.",
            "uma thread por cliente (parte3/src/servidor.rs), ou sockets não bloqueantes com um \
             buffer de saída por conexão (parte3/poll/src/conexao.rs); no asyncio, await \
             writer.drain() depois de cada write().",
        ),
        ("cliente_que_inunda", _) => explicacao(
            "num laço de eventos, uma conexão que sempre tem dados prende o laço se ele lê cada \
             socket até esvaziar: o cliente leve espera a inundação, que não acaba. Com uma \
             thread por cliente, o escalonador do sistema reparte a CPU.",
            "dê a cada conexão pronta uma vez limitada por volta do laço: uma leitura (um \
             recv()) e as respostas dela, depois a próxima conexão (a `uma_volta` de \
             parte3/poll/src/servidor.rs; no asyncio, um await a cada mensagem).",
        ),
        _ => explicacao("", ""),
    }
}

fn explicar_concorrencia(medida: Option<Classe>, exigida: Option<Classe>) -> Explicacao {
    match medida {
        Some(Classe::Serial) => explicacao(
            "um servidor serial atende um cliente por vez: enquanto um cliente ocioso estiver \
             conectado, os outros esperam sem erro (o kernel completou a conexão e guardou a \
             mensagem deles).",
            "depois do accept(), entregue o socket a uma thread nova, \
             threading.Thread(target=atender, args=(conn, addr)).start(), e volte na hora ao \
             accept() (RELATO.md, Parte 3, \"A estratégia: uma thread por conexão\"; \
             parte3/src/servidor.rs).",
        ),
        Some(Classe::Concorrente) => explicacao(
            "a Parte 2 observa o servidor serial: o segundo cliente conecta (o kernel completa a \
             conexão), mas só é atendido quando o primeiro sai.",
            "use o servidor da Parte 1, sem threads, com listen(1) (RELATO.md, Parte 2; \
             parte2/src/servidor.rs).",
        ),
        None => explicacao(
            "com dois clientes, o servidor não atendeu os dois, nem um depois do outro: ele só \
             serviu um cliente, largou um para atender o outro, ou caiu.",
            if exigida == Some(Classe::Serial) {
                "volte ao accept() quando um cliente sair (veja volta_ao_accept)."
            } else {
                "volte ao accept() quando um cliente sair e atenda cada um numa thread \
                 (parte3/src/servidor.rs)."
            },
        ),
    }
}
