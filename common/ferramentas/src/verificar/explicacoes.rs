//! O porquê de cada verificação, para o aluno: o que a falha quer dizer em
//! termos de TCP e o que mudar, apontando o trecho do nosso código ou do
//! `RELATO.md` que mostra a correção. Os exemplos de correção estão em
//! Python, a linguagem da disciplina; os princípios valem para C e Java.

use super::Classe;

/// Uma explicação: por que importa, e o que mudar.
pub struct Explicacao {
    pub por_que: &'static str,
    pub o_que_mudar: &'static str,
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
        "concorrencia" => "serial ou concorrente?",
        "muitos_clientes" => "100 clientes juntos, cada resposta para quem enviou",
        "cliente_que_nao_le" => "um cliente que não lê não trava os outros",
        _ => "",
    }
}

/// A explicação de uma falha de `id`. Para `concorrencia`, depende da
/// classe medida e da exigida.
pub fn explicar(id: &str, medida: Option<Classe>, exigida: Option<Classe>) -> Explicacao {
    let (por_que, o_que_mudar) = match id {
        "eco" => (
            "cada mensagem (os bytes até o \\n) recebe uma resposta, \"Echo: \" + a mensagem + \
             \"\\n\": sem isso, nenhum cliente do protocolo entende o servidor.",
            "responda b\"Echo: \" + mensagem + b\"\\n\" com um sendall() só (veja o laço de \
             atendimento em parte1/src/servidor.rs).",
        ),
        "acentos" => (
            "texto viaja como bytes (UTF-8): \"ç\" são 2 bytes e \"🙂\" são 4. Decodificar e \
             codificar com outra codificação, ou cortar no meio de um caractere, troca os bytes.",
            "devolva os bytes que chegaram; se decodificar, use UTF-8 nos dois sentidos (o eco \
             de common/src/protocolo.rs trata só bytes).",
        ),
        "volta_ao_accept" => (
            "um servidor atende muitos clientes na vida: quando um sai, o accept() precisa ser \
             chamado de novo. Se o processo termina (ou trava), os próximos clientes são recusados \
             ou ficam esperando.",
            "ponha o accept() num laço (while True) e, quando recv() devolver b\"\" (o cliente \
             saiu), saia só do laço de atendimento, de volta ao accept() (parte1/src/servidor.rs).",
        ),
        "fecha_quando_o_cliente_sai" => (
            "quando o cliente fecha, recv() devolve 0 bytes (fim do fluxo). Se o servidor não \
             fecha o socket dele, a conexão fica em CLOSE_WAIT, ocupando um descritor até o \
             processo terminar; com muitos clientes, os descritores acabam.",
            "ao receber b\"\", saia do laço e feche o socket: conn.close(), ou \"with conn:\", que \
             fecha em qualquer caminho; não guarde o socket numa lista global (em Rust, o Drop \
             fecha: veja atender_cliente em parte3/src/servidor.rs).",
        ),
        "sobrevive_a_reset" => (
            "um cliente pode cair sem se despedir: o kernel dele responde com RST, e o próximo \
             recv() ou send() do servidor falha (ECONNRESET, ConnectionResetError). O erro de \
             um cliente não pode derrubar o servidor.",
            "trate os erros de cada conexão (try/except OSError em volta do atendimento de um \
             cliente), feche aquele socket e volte ao accept() (RELATO.md, Parte 3, \"O \
             checklist\").",
        ),
        "mensagem_em_pedacos" | "duas_mensagens_juntas" => (
            "TCP entrega um fluxo de bytes, sem fronteiras de mensagem: um recv(1024) devolve o \
             que já chegou, que pode ser meia mensagem, ou duas. Tratar cada recv() como uma \
             mensagem dá respostas a mais, ou grudadas.",
            "junte os bytes até o \\n antes de responder (em Python, arquivo = \
             conn.makefile(\"rb\") e arquivo.readline(); veja common/src/protocolo.rs e \
             RELATO.md, \"Por que mensagens delimitadas por linha\").",
        ),
        "bytes_invalidos" => (
            "nem todo byte é texto: com bytes que não são UTF-8, dados.decode() lança \
             UnicodeDecodeError, que sem tratamento derruba a thread ou o servidor (e o cliente \
             fica sem resposta).",
            "ecoe os bytes sem decodificar (só o log precisa de texto: \
             decode(errors=\"replace\")), ou responda \"Erro: ...\" e feche (common/src/protocolo.rs \
             ecoa bytes; common/src/texto.rs mostra o log).",
        ),
        "mensagem_grande" => (
            "uma mensagem maior que o buffer de um recv() chega em vários pedaços, e cada \
             pedaço não é uma mensagem. E um cliente pode mandar uma linha sem fim: sem limite, \
             ela ocupa a memória do servidor.",
            "leia até o \\n com um limite (ex.: arquivo.readline(65537)); acima dele, responda \
             \"Erro: mensagem maior que 65536 bytes\" e feche (LIMITE_MENSAGEM em \
             common/src/protocolo.rs).",
        ),
        "concorrencia" => return explicar_concorrencia(medida, exigida),
        "muitos_clientes" => (
            "com muitos clientes ao mesmo tempo, cada resposta precisa ir para quem enviou a \
             mensagem. Um dado compartilhado entre threads sem trava (uma variável global) \
             mistura as conversas: uma thread escreve, outra sobrescreve antes do envio.",
            "guarde a mensagem em variáveis locais da função que atende o cliente; o que for \
             mesmo compartilhado, proteja com threading.Lock ou passe por uma fila (RELATO.md, \
             Parte 3, \"O checklist\"; common/src/log.rs).",
        ),
        "cliente_que_nao_le" => (
            "um cliente que envia sem ler enche os buffers do TCP: o send() para ele bloqueia. \
             Se quem bloqueia é a única thread do servidor (ou o laço de eventos), todos os outros \
             clientes param junto.",
            "uma thread por cliente (parte3/src/servidor.rs), ou sockets não bloqueantes com um \
             buffer de saída por conexão (parte3/poll/src/servidor.rs); no asyncio, await \
             writer.drain() depois de cada write().",
        ),
        _ => ("", ""),
    };
    Explicacao { por_que, o_que_mudar }
}

fn explicar_concorrencia(medida: Option<Classe>, exigida: Option<Classe>) -> Explicacao {
    match (medida, exigida) {
        (Some(Classe::Serial), _) => Explicacao {
            por_que: "um servidor serial atende um cliente por vez: enquanto um cliente ocioso \
                      estiver conectado, os outros esperam sem erro (o kernel completou a \
                      conexão e guardou a mensagem deles).",
            o_que_mudar: "depois do accept(), entregue o socket a uma thread nova e volte na \
                          hora ao accept() (RELATO.md, Parte 3, \"A estratégia: uma thread por \
                          conexão\"; parte3/src/servidor.rs).",
        },
        (Some(Classe::Concorrente), _) => Explicacao {
            por_que: "a Parte 2 observa o servidor serial: o segundo cliente conecta (o kernel \
                      completa a conexão), mas só é atendido quando o primeiro sai.",
            o_que_mudar: "use o servidor da Parte 1, sem threads, com listen(1) (RELATO.md, \
                          Parte 2; parte2/src/servidor.rs).",
        },
        (None, _) => Explicacao {
            por_que: "o segundo cliente não foi atendido nem depois que o primeiro saiu: o \
                      servidor só serviu um cliente, ou caiu.",
            o_que_mudar: if exigida == Some(Classe::Serial) {
                "volte ao accept() quando um cliente sair (veja volta_ao_accept)."
            } else {
                "volte ao accept() quando um cliente sair e atenda cada um numa thread \
                 (parte3/src/servidor.rs)."
            },
        },
    }
}
