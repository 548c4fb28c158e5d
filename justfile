# Receitas do projeto. `just` sem argumentos lista todas.
# No Windows as receitas rodam no PowerShell; no Linux e no macOS, no sh.

set windows-shell := ["powershell.exe", "-NoLogo", "-NoProfile", "-Command"]

# Lista as receitas
default:
    @just --list --unsorted

# Parte 1: servidor iterativo e bloqueante (ex.: just parte1 --porta 6000)
parte1 *args:
    cargo run --quiet --bin parte1 -- {{args}}

# Parte 2: o mesmo servidor, com horários, --backlog e --atraso
parte2 *args:
    cargo run --quiet --bin parte2 -- {{args}}

# Parte 3: uma thread por cliente (ex.: just parte3 --atraso 2000)
parte3 *args:
    cargo run --quiet --bin parte3 -- {{args}}

# Parte 3 com uma thread só e poll (mio): o caminho "select" da atividade
parte3-poll *args:
    cargo run --quiet --bin parte3-poll -- {{args}}

# Parte 3 com async/await (tokio): o caminho "asyncio" da atividade
parte3-async *args:
    cargo run --quiet --bin parte3-async -- {{args}}

# Parte 4: concorrente e robusto (limite, inatividade, Ctrl-C gracioso)
parte4 *args:
    cargo run --quiet --bin parte4 -- {{args}}

# Cliente interativo (ex.: just cliente --tempo --porta 6000)
cliente *args:
    cargo run --quiet --bin cliente -- {{args}}

# Roda todos os testes
test:
    cargo test --workspace

# Mostra o que mudou no código entre duas partes (ex.: just diff parte2 parte3)
diff a b:
    -git diff --no-index -- {{a}}/src {{b}}/src

# Formata o código e roda o clippy como o CI
lint:
    cargo fmt --all
    cargo clippy --workspace --all-targets -- -D warnings

# Roda o experimento da atividade num terminal só (ex.: just demo 2; just demo 2 --clientes 4 --backlog 1)
demo n *args:
    cargo run --quiet --bin cenario -- --parte {{n}} {{args}}

# Refaz os blocos gerados do RELATO.md (transcrições, linhas do tempo, respostas)
relato:
    cargo run --quiet --bin cenario -- --relato RELATO.md

# Mede os servidores (vazão e latência) e escreve em target/bancada/; --rapido: uns 3 min
bench *args:
    cargo run --release --quiet --bin bancada -- {{args}}

# Execução completa da bancada, gravada em figuras/ e na tabela do RELATO.md
figuras:
    cargo run --release --quiet --bin bancada -- --gravar

# Gerador de carga contra um servidor já rodando (ex.: just carga --porta 5000 --clientes 100)
carga *args:
    cargo run --release --quiet --bin carga -- {{args}}
