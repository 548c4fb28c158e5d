//! O carimbo de hora dos logs, a partir da Parte 2: `[13:48:04.416]`.

use chrono::{DateTime, Local};
use std::fmt;
use std::time::{Duration, SystemTime};

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

impl fmt::Display for Carimbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local: DateTime<Local> = self.0.into();
        write!(f, "[{}]", local.format("%H:%M:%S%.3f"))
    }
}

/// Uma duração para pessoas: `0,3 ms`, `850 ms`, `3,21 s`, `2 min 05 s`.
pub fn duracao_legivel(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10 {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0).replace('.', ",")
    } else if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{},{:02} s", ms / 1000, (ms % 1000) / 10)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
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

    #[test]
    fn duracoes() {
        assert_eq!(duracao_legivel(Duration::from_micros(340)), "0,3 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(850)), "850 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(3210)), "3,21 s");
        assert_eq!(duracao_legivel(Duration::from_secs(125)), "2 min 05 s");
    }
}
