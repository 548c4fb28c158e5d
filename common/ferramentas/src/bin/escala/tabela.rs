//! A tabela Markdown da escala.

use ferramentas::figuras::Escala;
use ferramentas::formato::{decimal, inteiro, kib};
use std::fmt::Write as _;

fn opcional(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

pub fn tabela(c: &Escala) -> String {
    let e = &c.execucao;
    let ativas = c.ativas;
    let mut md = String::new();
    let _ = writeln!(md, "# Escala: quanto custa uma conexão aberta\n");
    let _ = writeln!(
        md,
        "Gerado por `{}` em {}. Máquina: {}. Cada ponto inicia o servidor do zero (porta \
         nova), faz um eco de aquecimento e roda o `carga`: {ativas} conexões ativas num laço \
         fechado (vai e volta, mensagens de 32 bytes, {} s medidos depois de {} s de \
         aquecimento) e as demais ociosas, abertas uma por vez, cada uma com um eco ao chegar \
         (a prova de que o servidor a aceitou e atende). A memória é lida no meio da medição, \
         com todas as conexões abertas; \"por conexão\" é a diferença em relação ao servidor \
         aquecido e sem conexões, dividida pelas conexões abertas. Com poucas conexões, o que \
         o servidor aloca uma vez só (buffers, a primeira thread) pesa nessa divisão; o custo \
         de cada conexão aparece de 1.000 em diante. Servidor e gerador de carga dividem a \
         mesma máquina. {} A vazão ainda varia de uma \
         execução a outra nesta máquina compartilhada: ela mostra se as conexões ociosas \
         atrapalham as ativas, não qual servidor é mais rápido (isso é com a `bancada`). A \
         memória quase não varia.\n",
        e.comando,
        ferramentas::formato::duracao(e.segundos),
        e.maquina,
        decimal(e.duracao_s, 1),
        decimal(e.aquecimento_s, 1),
        if e.rodadas == 1 {
            "Uma rodada só: cada número é de uma medida.".to_string()
        } else {
            format!(
                "Em {} rodadas, com a ordem dos servidores girando de uma para outra; cada número \
                 é a mediana das rodadas (os erros, a soma).",
                e.rodadas
            )
        },
    );

    let maior = c.pontos.iter().map(|p| p.conexoes).max().unwrap_or(0);
    let _ = writeln!(md, "## Por conexão, com {} conexões abertas\n", inteiro(f64::from(maior)));
    let _ = writeln!(
        md,
        "| servidor | memória residente por conexão (KiB) | pilha do kernel por conexão (KiB)¹ | \
         threads | msg/s das {ativas} ativas |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for p in c.pontos.iter().filter(|p| p.conexoes == maior) {
        match &p.medida {
            Some(m) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    p.servidor,
                    opcional(m.memoria_por_conexao_kib, kib),
                    opcional(m.pilhas_do_kernel_por_conexao_kib, kib),
                    opcional(m.threads.map(|t| t as f64), inteiro),
                    inteiro(m.mensagens_por_s),
                );
            }
            None => {
                let motivo = uma_linha(p.nao_mediu.as_deref().unwrap_or(""));
                let _ = writeln!(md, "| {} | não mediu: {motivo} | | | |", p.servidor);
            }
        }
    }

    let _ = writeln!(md, "\n## Todas as medidas\n");
    let _ = writeln!(
        md,
        "| servidor | conexões | atendidas | msg/s ({ativas} ativas) | p99 (µs) | memória \
         residente (MiB) | por conexão (KiB) | threads | pilhas do kernel por conexão (KiB)¹ | \
         buffers TCP por conexão (KiB)¹ | abertura (s) | erros |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in &c.pontos {
        let n = inteiro(f64::from(p.conexoes));
        match &p.medida {
            Some(m) => {
                let _ = writeln!(
                    md,
                    "| {} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    p.servidor,
                    inteiro(m.atendidas as f64),
                    inteiro(m.mensagens_por_s),
                    inteiro(m.p99_us),
                    opcional(m.memoria_residente_mib, |x| decimal(x, 1)),
                    opcional(m.memoria_por_conexao_kib, kib),
                    opcional(m.threads.map(|t| t as f64), inteiro),
                    opcional(m.pilhas_do_kernel_por_conexao_kib, kib),
                    opcional(m.buffers_tcp_por_conexao_kib, kib),
                    decimal(m.abertura_s, 1),
                    m.erros,
                );
            }
            None => {
                let motivo = uma_linha(p.nao_mediu.as_deref().unwrap_or(""));
                let _ = writeln!(
                    md,
                    "| {} | {n} | não mediu: {motivo} | | | | | | | | | |",
                    p.servidor
                );
            }
        }
    }
    md.push_str(&notas(c));
    md
}

/// O motivo de um ponto não medido, numa linha de tabela.
fn uma_linha(e: &str) -> String {
    let linha = e.lines().next().unwrap_or("").replace('|', "/");
    let mut curta: String = linha.chars().take(220).collect();
    if curta.len() < linha.len() {
        curta.push('…');
    }
    curta
}

fn notas(c: &Escala) -> String {
    let mut md = String::from("\n");
    let _ = writeln!(
        md,
        "¹ Contas da máquina inteira, não do servidor: `KernelStack` de /proc/meminfo (16 KiB por \
         thread no x86-64, de qualquer processo) e a memória dos buffers TCP de \
         /proc/net/sockstat (os dois lados de cada conexão, servidor e `carga`). Outros \
         processos entram na diferença (inclusive as 2 threads do próprio `carga`, 32 KiB, \
         que pesam com 10 conexões): é uma estimativa, e um valor pequeno ou negativo quer \
         dizer \"nada que se distinga do ruído\". Uma conexão ociosa, com os buffers vazios, \
         quase não ocupa memória de buffer.\n"
    );
    let _ = writeln!(md, "## Limites do sistema\n");
    let _ = writeln!(
        md,
        "- **Descritores de arquivo**: cada conexão é um descritor no `carga` e um no \
         servidor. A escala subiu o próprio limite \
         para {} (`ulimit -n`), herdado pelo servidor e pelo `carga`. Se não couber nem um \
         descritor por conexão, ela para antes de medir e diz o `ulimit -n` a usar; um \
         servidor que precisaria de mais que o limite num ponto não é medido nele, e a linha \
         diz o motivo.",
        inteiro(c.limite_de_arquivos as f64)
    );
    let faixa = match c.portas_efemeras {
        Some((baixa, alta)) => {
            format!("{baixa}–{alta}, {} portas", inteiro(f64::from(alta - baixa + 1)))
        }
        None => "desconhecida".into(),
    };
    let _ = writeln!(
        md,
        "- **Portas efêmeras** (faixa {faixa}; `tcp_tw_reuse` = {}): cada conexão do `carga` \
         ocupa uma porta local, e como é o `carga` quem fecha primeiro, a porta fica 60 s em \
         TIME-WAIT. O Linux só proíbe repetir a quádrupla inteira (origem e destino), e cada \
         ponto inicia o servidor numa porta nova: as conexões de um ponto não colidem com as \
         em TIME-WAIT dos anteriores. Essas portas, porém, ficam reservadas para um `bind()` \
         na porta 0, como o do servidor seguinte: antes de cada ponto, a escala confere \
         quantas há em TIME-WAIT (/proc/net/sockstat) e, se elas mais as do ponto não \
         couberem na faixa com folga de {} portas, espera as mais velhas expirarem. Nesta \
         execução: no máximo {} em TIME-WAIT antes de um ponto; {} s de espera no total. Os \
         pontos vão servidor por servidor, do menor número de conexões ao maior, para os pontos \
         grandes ficarem espaçados.",
        c.tcp_tw_reuse.as_deref().unwrap_or("desconhecido"),
        inteiro(crate::limites::FOLGA_DE_PORTAS as f64),
        inteiro(c.maior_time_wait as f64),
        inteiro(c.espera_por_portas_s),
    );
    md
}
