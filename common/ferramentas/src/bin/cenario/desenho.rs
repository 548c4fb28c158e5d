//! Como o cenário se mostra: a transcrição intercalada, a linha do tempo em
//! texto (e em Mermaid) e as respostas às perguntas da atividade.

use crate::analise::{sobreposicao, Analise, Cliente};
use crate::execucao::Foto;
use crate::ordem::{Evento, Origem};
use common::tempo::duracao_legivel;
use common::texto::quantidade;
use std::fmt::Write as _;
use std::time::Duration;

/// Largura da linha do tempo, em colunas.
const COLUNAS: usize = 60;

/// Menor espera desenhada no gráfico Mermaid.
const ESPERA_VISIVEL: Duration = Duration::from_millis(20);

fn rotulo(origem: Origem) -> String {
    match origem {
        Origem::Servidor => "[servidor] ".to_string(),
        Origem::Cliente(n) => format!("[cliente {n}]"),
        Origem::Cenario => "[cenario]  ".to_string(),
    }
}

/// Todas as linhas de todos os processos, em ordem causal (ver `ordem.rs`),
/// cada uma com o rótulo de quem a imprimiu. Linhas vazias ficam de fora.
pub fn transcricao(eventos: &[Evento]) -> String {
    let mut saida = String::new();
    for evento in eventos {
        // A dica "(para conectar...)" do servidor é para humanos; aqui, ruído.
        if evento.texto.starts_with("(para conectar") {
            continue;
        }
        let _ = writeln!(saida, "{} {}", rotulo(evento.origem), evento.texto);
    }
    saida
}

/// `1,5` ou `fim`, como se escreve em `--ss`.
pub fn quando_da_foto(foto: &Foto) -> String {
    match foto {
        Foto::Em(d) => d.as_secs_f64().to_string().replace('.', ","),
        Foto::Fim => "fim".to_string(),
    }
}

/// As fotografias dos sockets (`ss`), cada uma com o seu instante.
pub fn fotos(fotos: &[(Foto, String)]) -> String {
    let mut saida = String::new();
    for (foto, texto) in fotos {
        let quando = match foto {
            Foto::Em(d) => format!("{} s depois do início", segundos(*d)),
            Foto::Fim => "no fim, com os clientes já fora".to_string(),
        };
        let _ = writeln!(saida, "$ ss -tan '( sport = :PORTA or dport = :PORTA )'   # {quando}");
        saida.push_str(texto);
    }
    saida
}

/// Estado de um cliente num instante, para a linha do tempo.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Estado {
    Conectando,
    Esperando,
    Atendido,
}

impl Estado {
    fn simbolo(self) -> char {
        match self {
            Estado::Conectando => '·',
            Estado::Esperando => '░',
            Estado::Atendido => '█',
        }
    }

    fn nome(self) -> &'static str {
        match self {
            Estado::Conectando => "conectando",
            Estado::Esperando => "esperando resposta",
            Estado::Atendido => "conectado e atendido",
        }
    }
}

/// Os trechos (estado, de, até) da vida de um cliente.
pub fn trechos(cliente: &Cliente) -> Vec<(Estado, Duration, Duration)> {
    let mut trechos = Vec::new();
    let conectado = cliente.conectado.unwrap_or(cliente.saida());
    trechos.push((Estado::Conectando, cliente.inicio, conectado));
    let mut cursor = conectado;
    for (de, ate) in cliente.esperas() {
        let de = de.max(cursor);
        trechos.push((Estado::Atendido, cursor, de));
        trechos.push((Estado::Esperando, de, ate.max(de)));
        cursor = ate.max(de);
    }
    if cliente.conectado.is_some() {
        trechos.push((Estado::Atendido, cursor, cliente.saida().max(cursor)));
    }
    trechos.retain(|(_, de, ate)| ate > de);
    trechos
}

/// Uma duração medida com os relógios dos processos, que têm resolução de
/// 1 ms: abaixo disso, só dá para dizer "menos de 1 ms".
fn medida(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        "menos de 1 ms".to_string()
    } else if d < Duration::from_secs(1) {
        duracao_legivel(d)
    } else {
        // Arredondada como os instantes (+0,20 s), para a conta fechar.
        format!("{} s", segundos(d))
    }
}

fn segundos(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64()).replace('.', ",")
}

/// A linha do tempo em texto: uma linha por cliente sobre um eixo comum.
pub fn linha_do_tempo(analise: &Analise) -> String {
    let total = analise
        .clientes
        .iter()
        .map(|c| c.saida())
        .max()
        .unwrap_or_default()
        .max(Duration::from_millis(100));
    let passo = total.as_secs_f64() / COLUNAS as f64;
    let mut saida = String::new();
    let _ = writeln!(
        saida,
        "Linha do tempo (cada coluna = {} s)",
        segundos(Duration::from_secs_f64(passo))
    );
    // Régua: uma marca a cada segundo inteiro.
    let mut regua = vec![' '; COLUNAS + 8];
    let mut s = 0;
    // (+1 ms: um fim em 2,9996 s ainda ganha a marca dos 3 s)
    while (s as f64) <= total.as_secs_f64() + 0.001 {
        let coluna = (s as f64 / passo).round() as usize;
        for (k, c) in format!("{s}s").chars().enumerate() {
            if let Some(lugar) = regua.get_mut(coluna + k) {
                *lugar = c;
            }
        }
        s += 1;
    }
    let _ = writeln!(saida, "            {}", regua.iter().collect::<String>().trim_end());
    for cliente in &analise.clientes {
        // Cada trecho ocupa as colunas que cobre (arredondadas); um trecho
        // menor que meia coluna não aparece, a menos que seja tudo o que há.
        let mut linha = vec![' '; COLUNAS];
        let trechos = trechos(cliente);
        let coluna = |t: Duration| ((t.as_secs_f64() / passo).round() as usize).min(COLUNAS);
        for (estado, de, ate) in &trechos {
            for lugar in &mut linha[coluna(*de)..coluna(*ate).max(coluna(*de))] {
                *lugar = estado.simbolo();
            }
        }
        if let (true, Some((estado, de, _))) = (linha.iter().all(|c| *c == ' '), trechos.first()) {
            linha[coluna(*de).min(COLUNAS - 1)] = estado.simbolo();
        }
        let linha: String = linha.into_iter().collect();
        let marca = if cliente.problema.is_some() { " ✗" } else { "" };
        let _ = writeln!(saida, "cliente {:<3} {}{marca}", cliente.numero, linha.trim_end());
    }
    let _ = writeln!(
        saida,
        "            {} {}   {} {}   {} {}",
        Estado::Conectando.simbolo(),
        Estado::Conectando.nome(),
        Estado::Esperando.simbolo(),
        Estado::Esperando.nome(),
        Estado::Atendido.simbolo(),
        Estado::Atendido.nome()
    );
    saida
}

/// A mesma linha do tempo como um bloco Mermaid `gantt`.
pub fn mermaid(analise: &Analise, titulo: &str) -> String {
    let mut saida = String::new();
    let _ = writeln!(saida, "```mermaid");
    let _ = writeln!(saida, "gantt");
    let _ = writeln!(saida, "    title {titulo}");
    let _ = writeln!(saida, "    dateFormat x");
    let _ = writeln!(saida, "    axisFormat %S,%L s");
    for cliente in &analise.clientes {
        let _ = writeln!(saida, "    section cliente {}", cliente.numero);
        // Em milissegundos; trechos vizinhos do mesmo estado viram um só.
        let mut juntos: Vec<(Estado, u128, u128)> = Vec::new();
        for (estado, de, ate) in trechos(cliente) {
            // Esperas de poucos milissegundos não se veem no gráfico e só
            // alongariam a lista: contam como atendimento.
            let estado = match estado {
                Estado::Esperando if ate - de < ESPERA_VISIVEL => Estado::Atendido,
                outro => outro,
            };
            let (de, ate) = (de.as_millis(), ate.as_millis());
            match juntos.last_mut() {
                Some((anterior, _, fim)) if *anterior == estado => *fim = ate,
                _ if ate > de => juntos.push((estado, de, ate)),
                _ => {}
            }
        }
        for (estado, de, ate) in juntos {
            let marca = if estado == Estado::Esperando { "crit, " } else { "" };
            let _ = writeln!(saida, "    {} :{marca}{de}, {ate}", estado.nome());
        }
    }
    let _ = writeln!(saida, "```");
    saida
}

/// As respostas às perguntas da atividade, medidas.
pub fn respostas(analise: &Analise, codigo_do_servidor: Option<i32>) -> Vec<String> {
    let mut linhas = Vec::new();
    let clientes = &analise.clientes;
    for c in clientes {
        let mut frase = format!("Cliente {}: ", c.numero);
        match c.tempo_de_conexao() {
            Some(t) => {
                let _ = write!(frase, "connect() em {}", medida(t));
            }
            None => frase.push_str("não conectou"),
        }
        if let Some(espera) = c.primeira_espera() {
            let (envio, _) = &c.envios[0];
            let (resposta, _) = &c.respostas[0];
            let _ = write!(frase, "; esperou {} pela primeira resposta", medida(espera));
            if espera >= Duration::from_millis(10) {
                let _ = write!(frase, " (de +{} s a +{} s)", segundos(*envio), segundos(*resposta));
            }
        }
        let _ = write!(
            frase,
            "; conectado de +{} s a +{} s; {}; código de saída {}",
            segundos(c.inicio),
            segundos(c.saida()),
            quantidade(c.respostas.len() as u64, "resposta", "respostas"),
            c.codigo.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
        );
        if let Some(problema) = &c.problema {
            let _ = write!(frase, "; relatou: \"{problema}\"");
        }
        frase.push('.');
        linhas.push(frase);
    }

    let com_problema = |aviso: bool| -> Vec<String> {
        clientes
            .iter()
            .filter(|c| c.problema.as_deref().is_some_and(|p| p.contains("Aviso:") == aviso))
            .map(|c| c.numero.to_string())
            .collect()
    };
    linhas.push(match com_problema(false).as_slice() {
        [] => "Recusa: nenhum cliente foi recusado nem recebeu erro.".to_string(),
        [um] => format!("Recusa: o cliente {um} não foi atendido normalmente (ver acima)."),
        varios => format!(
            "Recusa: os clientes {} não foram atendidos normalmente (ver acima).",
            varios.join(", ")
        ),
    });
    match com_problema(true).as_slice() {
        [] => {}
        [um] => linhas.push(format!(
            "Aviso: o servidor encerrou a conexão do cliente {um} com uma linha de aviso (ver acima)."
        )),
        varios => linhas.push(format!(
            "Aviso: o servidor encerrou as conexões dos clientes {} com uma linha de aviso (ver acima).",
            varios.join(", ")
        )),
    }

    let lentos: Vec<String> = clientes
        .iter()
        .filter(|c| c.tempo_de_conexao().is_some_and(|t| t > Duration::from_millis(500)))
        .map(|c| {
            format!(
                "do cliente {} ({})",
                c.numero,
                medida(c.tempo_de_conexao().unwrap_or_default())
            )
        })
        .collect();
    if !lentos.is_empty() {
        linhas.push(format!(
            "Conexão lenta: o connect() {} demorou: a fila do listen() estava cheia, e o connect() \
             só voltou quando uma nova tentativa do cliente encontrou lugar nela.",
            lentos.join(" e o ")
        ));
    }

    let max_ativas = analise.servidor.max_ativas;
    linhas.push(match sobreposicao(clientes) {
        Some((a, b)) => format!(
            "Atendimento: sobreposto — o cliente {b} recebeu resposta enquanto o cliente {a}, já atendido, \
             continuava conectado; o servidor chegou a atender {} ao mesmo tempo.",
            quantidade(max_ativas as u64, "conexão", "conexões")
        ),
        None if clientes.len() > 1 && max_ativas <= 1 => "Atendimento: serial — nenhum cliente recebeu resposta \
             enquanto outro já atendido continuava conectado, e o servidor nunca atendeu mais de uma conexão \
             ao mesmo tempo: cada cliente esperou o anterior sair."
            .to_string(),
        None if clientes.len() > 1 => format!(
            "Atendimento: o servidor chegou a atender {} ao mesmo tempo, mas nenhum cliente \
             recebeu resposta enquanto outro continuava conectado (roteiro curto demais para sobrepor).",
            quantidade(max_ativas as u64, "conexão", "conexões")
        ),
        None if max_ativas > 1 => format!(
            "Atendimento: um cliente do roteiro; com a conexão de teste, o servidor chegou a \
             atender {} ao mesmo tempo.",
            quantidade(max_ativas as u64, "conexão", "conexões")
        ),
        None => "Atendimento: um cliente só, nada a sobrepor.".to_string(),
    });
    if let Some(codigo) = codigo_do_servidor {
        linhas.push(format!("O servidor terminou sozinho, com código {codigo}."));
    }
    linhas
}
