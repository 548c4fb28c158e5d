//! A lógica do `cenario` (o programa fica em `src/bin/cenario/main.rs`):
//! executar o experimento com processos de verdade, pôr as linhas de todos
//! em ordem causal, medir o que cada cliente viveu e mostrar tudo. Fica na
//! biblioteca para os testes chamarem cada passo com linhas feitas à mão,
//! sem iniciar processo nenhum.
//!
//! - [`execucao`]: o servidor e os clientes como processos, cada cliente
//!   "digitando" o seu roteiro; no fim, as linhas de cada um;
//! - [`ordem`]: a transcrição intercalada em ordem causal, e a leitura das
//!   linhas (de que cliente é uma linha do servidor, o que um cliente enviou);
//! - [`analise`]: das linhas aos instantes de cada cliente;
//! - [`desenho`] e [`respostas`]: a transcrição, a linha do tempo e as
//!   respostas às perguntas da atividade;
//! - [`ordem_causal`]: a conferência da ordem de uma transcrição pronta,
//!   com as mesmas regras de leitura de [`ordem`].

pub mod analise;
pub mod desenho;
pub mod execucao;
pub mod ordem;
pub mod ordem_causal;
pub mod respostas;

#[cfg(test)]
mod testes;
#[cfg(test)]
mod testes_da_ordem;
