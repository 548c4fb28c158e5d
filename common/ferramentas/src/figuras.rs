//! As figuras das medidas completas, em `figuras/`: a tabela em Markdown,
//! para ler, e os mesmos números em JSON, para outros programas (o relato
//! lê o JSON, não a tabela). Os tipos daqui são os dois lados do JSON: a
//! `bancada` e a `escala` os gravam, o `cenario --relato` os lê. Cada
//! número é o que a tabela mostra, sem o formato em português.

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A tabela completa da bancada, que o relato cita.
pub const BANCADA_MD: &str = "figuras/bancada.md";
/// Os números da bancada, que o relato lê.
pub const BANCADA_JSON: &str = "figuras/bancada.json";
/// A tabela da escala (o custo de uma conexão aberta), que o relato cita.
pub const ESCALA_MD: &str = "figuras/escala.md";
/// Os números da escala, que o relato lê.
pub const ESCALA_JSON: &str = "figuras/escala.json";

/// Lê um JSON de figuras.
pub fn ler<T: DeserializeOwned>(arquivo: &Path) -> Result<T> {
    let texto =
        std::fs::read_to_string(arquivo).with_context(|| format!("ler {}", arquivo.display()))?;
    serde_json::from_str(&texto).with_context(|| format!("ler os números de {}", arquivo.display()))
}

/// Grava um JSON de figuras, legível (um campo por linha).
pub fn gravar<T: Serialize>(arquivo: &Path, figuras: &T) -> Result<()> {
    let texto = serde_json::to_string_pretty(figuras)? + "\n";
    std::fs::write(arquivo, texto).with_context(|| format!("escrever {}", arquivo.display()))
}

/// Como e onde uma medida foi feita: o cabeçalho das tabelas.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Execucao {
    /// O comando que a fez.
    pub comando: String,
    /// Quanto ela levou.
    pub segundos: f64,
    pub maquina: String,
    /// Cada número é a mediana das rodadas.
    pub rodadas: u32,
    /// Segundos medidos por ponto, depois do aquecimento.
    pub duracao_s: f64,
    pub aquecimento_s: f64,
}

/// A bancada: vazão e latência dos servidores. Uma lista por tabela de
/// `figuras/bancada.md`, na ordem das linhas.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Bancada {
    pub execucao: Execucao,
    /// Uma mensagem por vez (vai e volta), sem log: cada servidor com 1 a
    /// 1.000 clientes.
    pub vai_e_volta: Vec<PontoDaBancada>,
    /// Com 10 clientes, vai e volta: a vazão com e sem o log.
    pub custo_do_log: Vec<CustoDoLog>,
    /// Várias mensagens sem esperar resposta (pipeline), sem log.
    pub pipeline: Vec<PontoDoPipeline>,
    /// Quantas conexões ociosas em [`Bancada::parados`].
    pub ociosos: u32,
    /// Com [`Bancada::ociosos`] clientes ociosos e 1 ativo: o que o processo
    /// servidor gasta.
    pub parados: Vec<Parado>,
    /// As razões de vazão entre dois servidores medidos lado a lado, rodada
    /// a rodada (as das metas e as do custo do log).
    pub razoes: Vec<Razao>,
}

/// Um servidor com uma carga de vai e volta.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PontoDaBancada {
    /// O rótulo (`parte3 -q`, `eco-mio`).
    pub servidor: String,
    pub clientes: u32,
    /// Clientes que receberam ao menos uma resposta (num servidor serial, 1).
    pub atendidos: f64,
    pub mensagens_por_s: f64,
    pub p99_us: f64,
    /// A soma das rodadas.
    pub erros: u64,
    /// CPU do servidor e do gerador de carga, em % de um núcleo (Linux).
    pub cpu_servidor_pct: Option<f64>,
    pub cpu_carga_pct: Option<f64>,
}

/// A vazão de um servidor com e sem o log de cada mensagem.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CustoDoLog {
    /// O rótulo com log (`parte3`) e sem (`parte3 -q`).
    pub com_log: String,
    pub sem_log: String,
    pub clientes: u32,
    pub com_log_por_s: f64,
    pub sem_log_por_s: f64,
}

/// Um servidor com `pipeline` mensagens sem esperar resposta por cliente.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PontoDoPipeline {
    pub servidor: String,
    pub clientes: u32,
    pub pipeline: u32,
    pub mensagens_por_s: f64,
    pub p99_us: f64,
    pub erros: u64,
}

/// O processo servidor com as conexões ociosas abertas (Linux).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Parado {
    pub servidor: String,
    pub threads: Option<u64>,
    /// Pico da memória residente (VmHWM).
    pub memoria_residente_mib: Option<f64>,
    /// Espaço de endereços (VmSize) no pico de threads.
    pub espaco_de_enderecos_mib: Option<f64>,
    /// Quanto as pilhas do kernel da máquina cresceram: uma estimativa.
    pub pilhas_do_kernel_mib: Option<f64>,
}

/// A razão de vazão `servidor ÷ referencia`, rodada a rodada.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Razao {
    pub servidor: String,
    pub referencia: String,
    pub clientes: u32,
    pub pipeline: u32,
    /// A mediana das razões das rodadas, a menor e a maior.
    pub mediana: f64,
    pub menor: f64,
    pub maior: f64,
}

impl Bancada {
    /// O ponto de vai e volta de `servidor` com `clientes`.
    pub fn vai_e_volta(&self, servidor: &str, clientes: u32) -> Option<&PontoDaBancada> {
        self.vai_e_volta.iter().find(|p| p.servidor == servidor && p.clientes == clientes)
    }

    /// A razão `servidor ÷ referencia` com essa carga.
    pub fn razao(
        &self,
        servidor: &str,
        referencia: &str,
        clientes: u32,
        pipeline: u32,
    ) -> Option<&Razao> {
        self.razoes.iter().find(|r| {
            r.servidor == servidor
                && r.referencia == referencia
                && r.clientes == clientes
                && r.pipeline == pipeline
        })
    }
}

/// A escala: quanto custa uma conexão aberta, de 10 a 10.000.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Escala {
    pub execucao: Execucao,
    /// Conexões ativas em cada ponto; as outras ficam ociosas.
    pub ativas: u32,
    /// Limite de arquivos abertos em vigor (herdado pelos servidores e pelo
    /// `carga`).
    pub limite_de_arquivos: u64,
    /// A faixa de portas efêmeras (a primeira e a última), se lida.
    pub portas_efemeras: Option<(u32, u32)>,
    /// `net.ipv4.tcp_tw_reuse`, se lido.
    pub tcp_tw_reuse: Option<String>,
    /// Maior número de conexões em TIME-WAIT visto antes de um ponto, e o
    /// total de segundos esperando elas expirarem.
    pub maior_time_wait: i64,
    pub espera_por_portas_s: f64,
    /// Cada servidor com cada número de conexões abertas, na ordem da medida.
    pub pontos: Vec<PontoDaEscala>,
}

/// Um servidor com `conexoes` conexões abertas.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PontoDaEscala {
    pub servidor: String,
    pub conexoes: u32,
    /// Os números (medianas das rodadas); `None` se o ponto não foi medido.
    pub medida: Option<MedidaDaEscala>,
    /// Por que o ponto não foi medido (ex.: faltariam descritores).
    pub nao_mediu: Option<String>,
}

/// Os números de um ponto da escala. "Por conexão": a diferença em relação
/// ao servidor aquecido e sem conexões, dividida pelas conexões abertas.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MedidaDaEscala {
    /// Conexões que o servidor atendeu (ativas com resposta, ociosas com eco).
    pub atendidas: u64,
    /// Das conexões ativas.
    pub mensagens_por_s: f64,
    pub p99_us: f64,
    /// Do servidor, com todas as conexões abertas (VmRSS).
    pub memoria_residente_mib: Option<f64>,
    pub memoria_por_conexao_kib: Option<f64>,
    pub threads: Option<u64>,
    /// Da máquina inteira (estimativas): `KernelStack` e buffers TCP.
    pub pilhas_do_kernel_por_conexao_kib: Option<f64>,
    pub buffers_tcp_por_conexao_kib: Option<f64>,
    /// Segundos para abrir todas as conexões.
    pub abertura_s: f64,
    /// A soma das rodadas.
    pub erros: u64,
}

impl Escala {
    /// A medida de `servidor` com `conexoes` conexões abertas.
    pub fn medida(&self, servidor: &str, conexoes: u32) -> Option<&MedidaDaEscala> {
        let ponto = self.pontos.iter().find(|p| p.servidor == servidor && p.conexoes == conexoes);
        ponto?.medida.as_ref()
    }
}
