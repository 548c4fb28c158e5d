//! Provas de concorrência, para comparar o servidor serial com os
//! concorrentes pela ordem dos eventos, nunca por durações exatas.

use crate::processo::Processo;
use crate::{Conectado, PRAZO};
use std::io::{self, Write};
use std::thread;
use std::time::Duration;

/// Dois clientes enviam uma mensagem cada a um servidor com `--atraso`.
/// Devolve `true` se o segundo recebeu a resposta enquanto o primeiro
/// continuava conectado: atendimento sobreposto. Num servidor serial
/// isso é impossível (o segundo só é aceito quando o primeiro sai); num
/// concorrente, a resposta do segundo chega um `--atraso` depois.
pub fn atendimento_se_sobrepoe(servidor: &Processo) -> bool {
    let mut primeiro = Conectado::novo(servidor.porta);
    primeiro.enviar(b"primeiro\n").unwrap();
    servidor.esperar_texto("Recebido: primeiro", 1);
    let mut segundo = Conectado::novo(servidor.porta);
    segundo.enviar(b"segundo\n").unwrap();
    assert_eq!(primeiro.ler_linha().unwrap().unwrap(), b"Echo: primeiro");
    // O primeiro continua conectado. A resposta do segundo chega?
    segundo.socket.set_read_timeout(Some(ESPERA_PELA_SOBREPOSICAO)).unwrap();
    let sobrepos = match segundo.ler_linha() {
        Ok(Some(resposta)) => {
            assert_eq!(resposta, b"Echo: segundo");
            true
        }
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => false,
        outro => panic!("resposta inesperada do segundo cliente: {outro:?}"),
    };
    drop(primeiro);
    if !sobrepos {
        // Servidor serial: agora que o primeiro saiu, o segundo é atendido.
        segundo.socket.set_read_timeout(Some(PRAZO)).unwrap();
        assert_eq!(segundo.ler_linha().unwrap().unwrap(), b"Echo: segundo");
    }
    sobrepos
}

/// Quanto o segundo cliente espera a resposta com o primeiro ainda
/// conectado: bem mais que o `--atraso` de 1,5 s dos testes.
const ESPERA_PELA_SOBREPOSICAO: Duration = Duration::from_secs(8);

/// `clientes` conexões simultâneas, `ecos` mensagens cada: toda resposta
/// confere byte a byte, nenhuma se perde.
pub fn muitos_clientes(porta: u16, clientes: usize, ecos: usize) {
    let threads: Vec<_> = (0..clientes)
        .map(|i| {
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut cliente = Conectado::novo(porta);
                    for j in 0..ecos {
                        cliente.eco(format!("cliente {i} mensagem {j}").as_bytes());
                    }
                })
                .expect("criar thread de teste")
        })
        .collect();
    for t in threads {
        t.join().expect("um cliente recebeu resposta errada ou nenhuma");
    }
}

/// Clientes hostis agem enquanto um cliente comum conversa; o comum
/// recebe todas as respostas, certas.
pub fn hostis_nao_afetam_os_outros(servidor: &Processo) {
    let porta = servidor.porta;
    let mut comum = Conectado::novo(porta);
    comum.eco(b"comum antes");

    // 1. Nunca lê: manda megabytes de mensagens; as respostas enchem o
    //    buffer do socket e a thread dele no servidor fica presa.
    let surdo = thread::spawn(move || {
        let surdo = Conectado::novo(porta);
        surdo.socket.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
        let bloco = b"nunca leio as respostas\n".repeat(40_000);
        let mut s = &surdo.socket;
        for _ in 0..10 {
            if s.write_all(&bloco).is_err() {
                break;
            }
        }
        surdo // mantém a conexão aberta até o fim do teste
    });

    // 2. Meio fechamento: envia, fecha a escrita, ainda recebe tudo.
    let mut meio = Conectado::novo(porta);
    meio.enviar(b"um\ndois\n").unwrap();
    meio.fechar_escrita();
    assert_eq!(meio.ler_ate_o_fim().unwrap(), vec![b"Echo: um".to_vec(), b"Echo: dois".to_vec()]);
    comum.eco(b"comum 2");

    // 3. RST no meio de uma linha.
    let mut cai = Conectado::novo(porta);
    cai.enviar(b"sem fim").unwrap();
    cai.resetar();
    comum.eco(b"comum 3");

    // 4. Linha acima do limite.
    let mut grande = Conectado::novo(porta);
    let mut linha = vec![b'g'; 70_000];
    linha.push(b'\n');
    grande.enviar(&linha).unwrap();
    assert_eq!(
        grande.ler_ate_o_fim().unwrap(),
        vec![b"Erro: mensagem maior que 65536 bytes".to_vec()]
    );

    for i in 0..50 {
        comum.eco(format!("comum depois {i}").as_bytes());
    }
    let _surdo = surdo.join().expect("thread do cliente que não lê");
    // Um cliente novo também é atendido.
    Conectado::novo(porta).eco(b"novo");
}
