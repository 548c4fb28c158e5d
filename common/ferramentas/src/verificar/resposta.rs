//! O que o cliente do `verificar` recebe: a resposta a uma mensagem (ou o
//! que houve no lugar dela), e tudo o que chegou numa coleta.

use super::formato::{mostrar, segundos};
use super::Sintoma;
use std::io;
use std::time::Duration;

/// O que chegou como resposta a uma mensagem.
#[derive(Debug)]
pub enum Resposta {
    /// Uma linha terminada em `\n` (sem ele, e sem um `\r` antes dele).
    Linha(Vec<u8>),
    /// Bytes sem `\n`, seguidos de silêncio ou do fim da conexão.
    SemTerminador(Vec<u8>),
    /// O servidor fechou a conexão sem mandar nada.
    Fim,
    /// Nada chegou: o tempo que se esperou de fato.
    Nada(Duration),
    /// A leitura falhou (ex.: RST).
    Falha(io::Error),
}

impl Resposta {
    /// Os bytes da resposta, se veio alguma.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Resposta::Linha(b) | Resposta::SemTerminador(b) => Some(b),
            _ => None,
        }
    }

    /// Em palavras, para o boletim, quando não é o esperado.
    pub fn descrever(&self) -> String {
        match self {
            Resposta::Linha(b) => format!("recebi \"{}\\n\"", mostrar(b)),
            Resposta::SemTerminador(b) => format!("recebi \"{}\" (sem \\n)", mostrar(b)),
            Resposta::Fim => "o servidor fechou a conexão sem responder".to_string(),
            Resposta::Nada(esperei) => format!("nenhuma resposta em {}", segundos(*esperei)),
            Resposta::Falha(e) => format!("a leitura falhou: {}", common::erros::descrever(e)),
        }
    }

    /// O sintoma, quando não é a resposta esperada.
    pub fn sintoma(&self) -> Sintoma {
        match self {
            Resposta::Linha(b) | Resposta::SemTerminador(b) if b.starts_with(b"Erro: ") => {
                Sintoma::Recusou
            }
            Resposta::Linha(_) | Resposta::SemTerminador(_) => Sintoma::Errada,
            Resposta::Fim => Sintoma::Fechou,
            Resposta::Nada(_) => Sintoma::SemResposta,
            Resposta::Falha(_) => Sintoma::Resetou,
        }
    }
}

/// Tudo o que chegou até um silêncio, o fim da conexão ou o prazo.
#[derive(Debug, Default)]
pub struct Coleta {
    pub bytes: Vec<u8>,
    /// O servidor fechou a conexão (fim do fluxo).
    pub fim: bool,
    /// A leitura falhou (ex.: RST).
    pub falha: Option<String>,
    /// Passou de [`super::conexao::LIMITE_GUARDADO`]: o resto foi descartado.
    pub cortada: bool,
    /// Quanto a coleta durou.
    pub tempo: Duration,
}
