//! Como o cenário se mostra: a transcrição intercalada, a linha do tempo em
//! texto (e em Mermaid); as respostas estão em `respostas.rs`.

use super::analise::{Analise, Cliente};
use super::execucao::Foto;
use super::ordem::{Evento, Origem};
use apoio::frases::{INSTRUCAO_DE_SAIDA, PARA_CONECTAR};
use common::tempo::sem_carimbo;
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
        // A dica "(para conectar...)" do servidor e a instrução do cliente
        // ("Digite "sair"...") são para quem está no terminal; aqui, ruído.
        if evento.texto.starts_with(PARA_CONECTAR)
            || sem_carimbo(&evento.texto).starts_with(INSTRUCAO_DE_SAIDA)
        {
            continue;
        }
        let _ = writeln!(saida, "{} {}", rotulo(evento.origem), evento.texto);
    }
    saida
}

/// O inverso de [`transcricao`] para uma linha: quem a escreveu e o texto
/// como o processo o escreveu. `None` numa linha que não é da transcrição.
pub fn ler_linha_da_transcricao(linha: &str) -> Option<(Origem, &str)> {
    for origem in [Origem::Servidor, Origem::Cenario] {
        if let Some(texto) = linha.strip_prefix(&rotulo(origem)).and_then(|l| l.strip_prefix(' ')) {
            return Some((origem, texto));
        }
    }
    let (numero, texto) = linha.strip_prefix("[cliente ")?.split_once("] ")?;
    Some((Origem::Cliente(numero.parse().ok()?), texto))
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
    /// O `connect()` ainda não voltou.
    Conectando,
    /// A mensagem foi enviada e o servidor ainda não a leu: está no buffer
    /// do socket, e o servidor cuida de outra coisa (na Parte 2, de outro
    /// cliente). O cliente espera sem que o servidor saiba.
    NaoLida,
    /// O servidor já leu a mensagem e ainda não respondeu (o `--atraso`).
    Preparando,
    /// Esperando resposta, sem o log do servidor para separar as duas
    /// esperas acima.
    Esperando,
    /// Conectado, sem nada pendente.
    Atendido,
}

impl Estado {
    const TODOS: [Estado; 5] = [
        Estado::Conectando,
        Estado::NaoLida,
        Estado::Preparando,
        Estado::Esperando,
        Estado::Atendido,
    ];

    fn simbolo(self) -> char {
        match self {
            Estado::Conectando => '·',
            Estado::NaoLida => '░',
            Estado::Preparando => '▒',
            Estado::Esperando => '▓',
            Estado::Atendido => '█',
        }
    }

    fn nome(self) -> &'static str {
        match self {
            Estado::Conectando => "conectando",
            Estado::NaoLida => "mensagem no buffer do socket, ainda não lida pelo servidor",
            Estado::Preparando => "servidor preparando a resposta",
            Estado::Esperando => "esperando resposta",
            Estado::Atendido => "conectado, nada pendente",
        }
    }
}

/// Marca, no fim da linha, de um cliente que relatou recusa, erro ou aviso.
const MARCA_DE_PROBLEMA: &str = "✗";

/// Os trechos (estado, de, até) da vida de um cliente.
pub fn trechos(cliente: &Cliente) -> Vec<(Estado, Duration, Duration)> {
    let mut trechos = Vec::new();
    let conectado = cliente.conectado.unwrap_or(cliente.saida());
    trechos.push((Estado::Conectando, cliente.inicio, conectado));
    let mut cursor = conectado;
    for espera in cliente.esperas() {
        let de = espera.envio.max(cursor);
        let ate = espera.resposta.max(de);
        trechos.push((Estado::Atendido, cursor, de));
        match espera.lida {
            Some(lida) => {
                let lida = lida.clamp(de, ate);
                trechos.push((Estado::NaoLida, de, lida));
                trechos.push((Estado::Preparando, lida, ate));
            }
            None => trechos.push((Estado::Esperando, de, ate)),
        }
        cursor = ate;
    }
    if cliente.conectado.is_some() {
        trechos.push((Estado::Atendido, cursor, cliente.saida().max(cursor)));
    }
    trechos.retain(|(_, de, ate)| ate > de);
    trechos
}

/// Uma duração medida com os relógios dos processos, que marcam o
/// milissegundo: a diferença de duas marcas, N ms, vale de N - 1 a N + 1 ms.
/// Abaixo de 10 ms, só o limite honesto ("menos de 1 ms" para 0, "menos de
/// 3 ms" para 2); até 1 s, "cerca de N ms"; em segundos, duas casas, como os
/// instantes (+0,20 s), para a conta fechar.
pub fn medida(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10 {
        format!("menos de {} ms", ms + 1)
    } else if d < Duration::from_secs(1) {
        format!("cerca de {ms} ms")
    } else {
        format!("{} s", segundos(d))
    }
}

pub fn segundos(d: Duration) -> String {
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
    // (+ meia coluna: um fim em 2,98 s cai na mesma coluna que os 3 s, e
    // ainda ganha a marca; antes, a mesma execução às vezes parava em "2s")
    while (s as f64) <= total.as_secs_f64() + passo / 2.0 {
        let coluna = (s as f64 / passo).round() as usize;
        for (k, c) in format!("{s}s").chars().enumerate() {
            if let Some(lugar) = regua.get_mut(coluna + k) {
                *lugar = c;
            }
        }
        s += 1;
    }
    let _ = writeln!(saida, "            {}", regua.iter().collect::<String>().trim_end());
    let mut usados = Vec::new();
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
        let marca = if cliente.problema.is_some() {
            format!(" {MARCA_DE_PROBLEMA}")
        } else {
            String::new()
        };
        let _ = writeln!(saida, "cliente {:<3} {}{marca}", cliente.numero, linha.trim_end());
        usados.extend(linha.chars());
    }
    // A legenda: só as marcas que aparecem, em linhas de até ~100 colunas.
    let mut legenda: Vec<String> = Estado::TODOS
        .into_iter()
        .filter(|e| usados.contains(&e.simbolo()))
        .map(|e| format!("{} {}", e.simbolo(), e.nome()))
        .collect();
    if analise.clientes.iter().any(|c| c.problema.is_some()) {
        legenda.push(format!("{MARCA_DE_PROBLEMA} o cliente relatou recusa, erro ou aviso"));
    }
    let mut linha = String::new();
    for item in legenda {
        if !linha.is_empty() && linha.chars().count() + item.chars().count() > 84 {
            let _ = writeln!(saida, "            {linha}");
            linha.clear();
        }
        if !linha.is_empty() {
            linha.push_str("   ");
        }
        linha.push_str(&item);
    }
    let _ = writeln!(saida, "            {linha}");
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
                Estado::NaoLida | Estado::Preparando | Estado::Esperando
                    if ate - de < ESPERA_VISIVEL =>
                {
                    Estado::Atendido
                }
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
            let marca = match estado {
                Estado::NaoLida => "crit, ",
                Estado::Preparando | Estado::Esperando => "active, ",
                _ => "",
            };
            let _ = writeln!(saida, "    {} :{marca}{de}, {ate}", estado.nome());
        }
    }
    let _ = writeln!(saida, "```");
    saida
}
