//! `cliente`: o cliente interativo do servidor Echo (ver `common::cliente`).

use clap::Parser;
use common::cliente::{executar, ArgsCliente};

fn main() {
    let args = ArgsCliente::parse();
    std::process::exit(executar(&args));
}
