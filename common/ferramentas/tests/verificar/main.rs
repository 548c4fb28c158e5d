//! O `verificar` contra servidores de verdade, pelo caminho que o aluno usa
//! (`--iniciar "CMD"`): os nossos e o gabarito Python da disciplina, que
//! precisam passar nos dois níveis, e pequenos servidores Python
//! (`tests/servidores/`), cada um com um erro típico de aluno, que precisam
//! receber o veredito e a causa que um professor daria lendo o código.
//!
//! Cada execução inicia o seu servidor numa porta livre (o `{porta}` do
//! comando). Para o conjunto caber em pouco tempo, os servidores de um
//! mesmo teste são verificados em paralelo (três por vez: cada verificação
//! espera mais do que trabalha), e cada teste confere tudo o que uma
//! execução mostra.
//!
//! - [`nossos`]: os seis servidores do projeto, e os casos sem servidor a
//!   verificar;
//! - [`solucoes`]: o gabarito Python (`disciplina/solucoes/`);
//! - [`alunos`]: os erros típicos de aluno;
//! - [`turma`]: a porta fixa no código e a turma inteira;
//! - [`dicas`]: o boletim sem dicas dos exercícios, e a saída do servidor
//!   resumida;
//! - [`comum`]: rodar o binário e conferir o JSON.

mod alunos;
mod comum;
mod dicas;
mod nossos;
mod solucoes;
mod turma;
