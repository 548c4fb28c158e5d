# Receitas do projeto. `just` sem argumentos lista todas.
# No Windows as receitas rodam no PowerShell; no Linux e no macOS, no sh.
#
# As receitas que rodam um programa começam com `@-`: `@` não repete o
# comando na tela, e `-` faz o just não acrescentar uma linha de erro
# quando o programa termina com Ctrl-C ou com código diferente de 0 (o
# programa já disse, em português, o que aconteceu). As que precisam do
# código de saída (testes, medidas) usam `[no-exit-message]`: o just sai
# com o código do programa, sem a linha de erro dele, em inglês. Sem
# `--quiet`, a primeira execução mostra o cargo compilando.

set windows-shell := ["powershell.exe", "-NoLogo", "-NoProfile", "-Command"]

# Lista as receitas
default:
    @just --list --unsorted --list-heading '{{ "Receitas (just <receita> [opções do programa]):\n" }}'

# Parte 1: servidor iterativo e bloqueante (ex.: just parte1 --porta 6000)
parte1 *args:
    @-cargo run --bin parte1 -- {{args}}

# Parte 2: o mesmo servidor, com horários, --backlog e --atraso
parte2 *args:
    @-cargo run --bin parte2 -- {{args}}

# Parte 3: uma thread por cliente (ex.: just parte3 --atraso 2000)
parte3 *args:
    @-cargo run --bin parte3 -- {{args}}

# Parte 3 com uma thread só e poll (mio): o caminho "select" da atividade
parte3-poll *args:
    @-cargo run --bin parte3-poll -- {{args}}

# Parte 3 com async/await (tokio): o caminho "asyncio" da atividade
parte3-async *args:
    @-cargo run --bin parte3-async -- {{args}}

# Parte 4: concorrente e robusto (limite, inatividade, Ctrl-C gracioso)
parte4 *args:
    @-cargo run --bin parte4 -- {{args}}

# O servidor.py da disciplina em Rust, em 40 linhas, só com a biblioteca padrão (ex.: just servidor-simples 6000)
servidor-simples *args:
    @-cargo run --bin servidor-simples -- {{args}}

# O cliente.py da disciplina em Rust, linha por linha (ex.: just cliente-simples 6000)
cliente-simples *args:
    @-cargo run --bin cliente-simples -- {{args}}

# Cliente interativo (ex.: just cliente --tempo --porta 6000)
cliente *args:
    @-cargo run --bin cliente -- {{args}}

# Roda todos os testes
[no-exit-message]
test:
    cargo test --workspace

# O que uma parte acrescenta à anterior: o cabeçalho da nova, depois só as mudanças de código (ex.: just diff parte2 parte3, ou just diff 2 3); da Parte 3 à 4, os seis passos, um depois do outro
diff a="" b="": (_diff (if a =~ '^[0-9]' { "parte" + a } else { a }) (if b =~ '^[0-9]' { "parte" + b } else { b }))

# O diff em si, com as pastas conferidas antes: um nome errado ganha uma
# mensagem em português, e não o erro do git. A conferência vira a própria
# linha de comando (`echo '...'; exit 1` vale no sh e no PowerShell), e
# `[no-exit-message]` faz o just sair com 1 sem acrescentar a sua linha de
# erro em inglês (a função `error()` do just mostraria a justfile inteira).
# Da Parte 3 à 4, no lugar do diff vêm os passos (parte4/passos/), cada um
# com o seu comentário e o seu patch; a linha do diff começa então com `#`,
# que faz dela um comentário no sh e no PowerShell.
[no-exit-message]
_diff a b:
    @{{ if a == "" { FALTA_PARTE } else if b == "" { FALTA_PARTE } else if path_exists(a / "src") != "true" { "echo '" + a + NAO_E_PARTE } else if path_exists(b / "src") != "true" { "echo '" + b + NAO_E_PARTE } else { "" } }}
    @-git --no-pager grep -h "^//!" -- {{b}}/src/servidor.rs
    @-{{ if a + " " + b == "parte3 parte4" { MOSTRAR + " parte4/passos/*.diff" } else { "" } }}
    @-{{ if a + " " + b == "parte3 parte4" { "#" } else { "" } }}git --no-pager diff --no-index -U1 -O common/ferramentas/ordem-do-diff.txt -I "^\s*//" -- {{a}}/src {{b}}/src

# Um passo da Parte 4: o patch do passo N, com o que ele traz (ex.: just passo 3); com `rodar`, o servidor da Parte 3 mais os passos até N (ex.: just passo 3 rodar --max-clientes 2)
[no-exit-message]
passo n="" acao="" *args:
    @{{ if n =~ '^[1-6]$' { if acao == "" { "" } else if acao == "rodar" { "" } else { FALTA_PASSO } } else { FALTA_PASSO } }}
    @{{ if acao == "rodar" { "cargo run -q --bin passos -- montar " + n } else { MOSTRAR + " parte4/passos/" + n + "-*.diff" } }}
    @-{{ if acao == "rodar" { "cargo run --manifest-path target/passos/" + n + "/Cargo.toml --target-dir target/passos/alvo --bin parte4 -- " + args } else { "" } }}

FALTA_PARTE := "echo 'just diff compara duas partes: just diff parte2 parte3 (ou só os números: just diff 2 3)'; exit 1"
NAO_E_PARTE := " não é uma parte: use parte1, parte2, parte3, parte3/poll, parte3/assincrono ou parte4 (ou só o número: just diff 1 2)'; exit 1"
FALTA_PASSO := "echo 'just passo N mostra o passo N da Parte 4 (de 1 a 6); just passo N rodar [opções] roda o servidor até esse passo (ex.: just passo 3 rodar --max-clientes 2)'; exit 1"
# Mostrar um arquivo de texto: o `cat` do PowerShell (Get-Content) leria o
# UTF-8 sem BOM como se fosse a página de código do Windows.
MOSTRAR := if os_family() == "windows" { "Get-Content -Encoding UTF8" } else { "cat" }

# Formata o código e roda o clippy como o CI
[no-exit-message]
lint:
    cargo fmt --all
    cargo clippy --workspace --all-targets -- -D warnings

# Sem o número, o próprio cenario diz, em português, que falta a parte; uma
# opção no lugar do número (just demo --help) vai direto para o cenario.
# Roda o experimento da atividade num terminal só (ex.: just demo 2; just demo 2 --clientes 4 --backlog 1)
demo n="" *args:
    @-cargo run --bin cenario -- {{ if n == "" { "" } else if n =~ '^-' { n } else { "--parte " + n } }} {{args}}

# `just cenario 2` é o mesmo que `just demo 2` (o programa se chama cenario)
alias cenario := demo

# Refaz os blocos gerados do RELATO.md (transcrições, linhas do tempo, respostas e a tabela dos modelos, de figuras/escala.json)
[no-exit-message]
relato:
    cargo run --bin cenario -- --relato RELATO.md

# Mede os servidores (vazão e latência) e escreve em target/bancada/; --rapido: menos de 2 min de medida (a primeira vez compila antes)
[no-exit-message]
bench *args:
    cargo run --release --bin bancada -- {{args}}

# Execução completa da bancada, gravada em figuras/ (uns 10 min)
[no-exit-message]
figuras:
    cargo run --release --bin bancada -- --gravar

# Quanto custa uma conexão aberta, de 10 a 10.000 conexões, em cada servidor concorrente (uns 9 min; --rapido: até 1.000, menos de 1 min de medida; --gravar: em figuras/)
[no-exit-message]
escala *args:
    cargo run --release --bin escala -- {{args}}

# Verifica um servidor Echo e imprime um boletim em dois níveis (ex.: just verificar --iniciar "'python servidor.py {porta}'" --parte 3); uma turma: just verificar turma PASTA --parte 3
verificar *args:
    @-cargo run --bin verificar -- {{args}}

# Gerador de carga contra um servidor já rodando (ex.: just carga --porta 5000 --clientes 100)
carga *args:
    @-cargo run --release --bin carga -- {{args}}

# O atraso de Nagle + ACK atrasado: uma resposta em duas escritas, ou duas respostas seguidas, com e sem TCP_NODELAY
nagle *args:
    @-cargo run --release --bin nagle -- {{args}}

# Um cliente leve enquanto 4 conexões inundam cada servidor concorrente: alguém segura os outros? (uns 4 min; --rapido: menos de 1 min; --gravar: em figuras/)
[no-exit-message]
inundacao *args:
    cargo run --release --bin inundacao -- {{args}}

# Para o professor: um .zip do projeto (o último commit) para os alunos, sem o que entrega as respostas (ver common/ferramentas/disciplina/aluno/README.md)
copia-do-aluno arquivo="eco-aluno.zip":
    git archive --format=zip -o {{arquivo}} --add-file=common/ferramentas/disciplina/aluno/README.md HEAD -- . ':(exclude)README.md' ':(exclude)RELATO.md' ':(exclude)figuras' ':(exclude)common/ferramentas/tests' ':(exclude)common/ferramentas/disciplina/professor' ':(exclude)common/ferramentas/disciplina/solucoes' ':(exclude)common/ferramentas/disciplina/aluno'
    @echo 'Cópia do aluno em {{arquivo}}: sem as respostas (o README.md dela diz o que ficou de fora; o que mudou depois do último commit não entra).'
