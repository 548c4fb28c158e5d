//! `cliente`: o cliente interativo do servidor Echo (ver `common::cliente`).

use common::cliente::{executar, ArgsCliente};
use common::linha_de_comando::ler;

fn main() {
    let args: ArgsCliente = ler();
    std::process::exit(executar(&args));
}
