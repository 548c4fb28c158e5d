//! O resultado de uma execução do `carga`: o que ele imprime com `--json` e
//! o que a `bancada` e a `escala` leem. Um tipo só, dos dois lados.

use serde::{Deserialize, Serialize};

/// Os contadores do gerador, declarados uma vez só: cada thread do `carga`
/// conta nos seus, o `carga` soma os de todas ([`Contas::somar`]) e o
/// relatório os leva como estão (achatados no JSON).
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct Contas {
    /// Respostas certas recebidas durante a medição.
    pub mensagens: u64,
    /// Conexões que não chegaram a conectar.
    pub falhas_de_conexao: u64,
    pub respostas_erradas: u64,
    /// Mensagens sem resposta quando o servidor fechou a conexão.
    pub respostas_faltando: u64,
    pub resets: u64,
    /// Conexões ativas que receberam ao menos uma resposta durante a medição
    /// (num servidor serial, só uma: as outras esperam a vez).
    pub atendidos: u64,
    /// Conexões ociosas cujo eco de chegada voltou certo: o servidor as
    /// aceitou e atendeu (não ficaram só na fila do `listen()`).
    #[serde(default)]
    pub ociosos_atendidos: u64,
    /// A primeira linha inesperada recebida (ex.: `Erro: servidor lotado`).
    pub exemplo_de_erro: Option<String>,
}

impl Contas {
    /// Soma `outra` a estas (o exemplo de erro fica o primeiro visto).
    pub fn somar(&mut self, outra: Contas) {
        self.mensagens += outra.mensagens;
        self.falhas_de_conexao += outra.falhas_de_conexao;
        self.respostas_erradas += outra.respostas_erradas;
        self.respostas_faltando += outra.respostas_faltando;
        self.resets += outra.resets;
        self.atendidos += outra.atendidos;
        self.ociosos_atendidos += outra.ociosos_atendidos;
        if self.exemplo_de_erro.is_none() {
            self.exemplo_de_erro = outra.exemplo_de_erro;
        }
    }

    /// Todo tipo de erro somado: falhas de conexão, respostas erradas ou
    /// faltando e resets.
    pub fn erros(&self) -> u64 {
        self.falhas_de_conexao + self.respostas_erradas + self.respostas_faltando + self.resets
    }
}

#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct Relatorio {
    pub clientes: u32,
    pub pipeline: u32,
    pub tamanho: u32,
    pub ociosos: u32,
    pub duracao_s: f64,
    pub mensagens_por_s: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    #[serde(flatten)]
    pub contas: Contas,
    /// Tempo de CPU gasto pelo próprio gerador (Linux), para conferir que ele
    /// não é o gargalo.
    pub cpu_s: Option<f64>,
}

impl Relatorio {
    /// Todo tipo de erro somado (ver [`Contas::erros`]).
    pub fn erros(&self) -> u64 {
        self.contas.erros()
    }
}
