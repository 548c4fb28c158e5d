//! Propriedades do enquadramento por linhas: o resultado não depende de como
//! o TCP fatiou o fluxo em leituras.

use common::protocolo::{eco, LeitorDeLinhas, Recebido, LIMITE_MENSAGEM};
use proptest::prelude::*;
use std::io::{self, Read};

/// Uma fonte que entrega o fluxo em pedaços dos tamanhos dados, como um
/// socket entrega o que chegou em cada segmento.
struct Fatiado {
    dados: Vec<u8>,
    posicao: usize,
    cortes: Vec<usize>,
    vez: usize,
}

impl Read for Fatiado {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let resta = self.dados.len() - self.posicao;
        let corte = self.cortes.get(self.vez).copied().unwrap_or(usize::MAX).max(1);
        self.vez += 1;
        let n = resta.min(corte).min(buf.len());
        buf[..n].copy_from_slice(&self.dados[self.posicao..self.posicao + n]);
        self.posicao += n;
        Ok(n)
    }
}

fn ler_tudo(dados: Vec<u8>, cortes: Vec<usize>) -> Vec<Recebido> {
    let mut fonte = Fatiado { dados, posicao: 0, cortes, vez: 0 };
    let mut leitor = LeitorDeLinhas::novo();
    let mut saida = Vec::new();
    loop {
        let evento = leitor.proxima(&mut fonte).expect("fonte em memória não falha");
        let ultimo = matches!(evento, Recebido::Fim | Recebido::Incompleta(_));
        saida.push(evento);
        if ultimo {
            return saida;
        }
    }
}

fn mensagem() -> impl Strategy<Value = Vec<u8>> {
    // Qualquer byte menos `\n`, inclusive `\r` no meio e UTF-8 inválido.
    proptest::collection::vec(any::<u8>().prop_filter("sem \\n", |b| *b != b'\n'), 0..200)
}

proptest! {
    #[test]
    fn qualquer_fatiamento_produz_as_mesmas_mensagens(
        mensagens in proptest::collection::vec((mensagem(), any::<bool>()), 0..20),
        cortes in proptest::collection::vec(1usize..300, 0..50),
    ) {
        let mut fluxo = Vec::new();
        let mut esperado = Vec::new();
        for (m, crlf) in &mensagens {
            fluxo.extend_from_slice(m);
            fluxo.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            let mut m = m.clone();
            // Sem CRLF, um `\r` final da própria mensagem vira o `\r\n` de
            // outro cliente: o protocolo não distingue os dois casos.
            if !*crlf && m.last() == Some(&b'\r') {
                m.pop();
            }
            esperado.push(Recebido::Mensagem(m));
        }
        esperado.push(Recebido::Fim);
        prop_assert_eq!(ler_tudo(fluxo.clone(), cortes), esperado.clone());
        // E de uma vez só, num único read:
        prop_assert_eq!(ler_tudo(fluxo, vec![usize::MAX]), esperado);
    }

    #[test]
    fn linha_final_sem_terminador_e_descartada(resto in proptest::collection::vec(1u8..=255, 1..100)
        .prop_filter("sem \\n", |v| !v.contains(&b'\n'))) {
        let mut fluxo = b"ok\n".to_vec();
        fluxo.extend_from_slice(&resto);
        prop_assert_eq!(ler_tudo(fluxo, vec![7]), vec![Recebido::Mensagem(b"ok".to_vec()), Recebido::Incompleta(resto.len())]);
    }

    #[test]
    fn eco_preserva_cada_byte(m in mensagem()) {
        let saida = eco(&m);
        prop_assert_eq!(&saida[..6], b"Echo: ");
        prop_assert_eq!(&saida[6..saida.len() - 1], &m[..]);
        prop_assert_eq!(saida.last(), Some(&b'\n'));
    }
}

fn linha(tamanho: usize, terminador: &[u8]) -> Vec<u8> {
    let mut v = vec![b'a'; tamanho];
    v.extend_from_slice(terminador);
    v
}

#[test]
fn limite_exato_e_aceito_com_lf_e_crlf() {
    for terminador in [&b"\n"[..], b"\r\n"] {
        let eventos = ler_tudo(linha(LIMITE_MENSAGEM, terminador), vec![1000]);
        assert_eq!(eventos, vec![Recebido::Mensagem(vec![b'a'; LIMITE_MENSAGEM]), Recebido::Fim]);
    }
}

#[test]
fn um_byte_acima_do_limite_e_recusado() {
    for terminador in [&b"\n"[..], b"\r\n"] {
        for cortes in [vec![1000], vec![usize::MAX], vec![LIMITE_MENSAGEM, 1, 1]] {
            let eventos = ler_tudo(linha(LIMITE_MENSAGEM + 1, terminador), cortes);
            assert_eq!(eventos[0], Recebido::GrandeDemais, "terminador {terminador:?}");
        }
    }
    // Sem terminador: recusada assim que passa do limite (+1 para um `\r`),
    // antes do fim do fluxo.
    let eventos = ler_tudo(linha(LIMITE_MENSAGEM + 2, b""), vec![1000]);
    assert_eq!(eventos[0], Recebido::GrandeDemais);
}

#[test]
fn linha_enorme_nao_e_guardada_inteira() {
    // 10 MB sem `\n`: o leitor desiste logo depois do limite.
    let mut fonte = Fatiado { dados: vec![b'x'; 10_000_000], posicao: 0, cortes: vec![], vez: 0 };
    let mut leitor = LeitorDeLinhas::novo();
    assert_eq!(leitor.proxima(&mut fonte).unwrap(), Recebido::GrandeDemais);
    assert!(fonte.posicao < 2 * LIMITE_MENSAGEM, "leu {} bytes", fonte.posicao);
}

/// Uma fonte que conta as leituras e, depois dos dados, trava: uma leitura a
/// mais falharia o teste (como um socket sem dados bloquearia o servidor).
struct ContaLeituras {
    dados: Option<Vec<u8>>,
    leituras: usize,
}

impl Read for ContaLeituras {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.leituras += 1;
        let dados = self.dados.take().expect("leu de novo com mensagens já guardadas");
        buf[..dados.len()].copy_from_slice(&dados);
        Ok(dados.len())
    }
}

#[test]
fn mensagens_que_chegam_juntas_sao_entregues_sem_nova_leitura() {
    // `a\nb\n` numa leitura só: a segunda mensagem sai do que já foi lido,
    // sem esperar mais nada do socket. A resposta de `a` pode ser escrita
    // antes de `b` ser processada, e a de `b` não espera uma terceira.
    let mut fonte = ContaLeituras { dados: Some(b"a\nb\n".to_vec()), leituras: 0 };
    let mut leitor = LeitorDeLinhas::novo();
    assert_eq!(leitor.proxima(&mut fonte).unwrap(), Recebido::Mensagem(b"a".to_vec()));
    assert_eq!(leitor.proxima(&mut fonte).unwrap(), Recebido::Mensagem(b"b".to_vec()));
    assert_eq!(fonte.leituras, 1);
}
