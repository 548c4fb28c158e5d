//! Texto para o terminal: os bytes que vieram de um cliente, mostrados sem
//! perigo, contagens com o plural certo e o nome de cada cliente nos logs.
//!
//! Um cliente pode mandar qualquer byte: sequências ANSI (`ESC [2J` apaga a
//! tela do operador), `\r` (reescreve a linha do log), NUL, UTF-8 inválido.
//! Todo texto vindo da rede passa por [`texto_seguro`] antes de ser impresso:
//! caracteres de controle e bytes inválidos aparecem escapados, nunca crus.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::SocketAddr;

/// Versão imprimível de `bytes`: UTF-8 válido e sem caracteres de controle.
///
/// Acentos e emojis passam intactos; `ESC` vira `\u{1b}`, `\r` vira `\r`,
/// um byte inválido como 0xFF vira `\xff`. Sem nada a escapar, não copia.
pub fn texto_seguro(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(texto) = std::str::from_utf8(bytes) {
        if !texto.chars().any(precisa_escapar) {
            return Cow::Borrowed(texto);
        }
    }
    let mut saida = String::with_capacity(bytes.len() + 8);
    for pedaco in bytes.utf8_chunks() {
        for c in pedaco.valid().chars() {
            if precisa_escapar(c) {
                saida.extend(c.escape_debug());
            } else {
                saida.push(c);
            }
        }
        for byte in pedaco.invalid() {
            let _ = write!(saida, "\\x{byte:02x}");
        }
    }
    Cow::Owned(saida)
}

/// `1 mensagem`, `2 mensagens`, `0 mensagens`, `438.281 mensagens`.
pub fn quantidade(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{} {plural}", milhares(n))
    }
}

/// `438281` → `438.281`: o separador de milhar, como se escreve em português.
pub fn milhares(n: u64) -> String {
    let digitos = n.to_string();
    let mut saida = String::new();
    for (i, c) in digitos.chars().enumerate() {
        if i > 0 && (digitos.len() - i).is_multiple_of(3) {
            saida.push('.');
        }
        saida.push(c);
    }
    saida
}

/// Quem é o cliente nos logs, da Parte 2 em diante: `[cliente 3 127.0.0.1:60257]`.
/// Fica aqui, e não em cada parte, porque todas o escrevem igual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cliente {
    /// A ordem do `accept()`, a partir de 1: o servidor numera a conexão ao
    /// aceitá-la. Não é a ordem em que os clientes chamaram `connect()`: com
    /// a fila do `listen()` cheia, o pedido de conexão de um é descartado e
    /// repetido mais tarde, e outro, que chegou depois, passa na frente.
    pub numero: u64,
    pub endereco: SocketAddr,
}

impl fmt::Display for Cliente {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[cliente {} {}]", self.numero, self.endereco)
    }
}

/// Caracteres de controle (C0, DEL, C1) e os de formatação bidirecional, que
/// reordenam visualmente o texto ao redor ("Trojan Source").
fn precisa_escapar(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod testes {
    use super::{milhares, quantidade, texto_seguro, Cliente};

    #[test]
    fn plural_so_quando_nao_e_um() {
        assert_eq!(quantidade(1, "mensagem", "mensagens"), "1 mensagem");
        assert_eq!(quantidade(0, "mensagem", "mensagens"), "0 mensagens");
        assert_eq!(quantidade(2, "conexão", "conexões"), "2 conexões");
        assert_eq!(quantidade(438_281, "mensagem", "mensagens"), "438.281 mensagens");
    }

    #[test]
    fn separador_de_milhar_a_cada_tres_digitos() {
        for (n, texto) in [(0, "0"), (999, "999"), (1_000, "1.000"), (65_536, "65.536")] {
            assert_eq!(milhares(n), texto);
        }
        assert_eq!(milhares(u64::MAX), "18.446.744.073.709.551.615");
    }

    #[test]
    fn texto_comum_passa_sem_copia() {
        assert!(matches!(
            texto_seguro("olá, ação ✓".as_bytes()),
            std::borrow::Cow::Borrowed("olá, ação ✓")
        ));
    }

    #[test]
    fn controles_e_bytes_invalidos_saem_escapados() {
        assert_eq!(texto_seguro(b"\x1b[2Jx\r\0\t"), "\\u{1b}[2Jx\\r\\0\\t");
        assert_eq!(texto_seguro(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(texto_seguro("\u{202e}abc".as_bytes()), "\\u{202e}abc");
    }

    #[test]
    fn cliente_no_log_tem_numero_e_endereco() {
        let cliente = Cliente { numero: 3, endereco: "127.0.0.1:60257".parse().unwrap() };
        assert_eq!(cliente.to_string(), "[cliente 3 127.0.0.1:60257]");
    }
}
