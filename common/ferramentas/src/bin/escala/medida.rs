//! Um ponto da escala: um servidor iniciado do zero, aquecido com um eco,
//! medido em repouso; o `carga` com as conexões pedidas; e o servidor medido
//! de novo no meio da medição, com todas elas abertas.

use anyhow::{anyhow, bail, Context, Result};
use ferramentas::carga::Relatorio;
use ferramentas::figuras::MedidaDaEscala;
use ferramentas::medidos::Medido;
use ferramentas::processo::{Processo, Saida};
use ferramentas::sistema::{self, SocketsTcp};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// Conexões ativas em todo ponto (num laço fechado, vai e volta); as demais
/// ficam ociosas.
pub const ATIVAS: u32 = 10;

/// Prazo para o `carga` abrir todas as conexões (10.000, uma por vez, cada
/// uma com um eco: uns segundos; uma máquina muito ocupada pode levar mais).
const PRAZO_DA_LARGADA: Duration = Duration::from_secs(330);
/// Prazo para o `carga` terminar depois da medição (despedida das conexões).
const PRAZO_DO_FIM: Duration = Duration::from_secs(120);
/// Prazo do eco de aquecimento.
const PRAZO_DO_AQUECIMENTO: Duration = Duration::from_secs(10);
/// Depois do eco de aquecimento, tempo para o servidor fechar a conexão
/// (na parte3, a thread dela terminar) antes da medida em repouso.
const ASSENTAR: Duration = Duration::from_millis(200);

/// Tempos do `carga` em cada ponto.
#[derive(Clone, Copy)]
pub struct Tempos {
    pub duracao: f64,
    pub aquecimento: f64,
}

/// O que se lê do servidor e da máquina num instante.
#[derive(Clone, Copy, Debug, Default)]
pub struct Amostra {
    /// Memória residente do servidor (VmRSS), em KiB.
    pub rss_kib: Option<u64>,
    pub threads: Option<u64>,
    /// Da máquina inteira: pilhas de kernel (KiB) e sockets TCP.
    pub pilhas_kib: Option<i64>,
    pub sockets: Option<SocketsTcp>,
}

impl Amostra {
    fn ler(servidor: &Processo) -> Amostra {
        Amostra {
            rss_kib: servidor.campo_de_status("VmRSS:"),
            threads: servidor.campo_de_status("Threads:"),
            pilhas_kib: sistema::pilhas_do_kernel_kib(),
            sockets: sistema::sockets_tcp(),
        }
    }
}

/// O resultado de um ponto.
#[derive(Clone, Debug)]
pub struct Medida {
    pub carga: Relatorio,
    /// O servidor aquecido, sem conexões.
    pub antes: Amostra,
    /// No meio da medição, com todas as conexões abertas.
    pub cheio: Amostra,
    /// Segundos para o `carga` abrir todas as conexões (com os ecos).
    pub abertura_s: f64,
}

impl Medida {
    /// As medianas de várias rodadas do mesmo ponto: vazão, p99, memória e
    /// tempo de abertura, cada um a mediana do seu; os erros, somados; as
    /// conexões atendidas, as da pior rodada. As amostras de memória são as
    /// da rodada com a memória por conexão mediana (quase não variam).
    pub fn mediana(mut rodadas: Vec<Medida>) -> Medida {
        use ferramentas::formato::mediana;
        let vazao = mediana(rodadas.iter().map(|m| m.carga.mensagens_por_s).collect());
        let p99 = mediana(rodadas.iter().map(|m| m.carga.p99_us as f64).collect());
        let abertura = mediana(rodadas.iter().map(|m| m.abertura_s).collect());
        let mut contas = ferramentas::carga::Contas::default();
        for m in &rodadas {
            contas.somar(m.carga.contas.clone());
        }
        contas.atendidos = rodadas.iter().map(|m| m.carga.contas.atendidos).min().unwrap_or(0);
        contas.ociosos_atendidos =
            rodadas.iter().map(|m| m.carga.contas.ociosos_atendidos).min().unwrap_or(0);
        // As contas da máquina inteira (pilhas, buffers TCP) são as mais
        // ruidosas: cada diferença é a mediana das diferenças.
        let delta = |f: &dyn Fn(&Amostra) -> Option<i64>| -> Option<i64> {
            let v: Option<Vec<f64>> =
                rodadas.iter().map(|m| Some((f(&m.cheio)? - f(&m.antes)?) as f64)).collect();
            v.map(|v| mediana(v) as i64)
        };
        let pilhas = delta(&|a| a.pilhas_kib);
        let paginas = delta(&|a| a.sockets.map(|s| s.paginas));
        let rss =
            |m: &Medida| m.cheio.rss_kib.unwrap_or(0) as i64 - m.antes.rss_kib.unwrap_or(0) as i64;
        rodadas.sort_by_key(rss);
        let meio = rodadas.len() / 2;
        let mut base = rodadas.swap_remove(meio);
        if let (Some(d), Some(antes)) = (pilhas, base.antes.pilhas_kib) {
            base.cheio.pilhas_kib = Some(antes + d);
        }
        if let (Some(d), Some(antes), Some(cheio)) =
            (paginas, base.antes.sockets, base.cheio.sockets.as_mut())
        {
            cheio.paginas = antes.paginas + d;
        }
        base.carga.mensagens_por_s = vazao;
        base.carga.p99_us = p99 as u64;
        base.carga.contas = contas;
        base.abertura_s = abertura;
        base
    }

    /// Os números do ponto (com `conexoes` conexões abertas), como a
    /// tabela e o JSON os mostram.
    pub fn resumo(&self, conexoes: u32) -> MedidaDaEscala {
        MedidaDaEscala {
            atendidas: self.atendidas(),
            mensagens_por_s: self.carga.mensagens_por_s,
            p99_us: self.carga.p99_us as f64,
            memoria_residente_mib: self.cheio.rss_kib.map(|k| k as f64 / 1024.0),
            memoria_por_conexao_kib: self.rss_por_conexao_kib(conexoes),
            threads: self.cheio.threads,
            pilhas_do_kernel_por_conexao_kib: self.pilhas_por_conexao_kib(conexoes),
            buffers_tcp_por_conexao_kib: self.sockets_por_conexao_kib(conexoes),
            abertura_s: self.abertura_s,
            erros: self.carga.erros(),
        }
    }

    /// Conexões abertas que o servidor atendeu: as ativas que receberam
    /// resposta e as ociosas cujo eco voltou.
    pub fn atendidas(&self) -> u64 {
        self.carga.contas.atendidos + self.carga.contas.ociosos_atendidos
    }

    /// Quanto a memória residente do servidor cresceu por conexão, em KiB.
    pub fn rss_por_conexao_kib(&self, conexoes: u32) -> Option<f64> {
        let (a, d) = (self.antes.rss_kib?, self.cheio.rss_kib?);
        Some((d as f64 - a as f64) / f64::from(conexoes))
    }

    /// Quanto as pilhas de kernel da máquina cresceram por conexão, em KiB.
    pub fn pilhas_por_conexao_kib(&self, conexoes: u32) -> Option<f64> {
        let (a, d) = (self.antes.pilhas_kib?, self.cheio.pilhas_kib?);
        Some((d - a) as f64 / f64::from(conexoes))
    }

    /// Quanto a memória dos buffers TCP da máquina cresceu por conexão, em
    /// KiB (os dois lados de cada conexão, cliente e servidor, entram).
    pub fn sockets_por_conexao_kib(&self, conexoes: u32) -> Option<f64> {
        let (a, d) = (self.antes.sockets?, self.cheio.sockets?);
        Some(((d.paginas - a.paginas) * sistema::pagina_kib()) as f64 / f64::from(conexoes))
    }
}

/// Um eco numa conexão nova, que depois fecha: o servidor sai do estado de
/// recém-iniciado (a primeira thread, os primeiros buffers) antes da medida
/// em repouso, para que o custo de "começar a atender" não seja dividido
/// pelas conexões do ponto.
fn aquecer(porta: u16) -> Result<()> {
    let endereco = std::net::SocketAddr::from(([127, 0, 0, 1], porta));
    let mut socket = TcpStream::connect_timeout(&endereco, PRAZO_DO_AQUECIMENTO)
        .context("conectar para o eco de aquecimento")?;
    socket.set_read_timeout(Some(PRAZO_DO_AQUECIMENTO))?;
    socket.write_all(b"aquecimento\n")?;
    let mut resposta = String::new();
    BufReader::new(&socket).read_line(&mut resposta).context("ler o eco de aquecimento")?;
    if resposta != "Echo: aquecimento\n" {
        bail!("eco de aquecimento inesperado: {resposta:?}");
    }
    Ok(())
}

pub fn medir(pasta: &Path, servidor: &Medido, conexoes: u32, tempos: Tempos) -> Result<Medida> {
    let programa = ferramentas::binarios::caminho(pasta, servidor.binario)?;
    let mut args = servidor.args(crate::OPCOES);
    args.extend(["--host".to_string(), "127.0.0.1".to_string()]);
    let processo = Processo::servidor(&programa, &args, Saida::Descartar)?;
    aquecer(processo.porta)?;
    thread::sleep(ASSENTAR);
    let antes = Amostra::ler(&processo);
    let ativas = conexoes.min(ATIVAS);
    let carga_args: Vec<String> = [
        "--host",
        "127.0.0.1",
        "--porta",
        &processo.porta.to_string(),
        "--clientes",
        &ativas.to_string(),
        "--ociosos",
        &(conexoes - ativas).to_string(),
        "--duracao",
        &tempos.duracao.to_string(),
        "--aquecimento",
        &tempos.aquecimento.to_string(),
        "--json",
        "--anunciar-largada",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let inicio = Instant::now();
    let mut carga = Processo::iniciar(
        &ferramentas::binarios::caminho(pasta, "carga")?,
        &carga_args,
        Saida::Guardar,
    )?;
    carga
        .esperar(|l| l == "carga: largada", 1, PRAZO_DA_LARGADA)
        .map_err(|e| anyhow!("o carga não abriu as {conexoes} conexões: {e:#}"))?;
    let abertura_s = inicio.elapsed().as_secs_f64();
    // No meio da parte medida: todas as conexões abertas, as ativas em plena
    // troca de mensagens.
    thread::sleep(Duration::from_secs_f64(tempos.aquecimento + tempos.duracao / 2.0));
    let cheio = Amostra::ler(&processo);
    if carga.esperar_fim(PRAZO_DO_FIM)?.is_none() {
        bail!("o carga não terminou em {} s", PRAZO_DO_FIM.as_secs());
    }
    let linhas = carga.textos();
    let json = linhas
        .iter()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| anyhow!("o carga não deu resultado; saída:\n{}", linhas.join("\n")))?;
    let relatorio: Relatorio =
        serde_json::from_str(json).with_context(|| format!("ler o resultado do carga: {json}"))?;
    Ok(Medida { carga: relatorio, antes, cheio, abertura_s })
}
