//! Números em português para as tabelas da `bancada` e da `escala`
//! (separador de milhar `.`, vírgula decimal) e a descrição da máquina.

/// "linux, 2 núcleos, AMD EPYC ..."
pub fn maquina() -> String {
    let nucleos = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let modelo = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "processador desconhecido".into());
    format!("{}, {nucleos} núcleos, {modelo}", std::env::consts::OS)
}

pub fn mediana(mut valores: Vec<f64>) -> f64 {
    if valores.is_empty() {
        return f64::NAN;
    }
    valores.sort_by(|a, b| a.total_cmp(b));
    let meio = valores.len() / 2;
    if valores.len() % 2 == 1 {
        valores[meio]
    } else {
        (valores[meio - 1] + valores[meio]) / 2.0
    }
}

/// `62488.4` → `62.488`: inteiro com separador de milhar, como se escreve
/// em português.
pub fn inteiro(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let arredondado = x.abs().round();
    let saida = common::texto::milhares(arredondado as u64);
    if x < 0.0 && arredondado != 0.0 {
        format!("-{saida}")
    } else {
        saida
    }
}

/// `0.953` → `0,95`.
pub fn decimal(x: f64, casas: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    format!("{x:.casas$}").replace('.', ",")
}

/// Quanto uma execução levou, como se diz: "29 s" abaixo de um minuto,
/// senão "10 min".
pub fn duracao(segundos: f64) -> String {
    if segundos < 60.0 {
        format!("{} s", inteiro(segundos))
    } else {
        format!("{} min", inteiro(segundos / 60.0))
    }
}

/// KiB com a precisão que interessa: duas casas abaixo de 10, uma até 100.
pub fn kib(x: f64) -> String {
    if x.abs() < 10.0 {
        decimal(x, 2)
    } else if x.abs() < 100.0 {
        decimal(x, 1)
    } else {
        inteiro(x)
    }
}
