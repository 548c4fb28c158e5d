//! As frases do log que os testes e as ferramentas (`cenario`, as provas)
//! procuram nas linhas dos servidores e do cliente. Cada uma é escrita por
//! extenso no código de quem a imprime, de propósito (o aluno lê ali o
//! `println!` inteiro); aqui fica a cópia de quem lê o log, e o teste abaixo
//! procura cada frase no código-fonte de cada servidor que deve imprimi-la:
//! mudar a redação num servidor sem mudar aqui faz um teste falhar, em vez
//! de o `cenario` passar a errar calado.

// ---- Os servidores (`parte*/src/`) ----

/// Partes 1 e 2, antes de cada `accept()`.
pub const AGUARDANDO_CONEXAO: &str = "Aguardando conexão...";
/// Partes 3 e 4, uma vez, antes do laço do `accept()`.
pub const AGUARDANDO_CONEXOES: &str = "Aguardando conexões...";
/// Parte 1: a conexão aceita, com o endereço do cliente.
pub const CONECTADO_COM: &str = "Conectado com";
/// Partes 2 a 4: `[cliente N ...] Conectado`, depois do nome do cliente.
pub const CONECTADO: &str = "Conectado";
pub const RECEBIDO: &str = "Recebido: ";
/// O cliente fechou a conexão (fim do fluxo) entre duas mensagens.
pub const DESCONECTOU: &str = "Cliente desconectou";
/// O cliente fechou a conexão com uma linha pela metade.
pub const SAIU_NO_MEIO: &str = "Cliente saiu no meio";
pub const FALHOU: &str = "Conexão com o cliente falhou";
pub const MAIOR_QUE: &str = "Mensagem maior que";
/// Partes 2 a 4: o fim de cada conexão diz quanto ela durou.
pub const ATENDIDO_POR: &str = "(atendido por ";
/// Parte 4: a contagem do registro, em cada conexão e desconexão.
pub const CONEXOES_ATIVAS: &str = "conexões ativas: ";
/// Parte 4: a admissão recusou o cliente (servidor lotado).
pub const RECUSADO: &str = "Recusado";
/// Parte 4: a conexão que não terminou no prazo do desligamento.
pub const FECHADA_A_FORCA: &str = "Fechada à força";

// ---- O que todos os servidores imprimem pelo `common` (`common/src/`) ----

/// A dica para quem conecta, na saída de erros, logo depois do banner.
pub const PARA_CONECTAR: &str = "(para conectar";
/// Partes 2 a 4: o nome do cliente no começo de cada linha dele, como em
/// `[cliente 2 127.0.0.1:50412] Conectado` (o `Cliente` de `common/src/texto.rs`).
pub const CLIENTE: &str = "[cliente ";

// ---- O cliente interativo (`common/src/cliente*`), lido pelo `cenario` ----

pub const CONECTANDO_A: &str = "Conectando a";
pub const CONECTADO_AO_SERVIDOR: &str = "Conectado ao servidor Echo";
/// A instrução que o cliente imprime ao conectar (fora da transcrição).
pub const INSTRUCAO_DE_SAIDA: &str = "Digite \"sair\" para encerrar";
/// O prompt, seguido do que foi digitado (a entrada num pipe o repete).
pub const DIGITE: &str = "Digite uma mensagem: ";
pub const RESPOSTA: &str = "Resposta: ";
pub const CONEXAO_ENCERRADA: &str = "Conexão encerrada";
pub const SERVIDOR_ENCERROU: &str = "O servidor encerrou";
pub const DO_SERVIDOR: &str = "Servidor: ";
pub const ERRO_NA_CONEXAO: &str = "Erro na conexão";
pub const NAO_CONECTOU: &str = "Não foi possível conectar";

/// As linhas do servidor que encerram uma conexão, em todas as partes
/// (`resto` é a linha sem a hora e sem o nome do cliente).
pub fn encerra_conexao(resto: &str) -> bool {
    resto.contains(ATENDIDO_POR)
        || resto.starts_with(DESCONECTOU)
        || resto.starts_with(SAIU_NO_MEIO)
        || resto.starts_with(FALHOU)
        || resto.starts_with(MAIOR_QUE)
        || resto.starts_with(RECUSADO)
        || resto.starts_with(FECHADA_A_FORCA)
}

/// As linhas do servidor que dizem que o cliente saiu por conta própria.
pub fn cliente_saiu(resto: &str) -> bool {
    resto.starts_with(DESCONECTOU) || resto.starts_with(SAIU_NO_MEIO)
}

#[cfg(test)]
mod testes {
    use super::*;
    use crate::servidores::{didaticos, Servidor};
    use crate::RAIZ;
    use std::path::{Path, PathBuf};

    /// O código (sem as linhas de comentário) dos `.rs` sob `pasta`.
    fn codigo(pasta: &Path) -> String {
        let mut arquivos = vec![];
        let mut pendentes: Vec<PathBuf> = vec![pasta.to_path_buf()];
        while let Some(p) = pendentes.pop() {
            for entrada in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            {
                let caminho = entrada.expect("entrada da pasta").path();
                if caminho.is_dir() {
                    pendentes.push(caminho);
                } else if caminho.extension().is_some_and(|e| e == "rs") {
                    arquivos.push(caminho);
                }
            }
        }
        assert!(!arquivos.is_empty(), "nenhum .rs em {}", pasta.display());
        arquivos
            .iter()
            .flat_map(|a| {
                std::fs::read_to_string(a)
                    .expect("ler o código")
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Quais servidores imprimem cada frase.
    fn quem_imprime(frase: &str, s: &Servidor) -> bool {
        let parte = s.parte().expect("só os servidores das partes");
        match frase {
            AGUARDANDO_CONEXAO => parte <= 2,
            AGUARDANDO_CONEXOES => parte >= 3,
            CONECTADO_COM => parte == 1,
            ATENDIDO_POR => parte >= 2,
            CONEXOES_ATIVAS | RECUSADO | FECHADA_A_FORCA => parte == 4,
            _ => true,
        }
    }

    const DOS_SERVIDORES: &[&str] = &[
        AGUARDANDO_CONEXAO,
        AGUARDANDO_CONEXOES,
        CONECTADO_COM,
        CONECTADO,
        RECEBIDO,
        DESCONECTOU,
        SAIU_NO_MEIO,
        FALHOU,
        MAIOR_QUE,
        ATENDIDO_POR,
        CONEXOES_ATIVAS,
        RECUSADO,
        FECHADA_A_FORCA,
    ];

    #[test]
    fn cada_frase_do_log_esta_no_codigo_de_cada_servidor_que_a_imprime() {
        let mut faltam = vec![];
        for servidor in didaticos() {
            let codigo = codigo(&Path::new(RAIZ).join(servidor.pasta).join("src"));
            for frase in DOS_SERVIDORES.iter().filter(|f| quem_imprime(f, servidor)) {
                if !codigo.contains(frase) {
                    faltam.push(format!("{}: {frase:?}", servidor.binario));
                }
            }
        }
        assert!(faltam.is_empty(), "frases que o log não tem mais:\n{}", faltam.join("\n"));
    }

    #[test]
    fn frases_do_common_e_do_cliente_estao_no_codigo_do_common() {
        let codigo = codigo(&Path::new(RAIZ).join("common/src"));
        for frase in [
            PARA_CONECTAR,
            CLIENTE,
            CONECTANDO_A,
            CONECTADO_AO_SERVIDOR,
            INSTRUCAO_DE_SAIDA,
            DIGITE,
            RESPOSTA,
            CONEXAO_ENCERRADA,
            SERVIDOR_ENCERROU,
            DO_SERVIDOR,
            ERRO_NA_CONEXAO,
            NAO_CONECTOU,
        ] {
            // No código, as aspas de dentro de uma string vêm escapadas.
            let no_codigo = frase.replace('"', "\\\"");
            assert!(codigo.contains(&no_codigo), "common/src não tem mais {frase:?}");
        }
    }

    #[test]
    fn desfechos_reconhecidos() {
        assert!(encerra_conexao("Cliente desconectou (atendido por 3,00 s, 3 mensagens)"));
        assert!(encerra_conexao("Recusado: servidor lotado"));
        assert!(!encerra_conexao("Recebido: Cliente desconectou"));
        assert!(cliente_saiu(
            "Cliente saiu no meio de uma mensagem (sem o \\n do fim); 4 bytes descartados"
        ));
        assert!(!cliente_saiu("Conexão com o cliente falhou: conexão desfeita"));
    }
}
