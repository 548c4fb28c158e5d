//! Os servidores que as ferramentas medem (`bancada`, `escala`,
//! `inundacao`) e que o relato compara, tirados da lista única do `apoio`
//! ([`SERVIDORES`]): um servidor novo entra lá e passa a ser medido por
//! todas. Aqui fica só o que a medida acrescenta: o rótulo das tabelas e os
//! argumentos de cada um.
//!
//! Um servidor didático é medido sem o log de cada mensagem (`-q`, o rótulo
//! `parte3 -q`) e, onde a ferramenta mede o custo do log, com ele (`parte3`).
//! As referências (`eco-mio`, `eco-tokio`) não têm log.

use apoio::servidores::{self, Papel, Servidor, SERVIDORES};

/// Um servidor medido: o da lista, com ou sem o log de cada mensagem. A
/// ordem (a das tabelas) é a alfabética do executável.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Medido {
    /// O executável, um da lista ([`SERVIDORES`]).
    pub binario: &'static str,
    /// Com o log de cada mensagem (sem `-q`)? Só num didático.
    pub com_log: bool,
}

/// Opções que a medida passa a quem as tem, para que nem a fila do
/// `listen()` nem o limite de clientes sejam o que se mede.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opcoes {
    /// `--backlog N`: só os didáticos têm (a fila das referências é 1.024).
    pub backlog: Option<u32>,
    /// `--max-clientes N`: só a Parte 4 tem limite de clientes.
    pub max_clientes: Option<u32>,
}

impl Medido {
    /// O servidor sem log (`-q`); uma referência, como é.
    pub fn sem_log(servidor: &Servidor) -> Medido {
        Medido { binario: servidor.binario, com_log: false }
    }

    /// O servidor com o log ligado; `None` numa referência, que não tem log.
    pub fn com_log(servidor: &Servidor) -> Option<Medido> {
        servidor.didatico().then_some(Medido { binario: servidor.binario, com_log: true })
    }

    pub fn servidor(&self) -> &'static Servidor {
        servidores::por_binario(self.binario).expect("um Medido vem da lista de servidores")
    }

    /// O rótulo das tabelas: `parte3 -q`, `parte3` (com log), `eco-mio`.
    pub fn rotulo(&self) -> String {
        if self.servidor().didatico() && !self.com_log {
            format!("{} -q", self.binario)
        } else {
            self.binario.to_string()
        }
    }

    /// O mesmo servidor com o log ligado (`parte3` para `parte3 -q`).
    pub fn ligando_o_log(&self) -> Option<Medido> {
        Medido::com_log(self.servidor())
    }

    /// O eco de referência com que este servidor se compara (`eco-mio` para
    /// `parte3-poll -q`), se houver.
    pub fn referencia(&self) -> Option<Medido> {
        let eco = servidores::por_binario(self.servidor().referencia?)?;
        Some(Medido::sem_log(eco))
    }

    /// Os argumentos com que a medida o inicia (além de porta e host).
    pub fn args(&self, opcoes: Opcoes) -> Vec<String> {
        let servidor = self.servidor();
        let mut args = Vec::new();
        if servidor.didatico() && !self.com_log {
            args.push("-q".to_string());
        }
        if let Some(n) = opcoes.backlog.filter(|_| servidor.didatico()) {
            args.extend(["--backlog".to_string(), n.to_string()]);
        }
        if let Some(n) = opcoes.max_clientes.filter(|_| servidor.papel == Papel::Parte(4)) {
            args.extend(["--max-clientes".to_string(), n.to_string()]);
        }
        args
    }
}

/// Todos os que a `bancada` mede, sem log: as Partes 2 a 4 e as referências.
/// A Parte 1 fica de fora: não tem `--backlog`, e a Parte 2 já mostra o
/// atendimento um por vez.
pub fn da_bancada() -> impl Iterator<Item = Medido> {
    SERVIDORES.iter().filter(|s| s.parte() != Some(1)).map(Medido::sem_log)
}

/// Os concorrentes (os que atendem vários clientes ao mesmo tempo), sem
/// log: os que a `escala` e a `inundacao` medem.
pub fn concorrentes() -> impl Iterator<Item = Medido> {
    SERVIDORES.iter().filter(|s| s.concorrente()).map(Medido::sem_log)
}

/// Os três caminhos da Parte 3 (threads, laço de eventos, async), na ordem
/// da lista: os modelos que o relato compara.
pub fn modelos_da_parte3() -> impl Iterator<Item = &'static Servidor> {
    SERVIDORES.iter().filter(|s| s.parte() == Some(3))
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn rotulos_args_e_referencias() {
        let poll = Medido::sem_log(servidores::por_binario("parte3-poll").unwrap());
        assert_eq!(poll.rotulo(), "parte3-poll -q");
        assert_eq!(poll.ligando_o_log().map(|m| m.rotulo()), Some("parte3-poll".to_string()));
        assert_eq!(poll.referencia().map(|m| m.rotulo()), Some("eco-mio".to_string()));
        let opcoes = Opcoes { backlog: Some(4096), max_clientes: Some(20_000) };
        assert_eq!(poll.args(opcoes), ["-q", "--backlog", "4096"]);
        let parte4 = Medido::sem_log(servidores::da_parte(4).unwrap());
        assert_eq!(parte4.args(opcoes), ["-q", "--backlog", "4096", "--max-clientes", "20000"]);
        let eco = poll.referencia().unwrap();
        assert!(eco.args(opcoes).is_empty() && eco.ligando_o_log().is_none());
        let rotulos = |m: Vec<Medido>| m.iter().map(Medido::rotulo).collect::<Vec<_>>();
        assert_eq!(
            rotulos(concorrentes().collect()),
            ["parte3 -q", "parte3-poll -q", "parte3-async -q", "parte4 -q", "eco-mio", "eco-tokio"]
        );
        assert_eq!(rotulos(da_bancada().collect())[0], "parte2 -q");
        let modelos: Vec<&str> = modelos_da_parte3().map(|s| s.binario).collect();
        assert_eq!(modelos, ["parte3", "parte3-poll", "parte3-async"]);
    }
}
