//! Descrições em português dos erros de E/S que um usuário encontra.

use std::io::{self, ErrorKind};

/// Uma frase curta, em português, para o erro `e` (sem ponto final).
///
/// As mensagens do sistema operacional vêm em inglês (ou no idioma do
/// Windows); as situações comuns ganham aqui uma frase própria, e o resto
/// mantém o texto original para não esconder nada.
pub fn descrever(e: &io::Error) -> String {
    if let Some(frase) = limite_de_descritores(e) {
        return frase;
    }
    let frase = match e.kind() {
        ErrorKind::ConnectionRefused => "conexão recusada",
        ErrorKind::ConnectionReset => "conexão desfeita pelo outro lado (RST)",
        ErrorKind::ConnectionAborted => "conexão abortada",
        ErrorKind::BrokenPipe => "o outro lado já fechou a conexão",
        ErrorKind::TimedOut | ErrorKind::WouldBlock => "tempo esgotado",
        ErrorKind::AddrInUse => "endereço já em uso",
        ErrorKind::AddrNotAvailable => "endereço não disponível nesta máquina",
        ErrorKind::PermissionDenied => "permissão negada",
        ErrorKind::NotConnected => "socket não conectado",
        ErrorKind::UnexpectedEof => "fim inesperado dos dados",
        // Erros criados por este projeto já vêm com a frase em português.
        ErrorKind::Other if e.get_ref().is_some() => return e.to_string(),
        _ => return format!("erro de E/S: {e}"),
    };
    match e.raw_os_error() {
        Some(codigo) => format!("{frase} (erro do sistema {codigo})"),
        None => frase.to_string(),
    }
}

/// O erro de uma chamada de sistema, com o nome dela e a frase em
/// português: `escuta.listen(1).map_err(falhou("listen()"))?` vira
/// `listen(): permissão negada (erro do sistema 13)`.
pub fn falhou(chamada: &'static str) -> impl FnOnce(io::Error) -> anyhow::Error {
    move |e| anyhow::anyhow!("{chamada}: {}", descrever(&e))
}

/// Um `accept()` que falhou por causa da própria conexão, não do servidor:
/// ela foi desfeita antes de ser aceita (`ECONNABORTED` no Linux,
/// `WSAECONNRESET` no Windows, `WSAENOTCONN` no Wine) ou a chamada foi
/// interrompida por um sinal. Vale tentar a próxima da fila na hora; os
/// outros erros (ex.: o limite de descritores, abaixo) são do servidor e
/// pedem uma pausa. Quem usa: o laço de eventos da Parte 3 (`parte3/poll`)
/// e o `eco-mio` das ferramentas, que no Windows só voltam a ser avisados
/// sobre o socket de escuta depois de um `WouldBlock`.
pub fn perdeu_so_esta_conexao(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::NotConnected
            | ErrorKind::Interrupted
    )
}

/// Sem descritores livres: o erro de um `accept()` com milhares de conexões
/// abertas. Diz o que fazer, porque o texto do sistema ("Too many open
/// files") não diz.
fn limite_de_descritores(e: &io::Error) -> Option<String> {
    // EMFILE e ENFILE no Linux e no macOS; WSAEMFILE no Windows.
    let frase = match e.raw_os_error()? {
        24 if cfg!(unix) => {
            "limite de arquivos abertos do processo atingido (erro do sistema 24): cada conexão \
             ocupa um; os servidores concorrentes já sobem o limite até o máximo permitido \
             (`ulimit -Hn`), e só o administrador sobe esse máximo"
        }
        23 if cfg!(unix) => {
            "limite de arquivos abertos do sistema inteiro atingido (erro do sistema 23; \
             `fs.file-max` no Linux)"
        }
        10024 if cfg!(windows) => "sockets demais abertos neste processo (erro do sistema 10024)",
        _ => return None,
    };
    Some(frase.to_string())
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn accept_separa_o_erro_da_conexao_do_erro_do_servidor() {
        for kind in
            [ErrorKind::ConnectionAborted, ErrorKind::ConnectionReset, ErrorKind::NotConnected]
        {
            assert!(perdeu_so_esta_conexao(&io::Error::from(kind)), "{kind:?}");
        }
        // Sem descritores livres: o servidor inteiro precisa de uma pausa.
        let sem_descritores = io::Error::from_raw_os_error(if cfg!(windows) { 10024 } else { 24 });
        assert!(!perdeu_so_esta_conexao(&sem_descritores));
        assert!(descrever(&sem_descritores).contains("erro do sistema"));
    }
}
