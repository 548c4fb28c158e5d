//! Rodar um bloco bash do roteiro como o aluno o rodaria (só no Linux).

use std::path::Path;
use std::process::Command;

/// O começo de cada bloco: para no primeiro erro e troca o `cargo run` pelo
/// programa compilado (`exec` quando o bloco o pôs em segundo plano, para o
/// `$!` do bloco ser o PID do próprio programa, como com o cargo de verdade).
pub const PRELUDIO: &str = r#"set -e
cargo() {
    if [ "$1" != run ]; then echo "bloco bash com cargo $1: só cargo run roda aqui" >&2; return 1; fi
    while [ "$#" -gt 0 ] && [ "$1" != --bin ]; do shift; done
    local programa="$PASTA/$2"; shift 2
    if [ "${1:-}" = -- ]; then shift; fi
    if [ "$BASHPID" != "$$" ]; then exec "$programa" "$@"; fi
    "$programa" "$@"
}"#;

pub fn porta_livre() -> u16 {
    let escuta = std::net::TcpListener::bind("127.0.0.1:0").expect("bind numa porta livre");
    escuta.local_addr().expect("endereço local").port()
}

/// Roda o script num bash, num grupo de processos só dele, com um prazo de
/// 2 min; no fim (ou no prazo), encerra o grupo inteiro: um servidor que o
/// bloco deixou em segundo plano não sobrevive ao teste. Devolve (terminou
/// com código 0, saída padrão e de erros juntas).
pub fn rodar_bash(script: &str, pasta: &Path, raiz: &Path) -> (bool, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut filho = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(raiz)
        .env("PASTA", pasta)
        .env_remove("CARGO")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("iniciar o bash");
    let grupo = filho.id() as libc::pid_t;
    let ler = |mut fluxo: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut texto = Vec::new();
            let _ = fluxo.read_to_end(&mut texto);
            String::from_utf8_lossy(&texto).into_owned()
        })
    };
    let saida = ler(Box::new(filho.stdout.take().expect("stdout")));
    let erros = ler(Box::new(filho.stderr.take().expect("stderr")));
    let prazo = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = filho.try_wait().expect("esperar o bash") {
            break Some(status);
        }
        if Instant::now() > prazo {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: kill só envia um sinal; o grupo é o do bash que iniciamos.
    unsafe { libc::kill(-grupo, libc::SIGKILL) };
    let _ = filho.wait();
    let texto = format!(
        "{}{}{}",
        saida.join().unwrap_or_default(),
        erros.join().unwrap_or_default(),
        if status.is_none() { "\n(o bloco passou de 2 min e foi encerrado)" } else { "" }
    );
    (status.is_some_and(|s| s.success()), texto)
}
