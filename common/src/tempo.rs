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

    #[test]
    fn duracoes() {
        assert_eq!(duracao_legivel(Duration::from_micros(340)), "0,3 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(850)), "850 ms");
        assert_eq!(duracao_legivel(Duration::from_millis(3210)), "3,21 s");
        assert_eq!(duracao_legivel(Duration::from_secs(125)), "2 min 05 s");
    }
}
