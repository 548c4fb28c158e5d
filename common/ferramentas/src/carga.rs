//! O resultado de uma execução do `carga`: o que ele imprime com `--json` e
//! o que a `bancada` lê. Um tipo só, dos dois lados.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct Relatorio {
    pub clientes: u32,
    pub pipeline: u32,
    pub tamanho: u32,
    pub ociosos: u32,
    pub duracao_s: f64,
    pub mensagens: u64,
    pub mensagens_por_s: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub falhas_de_conexao: u64,
    pub respostas_erradas: u64,
    pub respostas_faltando: u64,
    pub resets: u64,
    /// Conexões que receberam ao menos uma resposta durante a medição (num
    /// servidor serial, só uma: as outras esperam a vez).
    pub atendidos: u64,
    /// Tempo de CPU gasto pelo próprio gerador (Linux), para conferir que ele
    /// não é o gargalo.
    pub cpu_s: Option<f64>,
    /// A primeira linha inesperada recebida (ex.: `Erro: servidor lotado`).
    pub exemplo_de_erro: Option<String>,
}

impl Relatorio {
    /// Todo tipo de erro somado: falhas de conexão, respostas erradas ou
    /// faltando e resets.
    pub fn erros(&self) -> u64 {
        self.falhas_de_conexao + self.respostas_erradas + self.respostas_faltando + self.resets
    }
}
