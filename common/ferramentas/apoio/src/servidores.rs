//! Os servidores do workspace, numa lista só: o que os testes, o `cenario`
//! e as ferramentas de medida (`bancada`, `escala`, `inundacao` e o relato,
//! por `ferramentas::medidos`) leem para saber quais servidores existem, de
//! que parte é cada um, onde está o seu código e com que referência se
//! compara. Um servidor novo entra aqui (e o teste abaixo confere a lista
//! contra os `Cargo.toml` do workspace).

/// O papel de um servidor no projeto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Papel {
    /// O servidor da Parte N: o que `cenario --parte N` e o relato usam.
    Parte(u8),
    /// Outro caminho da Parte N (`poll`, async): o mesmo protocolo e o mesmo
    /// log, esperando os clientes de outro jeito.
    OutroCaminho(u8),
    /// Um eco de referência da `bancada`, sem nada de didático: a medida do
    /// que a mesma técnica rende sem log nem explicações.
    Referencia,
}

/// Um servidor do workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Servidor {
    /// O nome do executável (`cargo run --bin ...`).
    pub binario: &'static str,
    /// O pacote que o compila (`cargo test -p ...`).
    pub pacote: &'static str,
    /// A pasta do pacote, a partir da raiz do repositório.
    pub pasta: &'static str,
    pub papel: Papel,
    /// Como ele espera vários clientes, no nome que o relato usa:
    /// `iterativo` (um por vez), `threads`, `laço de eventos` ou `async`.
    pub modelo: &'static str,
    /// O eco de referência com a mesma técnica e nada de didático, com que
    /// a `bancada` compara este servidor (nos caminhos de evento da Parte 3).
    pub referencia: Option<&'static str>,
    /// O que ele é, em poucas palavras.
    pub descricao: &'static str,
}

impl Servidor {
    /// A parte a que o servidor pertence; `None` nas referências.
    pub fn parte(&self) -> Option<u8> {
        match self.papel {
            Papel::Parte(n) | Papel::OutroCaminho(n) => Some(n),
            Papel::Referencia => None,
        }
    }

    /// É material didático (o código de uma parte), não uma referência?
    /// Só os didáticos têm log (e `-q` para desligá-lo) e `--backlog`.
    pub fn didatico(&self) -> bool {
        self.parte().is_some()
    }

    /// Atende vários clientes ao mesmo tempo? As Partes 1 e 2 atendem um
    /// por vez (os outros esperam na fila do `listen()`).
    pub fn concorrente(&self) -> bool {
        self.modelo != ITERATIVO
    }
}

/// O modelo das Partes 1 e 2: um cliente por vez.
const ITERATIVO: &str = "iterativo";

const fn parte(
    binario: &'static str,
    pasta: &'static str,
    papel: Papel,
    modelo: &'static str,
    descricao: &'static str,
) -> Servidor {
    Servidor { binario, pacote: binario, pasta, papel, modelo, referencia: None, descricao }
}

/// Um caminho de evento da Parte 3, medido contra o eco de `referencia`.
const fn com_referencia(servidor: Servidor, referencia: &'static str) -> Servidor {
    Servidor { referencia: Some(referencia), ..servidor }
}

const fn referencia(
    binario: &'static str,
    modelo: &'static str,
    descricao: &'static str,
) -> Servidor {
    Servidor {
        binario,
        pacote: "ferramentas",
        pasta: "common/ferramentas",
        papel: Papel::Referencia,
        modelo,
        referencia: None,
        descricao,
    }
}

/// Todos os servidores, na ordem de leitura: as partes, depois as referências.
pub const SERVIDORES: &[Servidor] = &[
    parte("parte1", "parte1", Papel::Parte(1), ITERATIVO, "iterativo e bloqueante"),
    parte(
        "parte2",
        "parte2",
        Papel::Parte(2),
        ITERATIVO,
        "o da Parte 1 com horários, --backlog e --atraso",
    ),
    parte("parte3", "parte3", Papel::Parte(3), "threads", "uma thread por cliente"),
    com_referencia(
        parte(
            "parte3-poll",
            "parte3/poll",
            Papel::OutroCaminho(3),
            "laço de eventos",
            "uma thread só e poll (mio)",
        ),
        "eco-mio",
    ),
    com_referencia(
        parte(
            "parte3-async",
            "parte3/assincrono",
            Papel::OutroCaminho(3),
            "async",
            "async/await (tokio)",
        ),
        "eco-tokio",
    ),
    parte("parte4", "parte4", Papel::Parte(4), "threads", "concorrente e robusto"),
    referencia("eco-mio", "laço de eventos", "eco de referência com mio, uma thread"),
    referencia("eco-tokio", "async", "eco de referência com tokio"),
];

/// O servidor da Parte `n` (o que o `cenario --parte n` usa).
pub fn da_parte(n: u8) -> Option<&'static Servidor> {
    SERVIDORES.iter().find(|s| s.papel == Papel::Parte(n))
}

/// O servidor cujo executável se chama `binario`.
pub fn por_binario(binario: &str) -> Option<&'static Servidor> {
    SERVIDORES.iter().find(|s| s.binario == binario)
}

/// Os servidores das partes (o material didático), na ordem.
pub fn didaticos() -> impl Iterator<Item = &'static Servidor> {
    SERVIDORES.iter().filter(|s| s.didatico())
}

#[cfg(test)]
mod testes {
    use super::*;
    use crate::RAIZ;
    use std::path::Path;

    fn ler(caminho: &str) -> String {
        std::fs::read_to_string(Path::new(RAIZ).join(caminho))
            .unwrap_or_else(|e| panic!("ler {caminho}: {e}"))
    }

    /// O `name = "..."` da seção `[package]` de um `Cargo.toml`.
    fn nome_do_pacote(manifesto: &str) -> String {
        manifesto
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .expect("name = \"...\" no Cargo.toml")
            .to_string()
    }

    #[test]
    fn cada_parte_do_workspace_esta_na_lista_e_vice_versa() {
        let raiz = ler("Cargo.toml");
        let membros: Vec<&str> = raiz
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix("\","))
            .filter(|m| m.starts_with("parte"))
            .collect();
        assert!(membros.len() >= 6, "membros do workspace: {membros:?}");
        for membro in &membros {
            let servidor = SERVIDORES
                .iter()
                .find(|s| s.pasta == *membro)
                .unwrap_or_else(|| panic!("o membro {membro} não está em SERVIDORES"));
            assert!(servidor.didatico(), "{membro}");
        }
        for servidor in didaticos() {
            assert!(membros.contains(&servidor.pasta), "{} fora do workspace", servidor.pasta);
            let manifesto = ler(&format!("{}/Cargo.toml", servidor.pasta));
            // O executável de um pacote sem `[[bin]]` tem o nome do pacote.
            assert_eq!(nome_do_pacote(&manifesto), servidor.pacote, "{}", servidor.pasta);
            assert_eq!(servidor.binario, servidor.pacote);
            assert!(!manifesto.contains("[[bin]]"), "{}", servidor.pasta);
            ler(&format!("{}/src/main.rs", servidor.pasta));
        }
        for servidor in SERVIDORES.iter().filter(|s| !s.didatico()) {
            ler(&format!("{}/src/bin/{}.rs", servidor.pasta, servidor.binario));
            assert_eq!(
                nome_do_pacote(&ler(&format!("{}/Cargo.toml", servidor.pasta))),
                servidor.pacote
            );
        }
    }

    #[test]
    fn cada_referencia_e_um_eco_da_lista_com_o_mesmo_modelo() {
        let com_referencia: Vec<&Servidor> =
            SERVIDORES.iter().filter(|s| s.referencia.is_some()).collect();
        assert_eq!(com_referencia.len(), 2, "{com_referencia:?}");
        for servidor in com_referencia {
            let eco = por_binario(servidor.referencia.unwrap()).expect("a referência na lista");
            assert_eq!(eco.papel, Papel::Referencia, "{}", eco.binario);
            assert_eq!(eco.modelo, servidor.modelo, "{}", servidor.binario);
            assert!(servidor.concorrente() && servidor.didatico());
        }
        let iterativos: Vec<&str> =
            SERVIDORES.iter().filter(|s| !s.concorrente()).map(|s| s.binario).collect();
        assert_eq!(iterativos, ["parte1", "parte2"]);
    }

    #[test]
    fn cada_parte_tem_um_servidor_principal() {
        for n in 1..=4 {
            let servidor = da_parte(n).unwrap_or_else(|| panic!("sem servidor da Parte {n}"));
            assert_eq!(servidor.binario, format!("parte{n}"));
        }
        assert!(da_parte(5).is_none());
        assert_eq!(por_binario("parte3-poll").map(|s| s.pasta), Some("parte3/poll"));
    }
}
