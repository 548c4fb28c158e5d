//! O carimbo de hora dos logs, a partir da Parte 2: `[13:48:04.416]`.

use chrono::{DateTime, Local};
use std::cell::Cell;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Um instante, impresso na hora local como `[hh:mm:ss.mmm]`.
///
/// Guarda o instante cru e só o converte para a hora local ao imprimir:
/// assim uma thread registra a hora do evento e outra (o logger da Parte 4)
/// faz a conversão e a formatação, que consultam o fuso horário.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Carimbo(SystemTime);

/// O carimbo deste instante.
pub fn agora() -> Carimbo {
    Carimbo(SystemTime::now())
}

thread_local! {
    /// O último segundo convertido por esta thread: (segundos desde 1970,
    /// `hh:mm:ss` na hora local).
    ///
    /// Por que existe: converter para a hora local (consultar o fuso) e
    /// formatar custam bem mais que o resto de uma linha de log, e um servidor
    /// ocupado imprime milhares de linhas no mesmo segundo. Assim a conversão
    /// é feita no máximo uma vez por segundo por thread; os milissegundos
    /// são só acrescentados. Refazer a cada segundo novo basta: o fuso (ou o
    /// horário de verão) só muda numa virada de segundo.
    static SEGUNDO_LOCAL: Cell<(u64, [u8; 8])> = const { Cell::new((u64::MAX, [0; 8])) };
}

impl fmt::Display for Carimbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(desde_1970) = self.0.duration_since(UNIX_EPOCH) else {
            // Relógio antes de 1970: raro demais para ter atalho.
            let local: DateTime<Local> = self.0.into();
            return write!(f, "[{}]", local.format("%H:%M:%S%.3f"));
        };
        let segundo = desde_1970.as_secs();
        let hms = SEGUNDO_LOCAL.with(|memoria| {
            let (guardado, hms) = memoria.get();
            if guardado == segundo {
                return hms;
            }
            let local: DateTime<Local> = (UNIX_EPOCH + Duration::from_secs(segundo)).into();
            let novo: [u8; 8] = local
                .format("%H:%M:%S")
                .to_string()
                .into_bytes()
                .try_into()
                .expect("%H:%M:%S tem sempre 8 bytes");
            memoria.set((segundo, novo));
            novo
        });
        // `[hh:mm:ss.mmm]` montado num buffer e escrito de uma vez. Os fusos
        // diferem do UTC em segundos inteiros, então os milissegundos do
        // instante são os mesmos na hora local.
        let ms = desde_1970.subsec_millis();
        let mut linha = *b"[hh:mm:ss.mmm]";
        linha[1..9].copy_from_slice(&hms);
        linha[10] = b'0' + (ms / 100) as u8;
        linha[11] = b'0' + (ms / 10 % 10) as u8;
        linha[12] = b'0' + (ms % 10) as u8;
        f.write_str(std::str::from_utf8(&linha).expect("só dígitos e pontuação ASCII"))
    }
}

impl Carimbo {
    /// Lê o carimbo `[hh:mm:ss.mmm]` do começo de `linha` (o que o `Display`
    /// imprime): a hora local, em milissegundos desde a meia-noite. `None`
    /// se a linha não começa com um carimbo. Quem lê: as ferramentas e os
    /// testes que põem em ordem as linhas de vários processos.
    pub fn ler(linha: &str) -> Option<u32> {
        let b = linha.as_bytes().get(..TAMANHO_DO_CARIMBO)?;
        if b[0] != b'[' || b[3] != b':' || b[6] != b':' || b[9] != b'.' || b[13] != b']' {
            return None;
        }
        let numero = |de: usize, ate: usize| -> Option<u32> {
            let digitos = &b[de..ate];
            digitos.iter().all(u8::is_ascii_digit).then_some(())?;
            Some(digitos.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let (h, m, s, ms) = (numero(1, 3)?, numero(4, 6)?, numero(7, 9)?, numero(10, 13)?);
        // 60 segundos: o segundo bissexto que o relógio às vezes mostra.
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        Some(((h * 60 + m) * 60 + s) * 1000 + ms)
    }
}

/// Quantos bytes um carimbo ocupa: `[hh:mm:ss.mmm]`.
pub const TAMANHO_DO_CARIMBO: usize = 14;

/// `linha` sem o carimbo do começo e o espaço que o segue; sem carimbo, a
/// linha inteira.
pub fn sem_carimbo(linha: &str) -> &str {
    match (Carimbo::ler(linha), linha.as_bytes().get(TAMANHO_DO_CARIMBO)) {
        (Some(_), Some(b' ')) => &linha[TAMANHO_DO_CARIMBO + 1..],
        _ => linha,
    }
}

/// Uma duração para pessoas: `0,3 ms`, `850 ms`, `3,21 s`, `2 min 05 s`.
/// Arredonda (não corta) na última casa mostrada: 2,997 s vira `3,00 s`,
/// como os instantes do `cenario` (+3,00 s), para as contas fecharem.
pub fn duracao_legivel(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 9.95 {
        format!("{ms:.1} ms").replace('.', ",")
    } else if ms < 999.5 {
        format!("{ms:.0} ms")
    } else if ms < 59_995.0 {
        format!("{:.2} s", ms / 1000.0).replace('.', ",")
    } else {
        let segundos = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", segundos / 60, segundos % 60)
    }
}

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn carimbo_tem_milissegundos() {
        let texto = agora().to_string();
        assert_eq!(texto.len(), "[13:48:04.416]".len(), "{texto}");
        assert!(texto.starts_with('[') && texto.ends_with(']') && texto.as_bytes()[9] == b'.');
    }

    /// O formato de antes da memória do segundo: o que deve continuar saindo.
    fn como_o_chrono(t: SystemTime) -> String {
        let local: DateTime<Local> = t.into();
        format!("[{}]", local.format("%H:%M:%S%.3f"))
    }

    #[test]
    fn memoria_do_segundo_nao_muda_o_que_e_impresso() {
        let base = SystemTime::now();
        let depois = |ms| base + Duration::from_millis(ms);
        // Mesmo segundo (a memória acerta), o próximo, e de volta a um antigo.
        for ms in [0, 1, 999, 1000, 1001, 0, 59_999, 3_600_000, 86_399_999, 5, 43_200_123] {
            assert_eq!(Carimbo(depois(ms)).to_string(), como_o_chrono(depois(ms)), "+{ms} ms");
        }
        let antes_de_1970 = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(Carimbo(antes_de_1970).to_string(), como_o_chrono(antes_de_1970));
    }

    /// A hora local de `t` em milissegundos desde a meia-noite, pelo chrono.
    fn ms_do_dia(t: SystemTime) -> u32 {
        use chrono::Timelike;
        let local: DateTime<Local> = t.into();
        local.num_seconds_from_midnight() * 1000 + local.nanosecond() % 1_000_000_000 / 1_000_000
    }

    #[test]
    fn carimbo_impresso_e_lido_de_volta_da_a_mesma_hora() {
        let base = SystemTime::now();
        for ms in [0, 1, 999, 1000, 59_999, 3_600_000, 43_200_123, 86_399_999] {
            let t = base + Duration::from_millis(ms);
            let linha = format!("{} [cliente 1 127.0.0.1:5000] Recebido: oi", Carimbo(t));
            assert_eq!(Carimbo::ler(&linha), Some(ms_do_dia(t)), "{linha}");
            assert_eq!(sem_carimbo(&linha), "[cliente 1 127.0.0.1:5000] Recebido: oi");
        }
    }

    #[test]
    fn linha_sem_carimbo_fica_como_esta() {
        for linha in [
            "",
            "Cliente desconectou",
            "[cliente 1 127.0.0.1:5000] Conectado",
            "[13:48:04.41] curto demais",
            "[13:48:04,416] vírgula",
            "[25:00:00.000] hora impossível",
            "[1a:48:04.416] letra",
        ] {
            assert_eq!(Carimbo::ler(linha), None, "{linha}");
            assert_eq!(sem_carimbo(linha), linha);
        }
        // Só o carimbo, sem o espaço: a hora sai, a linha fica.
        assert_eq!(Carimbo::ler("[00:00:01.002]"), Some(1002));
        assert_eq!(sem_carimbo("[00:00:01.002]"), "[00:00:01.002]");
    }

    #[test]
    fn duracoes() {
        assert_eq!(duracao_legivel(Duration::from_micros(340)), "0,3 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(850)), "850 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(3210)), "3,21 s");
        assert_eq!(duracao_legivel(Duration::from_secs(125)), "2 min 05 s");
        // Arredonda, inclusive na troca de unidade.
        assert_eq!(duracao_legivel(Duration::from_millis(2997)), "3,00 s");
        assert_eq!(duracao_legivel(Duration::from_micros(9_960)), "10 ms");
        assert_eq!(duracao_legivel(Duration::from_micros(999_600)), "1,00 s");
        assert_eq!(duracao_legivel(Duration::from_millis(59_996)), "1 min 00 s");
    }
}
