#!/usr/bin/env bash
# Roda a suíte de testes do workspace compilada para Windows
# (x86_64-pc-windows-gnu) dentro do Wine. Chamado pelo .ci/run; roda também
# sozinho, numa máquina que já tenha o alvo do Rust, o MinGW e o wine64.
#
# Como funciona:
# - os testes de integração iniciam os binários de verdade, que
#   `apoio::binarios` procura ao lado do executável do teste
#   (target/x86_64-pc-windows-gnu/debug/). Sob o Wine não há a variável
#   CARGO, então nada é compilado durante os testes: tudo é compilado antes;
# - cada executável de teste roda direto no wine64, na pasta do seu pacote
#   (como o `cargo test` faria), com um prefixo do Wine descartável em
#   target/wine-prefix;
# - o Wine 8 do Debian não tem a bcryptprimitives.dll que a biblioteca padrão
#   do Rust importa: um substituto mínimo (bcryptprimitives.c, nesta pasta) é
#   compilado com o MinGW e posto no system32 do prefixo;
# - qualquer teste que falhe (ou um executável que não termine no prazo) faz o
#   script sair com erro.
set -euo pipefail
cd "$(dirname "$0")/../.."
RAIZ=$PWD
ALVO=x86_64-pc-windows-gnu
# Prazo de cada executável de teste (o mais lento leva menos de 1 min).
PRAZO_POR_EXECUTAVEL=300

# Testes pulados SÓ sob o Wine, com --skip: o código deles não muda, e eles
# continuam rodando no Linux (cargo test) e no Windows de verdade. Formato:
# "pasta-do-pacote alvo nome-exato-do-teste"; o motivo e a evidência vêm no
# comentário acima de cada um (mais detalhes na mensagem do commit que
# introduziu este arquivo).
PULAR=(
    # Wine 8: o wineserver percorre uma lista global com todos os
    # IOCTL_AFD_POLL pendentes (a poll_list de server/sock.c) a cada evento de
    # socket, e o tempo cresce muito mais rápido que o número de conexões. Com
    # o eco-tokio (40 linhas, sem código do projeto) e clientes Python
    # nativos, 3 ecos cada: 500 clientes em 2,8 s, 700 em 8,8 s, 1000 em 29-32 s
    # com centenas de tempos esgotados e 31 s de CPU no wineserver (79% das
    # amostras do perf em dois laços sobre essa lista). O parte3-poll (mio
    # direto) atende os mesmos 1000 em 2 s. Sob o Wine, o teste de 500
    # clientes levou 163 s sozinho; o de 1000 falhou.
    "parte3/assincrono servidor quinhentos_clientes_simultaneos_vinte_ecos_cada"
    "parte3/assincrono servidor mil_clientes_simultaneos_nada_se_perde"
)

# Sob o Wine 8, raramente, um processo iniciado por um teste morre antes do
# main, sem escrever nada. Aparece de dois jeitos:
# - o filho termina com STATUS_DLL_INIT_FAILED (0xC0000142; -1073741502 como
#   código de saída). Visto no CI: o `cmd /C parte1.exe` do
#   parte1_passa_o_exigido_e_e_serial do `verificar`; nas 52 execuções
#   seguintes do mesmo executável de testes não se repetiu;
# - o próprio CreateProcess falha com o erro 1359 (ERROR_INTERNAL_ERROR): no
#   NtCreateUserProcess do Wine, é o STATUS_INTERNAL_ERROR devolvido quando o
#   filho morre antes de avisar que iniciou e sem código de saída. Visto no
#   CI, no linha_de_comando (um `Command::output()` do teste). Reproduzido
#   aqui com três cópias do mesmo executável rodando ao mesmo tempo: 2 vezes
#   em 300 execuções; e com um programa que só inicia `parte1.exe --help`
#   em vários threads e processos: 1 em 8.100 inícios.
# É o Wine iniciando um processo, não o código testado: um executável cuja
# saída mostra um desses códigos roda uma segunda vez (uma só; se falhar de
# novo, falhou), e o resumo diz quais foram repetidos.
NAO_INICIOU='-1073741502|0xc0000142|os error 1359|code: 1359,'

erro() {
    echo "ERRO: $*" >&2
    exit 1
}

# O primeiro comando (ou caminho) que existir.
achar() {
    local c
    for c in "$@"; do
        if command -v "$c" >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

# O pacote wine64 do Debian instala só /usr/lib/wine/wine64; o `wine64` no
# PATH vem de outros pacotes.
WINE=$(achar wine64 /usr/lib/wine/wine64 wine) || erro "wine64 não encontrado (apt-get install wine64)"
WINESERVER=$(achar wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver) \
    || erro "wineserver não encontrado"
MINGW=$(achar x86_64-w64-mingw32-gcc) || erro "x86_64-w64-mingw32-gcc não encontrado (apt-get install gcc-mingw-w64-x86-64)"
rustup target list --installed | grep -qx "$ALVO" || erro "alvo $ALVO ausente (rustup target add $ALVO)"

SAIDA="$RAIZ/target/wine"
mkdir -p "$SAIDA/logs"
export WINEPREFIX="$RAIZ/target/wine-prefix"
export WINEARCH=win64
export WINEDEBUG=-all
# Sem diálogos de instalação do Mono e do Gecko, sem atalhos de menu, sem janelas.
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe="
unset DISPLAY WAYLAND_DISPLAY

# Nenhum wineserver deste prefixo fica rodando depois do script, nem depois
# de uma execução anterior interrompida.
encerrar_wine() {
    "$WINESERVER" -k >/dev/null 2>&1 || true
}
trap encerrar_wine EXIT
encerrar_wine

inicio_total=$SECONDS
# Segundos desde o começo, para ver onde o tempo vai.
tempo() { echo "($((SECONDS - inicio_total)) s)"; }

echo "-- Wine: $("$WINE" --version 2>/dev/null || echo '?') ($WINE)"
echo "-- compilando o substituto da bcryptprimitives.dll"
"$MINGW" -shared -O2 -Wall -o "$SAIDA/bcryptprimitives.dll" .ci/wine/bcryptprimitives.c -ladvapi32

echo "-- compilando o workspace para $ALVO (programas e testes) $(tempo)"
cargo build --workspace --bins --target "$ALVO"
# As mensagens JSON dizem onde ficou cada executável de teste.
cargo test --workspace --target "$ALVO" --no-run --message-format=json-render-diagnostics \
    >"$SAIDA/artefatos.json"

echo "-- preparando o prefixo do Wine em $WINEPREFIX $(tempo)"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    timeout 180 "$WINE" wineboot -i >"$SAIDA/logs/wineboot.log" 2>&1 \
        || { cat "$SAIDA/logs/wineboot.log" >&2; erro "wineboot -i falhou"; }
fi
SYSTEM32="$WINEPREFIX/drive_c/windows/system32"
[ -d "$SYSTEM32" ] || erro "prefixo sem system32: $SYSTEM32"
# Um Wine que já traga a DLL (Wine 9 ou mais novo) usa a dele; a marca diz
# que a que está lá é a nossa (de uma execução anterior) e pode ser trocada.
MARCA="$WINEPREFIX/.bcryptprimitives-do-ci"
if [ ! -e "$SYSTEM32/bcryptprimitives.dll" ] || [ -e "$MARCA" ]; then
    cp "$SAIDA/bcryptprimitives.dll" "$SYSTEM32/bcryptprimitives.dll"
    touch "$MARCA"
    echo "-- bcryptprimitives.dll: o substituto do CI, em $SYSTEM32"
else
    echo "-- bcryptprimitives.dll: a do próprio Wine"
fi
# Um executável Rust qualquer precisa rodar antes dos testes.
timeout 60 "$WINE" "target/$ALVO/debug/parte1.exe" --help >"$SAIDA/logs/sanidade.log" 2>&1 \
    || { cat "$SAIDA/logs/sanidade.log" >&2; erro "parte1.exe --help não rodou no Wine"; }

# Executáveis de teste: uma linha "pasta tipo/nome executável" por alvo,
# tirada das mensagens do cargo (perfil de teste, com executável).
campo() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"; }
lista=()
while IFS= read -r linha; do
    exe=$(campo executable "$linha")
    manifesto=$(campo manifest_path "$linha")
    nome=$(sed -n 's/.*"target":{[^}]*"name":"\([^"]*\)".*/\1/p' <<<"$linha")
    tipo=$(sed -n 's/.*"target":{"kind":\["\([^"]*\)".*/\1/p' <<<"$linha")
    pasta=$(dirname "${manifesto#"$RAIZ"/}")
    [ -n "$exe" ] && [ -n "$nome" ] && [ -n "$tipo" ] || erro "linha do cargo não entendida: $linha"
    lista+=("$pasta $tipo/$nome $exe")
done < <(grep '"reason":"compiler-artifact"' "$SAIDA/artefatos.json" \
    | grep '"profile":{[^}]*"test":true' | grep '"executable":"')
[ "${#lista[@]}" -gt 0 ] || erro "nenhum executável de teste encontrado"
mapfile -t lista < <(printf '%s\n' "${lista[@]}" | sort)

# Roda o executável do item atual ($pasta, $exe, $args) na pasta do pacote,
# com a saída em $log.
rodar() {
    (cd "$RAIZ/$pasta" && timeout -k 10 "$PRAZO_POR_EXECUTAVEL" "$WINE" "$exe" "${args[@]}") \
        >"$log" 2>&1
}

echo "-- ${#lista[@]} executáveis de teste; rodando no Wine $(tempo)"
falhas=()
repetidos=()
resumo=()
for item in "${lista[@]}"; do
    read -r pasta alvo exe <<<"$item"
    rotulo="$pasta ($alvo)"
    args=()
    for regra in "${PULAR[@]}"; do
        read -r p_pasta p_alvo p_teste <<<"$regra"
        if [ "$p_pasta" = "$pasta" ] && [ "test/$p_alvo" = "$alvo" ]; then
            args+=(--skip "$p_teste")
        fi
    done
    [ "${#args[@]}" -eq 0 ] || args+=(--exact)
    log="$SAIDA/logs/$(tr '/ ()' '____' <<<"$rotulo").log"
    echo
    echo "== $rotulo: $(basename "$exe") ${args[*]}"
    inicio=$SECONDS
    status=0
    rodar || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -a -q -i -E -e "$NAO_INICIOU" "$log"; then
        echo "-- $rotulo: o Wine não iniciou um processo;" \
            "rodando o executável de novo (a primeira saída fica em ${log%.log}.1.log)"
        grep -a -E '^test .* FAILED$' "$log" || true
        mv "$log" "${log%.log}.1.log"
        status=0
        rodar || status=$?
        repetidos+=("$rotulo")
    fi
    duracao=$((SECONDS - inicio))
    # As linhas "test ... ok" e o resultado; com falha, a saída inteira.
    grep -a -E '^test .* \.\.\. |^test result:' "$log" || true
    resultado=$(grep -a '^test result:' "$log" | tail -1 | sed 's/^test result: //')
    if [ "$status" -ne 0 ]; then
        [ "$status" -ne 124 ] || resultado="passou do prazo de ${PRAZO_POR_EXECUTAVEL} s"
        echo "-- saída completa de $rotulo (código $status):"
        cat "$log"
        falhas+=("$rotulo")
    fi
    resumo+=("$(printf '%-5s %4ss  %-40s %s' "$([ "$status" -eq 0 ] && echo ok || echo FALHA)" \
        "$duracao" "$rotulo" "${resultado:-sem resumo}")")
done

echo
echo "== Resumo dos testes sob o Wine ($((SECONDS - inicio_total)) s no total)"
printf '%s\n' "${resumo[@]}"
echo "Pulados só sob o Wine (motivos em .ci/wine/executar-testes.sh):"
printf '  %s\n' "${PULAR[@]}"
if [ "${#repetidos[@]}" -gt 0 ]; then
    echo "Rodados duas vezes (o Wine não iniciou um processo na primeira):"
    printf '  %s\n' "${repetidos[@]}"
fi
if [ "${#falhas[@]}" -gt 0 ]; then
    echo "FALHARAM sob o Wine: ${falhas[*]}" >&2
    exit 1
fi
echo "== testes sob o Wine ok"
