//! O único jeito de iniciar um programa do workspace usado pelos testes, pelo
//! `cenario` e pela `bancada`: um processo filho com a saída padrão e a de
//! erros no mesmo pipe (as linhas ficam na ordem em que o programa as
//! escreveu), cada linha guardada com o instante em que chegou.
//!
//! Um servidor é sempre iniciado com `--porta 0`: o sistema escolhe uma
//! porta livre, e ela é lida do banner (`Servidor Echo escutando em ...`).
//! Escolher uma porta abrindo e fechando um socket antes deixaria uma janela
//! em que outro programa poderia tomá-la.

use anyhow::{anyhow, bail, Context, Result};
use common::rede::PREFIXO_DO_BANNER;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use wait_timeout::ChildExt;

/// Prazo generoso para o banner de um servidor: a primeira execução pode
/// esperar o disco, e a máquina de CI é pequena e compartilhada.
pub const PRAZO_DO_BANNER: Duration = Duration::from_secs(30);

/// Uma linha que o programa escreveu (sem o `\n`), e quando ela chegou.
#[derive(Clone, Debug)]
pub struct Linha {
    pub texto: String,
    /// Instante (relógio de parede) em que a linha chegou a este processo:
    /// depois de o programa escrevê-la, nunca antes.
    pub chegada: SystemTime,
}

/// O que fazer com as linhas depois do banner.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Saida {
    /// Guardar todas (testes, `cenario`).
    Guardar,
    /// Descartar: um servidor medido pela `bancada` escreve milhões de
    /// linhas de log; o pipe é esvaziado para ele nunca bloquear, sem
    /// guardar nada.
    Descartar,
    /// Parar de ler depois do banner, com o pipe ainda aberto: um terminal
    /// travado (no Windows, basta clicar na janela do console). O que o
    /// programa escrever depois fica no pipe até ele encher.
    Travada,
}

/// As linhas recebidas até agora, e quem espera por elas.
struct Coletor {
    /// Guardado por uma trava só, que a `Condvar` exige.
    coletado: Mutex<Coletado>,
    /// Sinalizada a cada linha nova e no fim da leitura.
    chegou: Condvar,
}

#[derive(Default)]
struct Coletado {
    linhas: Vec<Linha>,
    /// A leitura terminou (o programa fechou a saída ou morreu).
    fim: bool,
    /// Com [`Saida::Travada`]: a ponta de leitura do pipe, guardada sem ser
    /// lida até o `Processo` ser destruído.
    pipe_sem_leitor: Option<Box<dyn Send>>,
}

impl Coletor {
    fn travar(&self) -> MutexGuard<'_, Coletado> {
        self.coletado.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Espera a próxima novidade (linha ou fim), por no máximo `prazo`.
    fn esperar<'a>(
        &self,
        guarda: MutexGuard<'a, Coletado>,
        prazo: Duration,
    ) -> MutexGuard<'a, Coletado> {
        self.chegou.wait_timeout(guarda, prazo).unwrap_or_else(|e| e.into_inner()).0
    }
}

/// Um programa em execução. Ao sair de escopo, é encerrado e esperado (não
/// fica processo órfão nem zumbi, em nenhum caminho).
pub struct Processo {
    nome: String,
    filho: Child,
    entrada: Option<ChildStdin>,
    coletor: Arc<Coletor>,
    /// Porta lida do banner (0 se o programa não é um servidor).
    pub porta: u16,
}

impl Processo {
    /// Inicia o programa em `caminho` com `args`; a entrada padrão fica
    /// aberta para [`Processo::escrever`].
    pub fn iniciar(caminho: &Path, args: &[String], saida: Saida) -> Result<Processo> {
        Processo::iniciar_com_entrada(caminho, args, Stdio::piped(), saida)
    }

    /// Como [`Processo::iniciar`], com outra entrada padrão (ex.: o lado
    /// escravo de um pseudoterminal, nos testes do cliente interativo).
    pub fn iniciar_com_entrada(
        caminho: &Path,
        args: &[String],
        entrada: Stdio,
        saida: Saida,
    ) -> Result<Processo> {
        let nome =
            caminho.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (leitor, escritor) = std::io::pipe().context("criar o pipe da saída")?;
        let mut comando = Command::new(caminho);
        comando
            .args(args)
            .stdin(entrada)
            .stdout(escritor.try_clone().context("duplicar o pipe")?)
            .stderr(escritor);
        let mut filho =
            comando.spawn().with_context(|| format!("iniciar {}", caminho.display()))?;
        // As pontas de escrita do pipe ficaram com o `Command`; sem soltá-las,
        // a leitura nunca veria o fim quando o programa terminasse.
        drop(comando);
        let coletor = Arc::new(Coletor { coletado: Mutex::default(), chegou: Condvar::new() });
        let c = Arc::clone(&coletor);
        thread::Builder::new()
            .name(format!("saída de {nome}"))
            .spawn(move || coletar(leitor, &c, saida))
            .context("criar a thread que lê a saída")?;
        let entrada = filho.stdin.take();
        Ok(Processo { nome, filho, entrada, coletor, porta: 0 })
    }

    /// Inicia o servidor `caminho` com `--porta 0` e os `args`, e espera o
    /// banner para saber a porta.
    pub fn servidor(caminho: &Path, args: &[String], saida: Saida) -> Result<Processo> {
        let mut todos = vec!["--porta".to_string(), "0".to_string()];
        todos.extend(args.iter().cloned());
        let mut processo = Processo::iniciar(caminho, &todos, saida)?;
        let banner = processo
            .esperar(|l| l.starts_with(PREFIXO_DO_BANNER), 1, PRAZO_DO_BANNER)
            .map_err(|e| anyhow!("o servidor {} não começou: {e:#}", processo.nome))?;
        processo.porta = banner
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| anyhow!("banner sem porta: {banner:?}"))?;
        Ok(processo)
    }

    pub fn nome(&self) -> &str {
        &self.nome
    }

    pub fn pid(&self) -> u32 {
        self.filho.id()
    }

    /// Espera até haver `n` linhas que satisfazem `predicado`; devolve a
    /// n-ésima. Erro se o `prazo` passar ou o programa fechar a saída antes;
    /// a mensagem traz tudo o que ele escreveu.
    pub fn esperar(
        &self,
        predicado: impl Fn(&str) -> bool,
        n: usize,
        prazo: Duration,
    ) -> Result<String> {
        let limite = Instant::now() + prazo;
        let mut coletado = self.coletor.travar();
        loop {
            if let Some(linha) = coletado.linhas.iter().filter(|l| predicado(&l.texto)).nth(n - 1) {
                return Ok(linha.texto.clone());
            }
            let resta = limite.saturating_duration_since(Instant::now());
            if coletado.fim || resta.is_zero() {
                let motivo = if coletado.fim { "o programa terminou" } else { "o prazo passou" };
                let texto: Vec<&str> = coletado.linhas.iter().map(|l| l.texto.as_str()).collect();
                bail!("linha esperada não apareceu ({motivo}); saída:\n{}", texto.join("\n"));
            }
            coletado = self.coletor.esperar(coletado, resta);
        }
    }

    /// Espera o programa ficar `silencio` sem escrever nada (ou o `prazo`
    /// passar): para quando não há uma linha certa a esperar.
    pub fn esperar_silencio(&self, silencio: Duration, prazo: Duration) {
        let limite = Instant::now() + prazo;
        let mut coletado = self.coletor.travar();
        let mut quantas = coletado.linhas.len();
        while Instant::now() < limite && !coletado.fim {
            let desde = Instant::now();
            while coletado.linhas.len() == quantas && !coletado.fim && desde.elapsed() < silencio {
                coletado = self.coletor.esperar(coletado, silencio.saturating_sub(desde.elapsed()));
            }
            if coletado.linhas.len() == quantas {
                return;
            }
            quantas = coletado.linhas.len();
        }
    }

    /// As linhas escritas até agora.
    pub fn linhas(&self) -> Vec<Linha> {
        self.coletor.travar().linhas.clone()
    }

    /// Só os textos das linhas escritas até agora.
    pub fn textos(&self) -> Vec<String> {
        self.coletor.travar().linhas.iter().map(|l| l.texto.clone()).collect()
    }

    /// Escreve `texto` e `\n` na entrada padrão do programa. Devolve `false`
    /// se ele já não lê (terminou).
    pub fn escrever(&mut self, texto: &str) -> bool {
        let Some(entrada) = self.entrada.as_mut() else { return false };
        let ok = entrada.write_all(format!("{texto}\n").as_bytes()).and_then(|()| entrada.flush());
        if ok.is_err() {
            self.entrada = None;
        }
        ok.is_ok()
    }

    /// Fecha a entrada padrão: o programa vê o fim da entrada (como Ctrl-D).
    pub fn fechar_entrada(&mut self) {
        self.entrada = None;
    }

    /// O programa ainda está rodando?
    pub fn vivo(&mut self) -> bool {
        matches!(self.filho.try_wait(), Ok(None))
    }

    /// Espera o programa terminar, por no máximo `prazo`; `None` se não
    /// terminou. Depois que ele termina, todas as suas linhas já chegaram.
    pub fn esperar_fim(&mut self, prazo: Duration) -> Result<Option<ExitStatus>> {
        let status = self.filho.wait_timeout(prazo).context("esperar o processo")?;
        if status.is_some() {
            // O pipe fecha quando o programa termina; falta só a thread
            // leitora entregar o que estava nele.
            let limite = Instant::now() + Duration::from_secs(5);
            let mut coletado = self.coletor.travar();
            while !coletado.fim && Instant::now() < limite {
                coletado = self.coletor.esperar(coletado, Duration::from_millis(100));
            }
        }
        Ok(status)
    }

    /// Encerra o programa à força (SIGKILL no Unix, TerminateProcess no
    /// Windows) e espera o fim.
    pub fn matar(&mut self) {
        let _ = self.filho.kill();
        let _ = self.filho.wait();
    }

    /// Um campo numérico de `/proc/<pid>/status` do programa (ex.: `VmHWM:`
    /// em KiB, `Threads:`); só no Linux (ver [`crate::linux`]).
    pub fn campo_de_status(&self, campo: &str) -> Option<u64> {
        crate::linux::campo_de_status(self.pid(), campo)
    }

    /// Tempo de CPU (usuário + sistema) do programa, em segundos; só no Linux.
    pub fn cpu_s(&self) -> Option<f64> {
        crate::linux::cpu_s(self.pid())
    }

    /// Envia um sinal ao processo (Unix), como Ctrl-C (`INT`) ou `TERM`.
    #[cfg(unix)]
    pub fn sinal(&self, sinal: &str) -> Result<()> {
        let status = Command::new("kill")
            .args([&format!("-{sinal}"), &self.pid().to_string()])
            .status()
            .context("executar kill")?;
        if !status.success() {
            bail!("kill -{sinal} {} falhou", self.pid());
        }
        Ok(())
    }
}

impl Drop for Processo {
    fn drop(&mut self) {
        self.entrada = None;
        if let Ok(None) = self.filho.try_wait() {
            let _ = self.filho.kill();
        }
        let _ = self.filho.wait();
    }
}

/// A thread leitora: separa a saída em linhas e as entrega ao coletor.
fn coletar(fluxo: impl Read + Send + 'static, coletor: &Coletor, saida: Saida) {
    let mut leitor = BufReader::with_capacity(64 * 1024, fluxo);
    let mut linha = Vec::new();
    let mut viu_o_banner = false;
    loop {
        if saida == Saida::Travada && viu_o_banner {
            coletor.travar().pipe_sem_leitor = Some(Box::new(leitor));
            return;
        }
        if saida == Saida::Descartar && viu_o_banner {
            // Só esvazia o pipe, sem separar linhas.
            let tamanho = match leitor.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(bytes) => bytes.len(),
            };
            leitor.consume(tamanho);
            continue;
        }
        linha.clear();
        match leitor.read_until(b'\n', &mut linha) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let chegada = SystemTime::now();
        let texto = String::from_utf8_lossy(&linha).trim_end_matches(['\n', '\r']).to_string();
        viu_o_banner |= texto.starts_with(PREFIXO_DO_BANNER);
        coletor.travar().linhas.push(Linha { texto, chegada });
        coletor.chegou.notify_all();
    }
    coletor.travar().fim = true;
    coletor.chegou.notify_all();
}
