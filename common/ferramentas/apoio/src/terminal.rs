//! Um pseudoterminal (Unix), para testar o cliente como se alguém digitasse
//! nele: a entrada do programa é um terminal de verdade (`is_terminal()`).

use std::ffi::CStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// O lado mestre (onde o teste "digita") e o lado escravo (que vira a
/// entrada do programa).
pub struct Terminal {
    mestre: File,
    pub escravo: File,
}

impl Terminal {
    pub fn abrir() -> io::Result<Terminal> {
        // SAFETY: posix_openpt devolve um descritor novo ou -1; o
        // descritor passa a ter um único dono (`File`), que o fecha.
        let mestre = unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            File::from_raw_fd(fd)
        };
        let mut nome = [0 as libc::c_char; 128];
        // SAFETY: `mestre` é um pseudoterminal aberto; `nome` tem o
        // tamanho passado, e ptsname_r termina a cadeia com NUL.
        let caminho = unsafe {
            if libc::grantpt(mestre.as_raw_fd()) != 0
                || libc::unlockpt(mestre.as_raw_fd()) != 0
                || libc::ptsname_r(mestre.as_raw_fd(), nome.as_mut_ptr(), nome.len()) != 0
            {
                return Err(io::Error::last_os_error());
            }
            CStr::from_ptr(nome.as_ptr()).to_string_lossy().into_owned()
        };
        let escravo = std::fs::OpenOptions::new().read(true).write(true).open(caminho)?;
        Ok(Terminal { mestre, escravo })
    }

    /// "Digita" `texto` (`\n` é o Enter; `\x04`, o Ctrl-D).
    pub fn digitar(&mut self, texto: &str) -> io::Result<()> {
        self.mestre.write_all(texto.as_bytes())
    }

    /// Dá ao terminal um tamanho (colunas, linhas), como uma janela de
    /// verdade; um pseudoterminal novo tem 0 × 0.
    pub fn definir_tamanho(&self, colunas: u16, linhas: u16) -> io::Result<()> {
        let tamanho = libc::winsize { ws_row: linhas, ws_col: colunas, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ só lê a struct passada.
        if unsafe { libc::ioctl(self.mestre.as_raw_fd(), libc::TIOCSWINSZ, &tamanho) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// O que o programa escreve no terminal (a "tela", com as sequências
    /// de escape), lido do lado mestre por uma thread, desde agora.
    pub fn ler_tela(&self) -> io::Result<Tela> {
        let mut mestre = self.mestre.try_clone()?;
        let lido = Arc::new(Mutex::new(Vec::new()));
        let destino = Arc::clone(&lido);
        thread::spawn(move || {
            let mut pedaco = [0u8; 4096];
            // Termina com erro (EIO) quando o último lado escravo fecha.
            while let Ok(n @ 1..) = mestre.read(&mut pedaco) {
                destino.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&pedaco[..n]);
            }
        });
        Ok(Tela { lido })
    }

    /// O modo do terminal agora (termios): mostra se um programa o deixou
    /// em modo cru.
    pub fn modo(&self) -> io::Result<libc::termios> {
        // SAFETY: termios zerada é válida; tcgetattr só escreve nela.
        let mut modo: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: o descritor é do escravo, aberto enquanto `self` existe.
        if unsafe { libc::tcgetattr(self.escravo.as_raw_fd(), &mut modo) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(modo)
    }

    /// As flags locais (`c_lflag`: ICANON, ECHO, ISIG...) do terminal agora.
    pub fn flags_locais(&self) -> io::Result<libc::tcflag_t> {
        Ok(self.modo()?.c_lflag)
    }

    /// Lê, do lado escravo (onde o próximo programa, o shell, leria), o
    /// que houver para ler até `prazo`: `None` se nada chegou.
    pub fn ler_escravo(&self, prazo: Duration) -> io::Result<Option<Vec<u8>>> {
        let mut espera =
            libc::pollfd { fd: self.escravo.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ms = prazo.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: um pollfd válido, tamanho 1.
        let prontos = unsafe { libc::poll(&mut espera, 1, ms) };
        if prontos < 0 {
            return Err(io::Error::last_os_error());
        }
        if prontos == 0 {
            return Ok(None);
        }
        let mut pedaco = [0u8; 4096];
        let n = (&self.escravo).read(&mut pedaco)?;
        Ok(Some(pedaco[..n].to_vec()))
    }
}

/// O que um programa escreveu no terminal (ver [`Terminal::ler_tela`]).
pub struct Tela {
    lido: Arc<Mutex<Vec<u8>>>,
}

impl Tela {
    /// Tudo até agora, como texto (bytes inválidos trocados).
    pub fn texto(&self) -> String {
        String::from_utf8_lossy(&self.lido.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Espera até `condicao` valer para o texto da tela (até o
    /// [`PRAZO`](crate::PRAZO)); falha o teste mostrando a tela.
    pub fn esperar(&self, descricao: &str, condicao: impl Fn(&str) -> bool) -> String {
        let inicio = Instant::now();
        loop {
            let texto = self.texto();
            if condicao(&texto) {
                return texto;
            }
            if inicio.elapsed() > crate::PRAZO {
                panic!("a tela não mostrou {descricao} em {:?}:\n{texto:?}", crate::PRAZO);
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Espera a tela mostrar `trecho` pela `n`-ésima vez.
    pub fn esperar_texto(&self, trecho: &str, n: usize) -> String {
        self.esperar(&format!("{trecho:?} ({n}ª vez)"), |t| t.matches(trecho).count() >= n)
    }
}
