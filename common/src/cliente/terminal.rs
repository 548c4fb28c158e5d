//! O modo do terminal: guardado antes de o editor de linha mexer nele e
//! restaurado na saída, e o que ficou digitado sem ser lido, descartado.
//!
//! Por que isso não fica por conta do editor: o cliente termina com
//! `std::process::exit`, que não roda destrutores, e a thread do teclado pode
//! estar parada dentro de `readline`, com o terminal em modo "cru" (sem eco,
//! sem edição de linha do sistema). Quem sai é a thread principal; ela
//! restaura o modo que guardou. E o que o usuário digitou e o cliente não leu
//! ficaria na fila do terminal e seria lido pelo shell depois da saída (o
//! `-bash: digitando: command not found`): por isso a fila é esvaziada.
//!
//! Só se usa quando a entrada padrão é um terminal; com um pipe ou arquivo
//! nada aqui é chamado.

pub use sistema::{descartar_entrada, guardar, normal, restaurar, silenciar, Modo};

#[cfg(unix)]
mod sistema {
    /// As configurações do terminal (termios) da entrada padrão.
    #[derive(Clone, Copy)]
    pub struct Modo(libc::termios);

    /// O modo atual da entrada padrão, ou `None` se ela não é um terminal.
    pub fn guardar() -> Option<Modo> {
        // SAFETY: termios é uma struct C só de números; zerada é um valor
        // válido, e tcgetattr só escreve nela.
        let mut modo: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: o descritor 0 é da entrada padrão; tcgetattr falha (e
        // devolve -1) se ele não for um terminal.
        let ok = unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut modo) } == 0;
        ok.then_some(Modo(modo))
    }

    /// Volta ao modo guardado. TCSAFLUSH aplica o modo e, junto, descarta o
    /// que foi digitado e ainda não lido.
    pub fn restaurar(modo: &Modo) {
        // SAFETY: só lê a struct passada; um erro (entrada que deixou de ser
        // terminal) não tem o que desfazer.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &modo.0) };
    }

    /// Volta ao modo guardado sem descartar nada: o que foi digitado
    /// continua esperando quem vai lê-lo (o editor, logo em seguida).
    pub fn normal(modo: &Modo) {
        // SAFETY: só lê a struct passada.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &modo.0) };
    }

    /// Descarta o que foi digitado e ainda não lido (tcflush).
    pub fn descartar_entrada() {
        // SAFETY: sem ponteiros; num descritor que não é terminal só falha.
        unsafe { libc::tcflush(libc::STDIN_FILENO, libc::TCIFLUSH) };
    }

    /// O modo de `modo` sem eco, sem edição de linha e sem sinais (Ctrl-C e
    /// Ctrl-Z viram teclas): as teclas esperam, intactas, quem for lê-las.
    pub fn silenciar(modo: &Modo) {
        let mut quieto = modo.0;
        quieto.c_lflag &= !(libc::ECHO | libc::ICANON | libc::ISIG | libc::IEXTEN);
        quieto.c_iflag &= !(libc::IXON | libc::ICRNL);
        quieto.c_cc[libc::VMIN] = 1;
        quieto.c_cc[libc::VTIME] = 0;
        // SAFETY: só lê a struct passada.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &quieto) };
    }
}

#[cfg(windows)]
mod sistema {
    use windows_sys::Win32::Foundation::HANDLE;
    use windows_sys::Win32::System::Console::{
        FlushConsoleInputBuffer, GetConsoleMode, GetStdHandle, SetConsoleMode, CONSOLE_MODE,
        STD_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
    };

    /// Os modos do console: o da entrada (eco, linha, Ctrl-C) e o da saída
    /// (sequências de escape), que o editor também muda.
    #[derive(Clone, Copy)]
    pub struct Modo {
        entrada: CONSOLE_MODE,
        saida: Option<CONSOLE_MODE>,
    }

    fn console(qual: STD_HANDLE) -> HANDLE {
        // SAFETY: GetStdHandle só consulta a tabela de handles do processo.
        unsafe { GetStdHandle(qual) }
    }

    fn modo_de(handle: HANDLE) -> Option<CONSOLE_MODE> {
        let mut modo: CONSOLE_MODE = 0;
        // SAFETY: `modo` é um u32 válido; a função falha (0) se o handle não
        // for de um console.
        (unsafe { GetConsoleMode(handle, &mut modo) } != 0).then_some(modo)
    }

    /// Os modos atuais, ou `None` se a entrada padrão não é um console.
    pub fn guardar() -> Option<Modo> {
        let entrada = modo_de(console(STD_INPUT_HANDLE))?;
        Some(Modo { entrada, saida: modo_de(console(STD_OUTPUT_HANDLE)) })
    }

    /// Volta aos modos guardados e descarta as teclas ainda não lidas.
    pub fn restaurar(modo: &Modo) {
        normal(modo);
        descartar_entrada();
    }

    /// Volta aos modos guardados sem descartar nada.
    pub fn normal(modo: &Modo) {
        // SAFETY: handles do próprio processo; um erro não tem o que desfazer.
        unsafe {
            SetConsoleMode(console(STD_INPUT_HANDLE), modo.entrada);
            if let Some(saida) = modo.saida {
                SetConsoleMode(console(STD_OUTPUT_HANDLE), saida);
            }
        }
    }

    /// Descarta as teclas ainda não lidas: senão o PowerShell as leria.
    pub fn descartar_entrada() {
        // SAFETY: handle do próprio processo; num que não é console só falha.
        unsafe { FlushConsoleInputBuffer(console(STD_INPUT_HANDLE)) };
    }

    /// Nada a fazer: no console do Windows o eco acontece na leitura, não
    /// quando a tecla é apertada, e as teclas esperam no buffer do console.
    pub fn silenciar(_: &Modo) {}
}

/// Outros sistemas: nada a guardar nem a restaurar.
#[cfg(not(any(unix, windows)))]
mod sistema {
    #[derive(Clone, Copy)]
    pub struct Modo;
    pub fn guardar() -> Option<Modo> {
        None
    }
    pub fn restaurar(_: &Modo) {}
    pub fn normal(_: &Modo) {}
    pub fn descartar_entrada() {}
    pub fn silenciar(_: &Modo) {}
}
