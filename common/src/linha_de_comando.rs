//! A linha de comando de todos os programas, em português: a ajuda
//! (`--help`) e os erros de uso (opção desconhecida, valor fora da faixa...).
//!
//! O clap não tem tradução: os títulos da ajuda vêm de [`MODELO_AJUDA`], e
//! os erros são reescritos por [`ler`] a partir do tipo de erro e do
//! contexto que o clap informa (a opção, o valor, a sugestão). Um tipo de
//! erro que não previmos ainda sai com o texto do clap, para não esconder
//! nada.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};

use std::fmt::Display;
use std::str::FromStr;

/// Modelo da ajuda (`--help`) em português; o clap escreve os títulos em
/// inglês ("Usage", "Options") se não lhe damos um.
pub const MODELO_AJUDA: &str = "{about}\n\nUso: {bin} [OPÇÕES]\n\nOpções:\n{options}{after-help}";

/// `-h/--help` com a descrição em português (`#[command(flatten)]`, junto com
/// `#[command(disable_help_flag = true, help_template = MODELO_AJUDA)]`).
#[derive(clap::Args, Debug, Clone)]
pub struct ArgsAjuda {
    /// Mostra esta ajuda
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help)]
    ajuda: Option<bool>,
}

/// Código de saída de um erro de uso (o mesmo do clap e dos programas Unix).
pub const SAIDA_ERRO_DE_USO: i32 = 2;

/// Lê os argumentos do processo. Com `--help`, mostra a ajuda e sai com 0;
/// com um erro de uso, explica em português e sai com [`SAIDA_ERRO_DE_USO`].
pub fn ler<T: Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(erro) => {
            let programa = <T as CommandFactory>::command().get_name().to_string();
            match explicar(&erro) {
                Explicacao::Ajuda => {
                    let _ = erro.print();
                    std::process::exit(0);
                }
                Explicacao::Erro(texto) => {
                    eprintln!("{programa}: {texto}");
                    eprintln!(
                        "Uso: {programa} [OPÇÕES]. Para ver todas as opções: {}",
                        comando_de_ajuda(&programa)
                    );
                    std::process::exit(SAIDA_ERRO_DE_USO);
                }
                Explicacao::DoClap => {
                    let _ = erro.print();
                    std::process::exit(SAIDA_ERRO_DE_USO);
                }
            }
        }
    }
}

/// O comando que mostra a ajuda de `programa`, do jeito que ele foi
/// iniciado: sob o cargo (`cargo run` define `CARGO`; o executável fica em
/// `target/`), `programa --help` não existe no PATH, e o que funciona é
/// `cargo run --bin programa -- --help`.
fn comando_de_ajuda(programa: &str) -> String {
    let no_target = std::env::current_exe()
        .is_ok_and(|exe| exe.ancestors().any(|pasta| pasta.ends_with("target")));
    if std::env::var_os("CARGO").is_some() || no_target {
        format!("cargo run --bin {programa} -- --help")
    } else {
        format!("{programa} --help")
    }
}

/// O que fazer com um erro do clap.
#[derive(Debug, PartialEq, Eq)]
pub enum Explicacao {
    /// Não é erro: pediram a ajuda.
    Ajuda,
    /// Um erro de uso, explicado em português (sem o nome do programa).
    Erro(String),
    /// Um tipo de erro que não previmos: fica o texto do clap.
    DoClap,
}

/// A explicação em português de um erro do clap.
pub fn explicar(erro: &clap::Error) -> Explicacao {
    let texto = |kind| match erro.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(outro) => Some(outro.to_string()),
        None => None,
    };
    let opcao = texto(ContextKind::InvalidArg).unwrap_or_else(|| "?".into());
    let frase = match erro.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return Explicacao::Ajuda,
        ErrorKind::UnknownArgument => {
            let mut frase = format!("opção desconhecida: {opcao}");
            if let Some(sugestao) = texto(ContextKind::SuggestedArg) {
                frase += &format!(" (você quis dizer {sugestao}?)");
            } else if !opcao.starts_with('-') {
                frase = format!(
                    "argumento inesperado: {opcao:?} (as opções começam com --, ex.: --porta 6000)"
                );
            }
            frase
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let valor = texto(ContextKind::InvalidValue).unwrap_or_default();
            if valor.is_empty() && erro.kind() == ErrorKind::InvalidValue {
                format!("falta o valor de {opcao}")
            } else {
                // A fonte do erro é a explicação do nosso leitor de valores
                // (ex.: [`faixa`]), já em português.
                let motivo =
                    std::error::Error::source(erro).map(|e| format!(": {e}")).unwrap_or_default();
                format!("valor inválido {valor:?} para {opcao}{motivo}")
            }
        }
        ErrorKind::MissingRequiredArgument => format!("falta a opção obrigatória {opcao}"),
        // O clap usa o mesmo tipo para uma opção repetida e para duas
        // opções que não combinam.
        ErrorKind::ArgumentConflict => match texto(ContextKind::PriorArg) {
            Some(outra) if outra != opcao => {
                format!("{opcao} não pode ser usada junto com {outra}")
            }
            _ => format!("{opcao} foi dada mais de uma vez"),
        },
        ErrorKind::InvalidUtf8 => "um argumento tem bytes que não são UTF-8".to_string(),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            let valor = texto(ContextKind::InvalidValue).unwrap_or_default();
            format!("valor a mais: {valor:?} (cada opção leva um valor só)")
        }
        _ => return Explicacao::DoClap,
    };
    Explicacao::Erro(frase)
}

/// Leitor de um número inteiro entre `min` e `max` (inclusive), com a
/// explicação do erro em português: `value_parser = faixa(1u16, 65535)`.
pub fn faixa<T>(
    min: T,
    max: T,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
{
    move |texto: &str| {
        let explicacao = || format!("aceita um número inteiro de {min} a {max}");
        let n: T = texto.trim().parse().map_err(|_| explicacao())?;
        if n < min || n > max {
            return Err(explicacao());
        }
        Ok(n)
    }
}

/// Leitor de um número com casas decimais entre `min` e `max`, com vírgula
/// ou ponto (`0,5` ou `0.5`).
pub fn faixa_decimal(
    min: f64,
    max: f64,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |texto: &str| {
        let numero = |x: f64| x.to_string().replace('.', ",");
        let explicacao =
            || format!("aceita um número de {} a {} (ex.: 0,5)", numero(min), numero(max));
        let x: f64 = texto.trim().replace(',', ".").parse().map_err(|_| explicacao())?;
        if !(min..=max).contains(&x) {
            return Err(explicacao());
        }
        Ok(x)
    }
}
