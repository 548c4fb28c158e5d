//! `passos`: monta as árvores dos passos da Parte 4 (`parte4/passos/`) e
//! refaz os patches depois de uma edição. O `just passo N rodar` usa o
//! `montar`; os outros dois são de quem mantém o projeto (ver
//! `parte4/passos/LEIA-ME.md`).
//!
//! - `passos montar N`: a Parte 3 mais os passos 1 a N em
//!   `target/passos/N/` (a pasta `parte4/` e um workspace ao lado), pronta
//!   para `cargo run --manifest-path target/passos/N/Cargo.toml`;
//! - `passos editar`: as árvores dos passos 1 a 5 em
//!   `target/passos/editar/N/parte4/`, para editar à mão;
//! - `passos refazer`: refaz os seis patches a partir dessas árvores, da
//!   Parte 3 e da Parte 4 (cada patch guarda o seu comentário do começo).

use anyhow::{bail, Context, Result};
use ferramentas::passos;
use std::path::Path;

const USO: &str = "uso: passos montar N | passos editar | passos refazer";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Err(e) = rodar(&args) {
        eprintln!("passos: {e:#}");
        std::process::exit(1);
    }
}

fn rodar(args: &[&str]) -> Result<()> {
    let raiz = passos::raiz();
    let pasta = raiz.join("target").join("passos");
    let total = passos::patches(&raiz)?.len();
    match args {
        ["montar", n] => {
            let n: usize = n
                .parse()
                .ok()
                .filter(|n| (1..=total).contains(n))
                .with_context(|| format!("o passo é um número de 1 a {total}, e não {n:?}"))?;
            passos::montar(&raiz, n, &pasta.join(n.to_string()))
        }
        ["editar"] => {
            let editar = pasta.join("editar");
            for n in 1..total {
                passos::montar(&raiz, n, &editar.join(n.to_string()))?;
            }
            mostrar_edicao(&editar, total);
            Ok(())
        }
        ["refazer"] => {
            passos::refazer(&raiz, &pasta.join("editar"))?;
            println!("Patches refeitos em {}.", passos::PASTA);
            println!("Confira: cargo test -p ferramentas --test passos");
            Ok(())
        }
        _ => bail!("{USO}"),
    }
}

fn mostrar_edicao(editar: &Path, total: usize) {
    println!("Árvores dos passos 1 a {} em {}/N/parte4.", total - 1, editar.display());
    println!("Edite o passo em que a mudança entra e os seguintes (a Parte 4 é o");
    println!("passo {total}); depois: cargo run --bin passos -- refazer");
}
