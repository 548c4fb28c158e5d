#!/usr/bin/env bash
# O laboratório entre duas máquinas, simulado: dois namespaces de rede
# (eco-servidor e eco-cliente) ligados por um par veth, com endereços só
# deles (10.77.0.1 e 10.77.0.2). Confere que:
#   1. um servidor com --host 0.0.0.0 atende um cliente da "outra máquina"
#      e, ao iniciar, mostra o endereço que ela deve discar;
#   2. um servidor só em localhost recusa quem vem de fora, e o cliente
#      explica que o servidor precisa de --host 0.0.0.0.
# Sem permissão para criar namespaces (contêiner sem CAP_NET_ADMIN), pula
# com uma linha clara. Cria e remove tudo o que usa.
set -euo pipefail
cd "$(dirname "$0")/.."
alvo=${1:-target/debug}

if ! command -v ip >/dev/null; then
    apt-get install -y -qq iproute2 >/dev/null 2>&1 || true
fi
if ! ip netns add eco-teste-permissao 2>/dev/null; then
    echo "AVISO: sem permissão para criar namespaces de rede aqui; laboratório entre duas máquinas pulado."
    exit 0
fi
ip netns del eco-teste-permissao

pids=()
limpar() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns del eco-servidor 2>/dev/null || true
    ip netns del eco-cliente 2>/dev/null || true
}
trap limpar EXIT

ip netns add eco-servidor
ip netns add eco-cliente
ip link add eco-srv netns eco-servidor type veth peer name eco-cli netns eco-cliente
ip -n eco-servidor addr add 10.77.0.1/24 dev eco-srv
ip -n eco-cliente addr add 10.77.0.2/24 dev eco-cli
for ns in eco-servidor eco-cliente; do
    ip -n "$ns" link set lo up
done
ip -n eco-servidor link set eco-srv up
ip -n eco-cliente link set eco-cli up

saida=$(mktemp -d)

# 1. --host 0.0.0.0: atende quem vem de fora e diz o endereço a discar.
ip netns exec eco-servidor "$alvo/parte4" --host 0.0.0.0 --porta 5000 \
    >"$saida/servidor.txt" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "de outra máquina" "$saida/servidor.txt" && break; sleep 0.1; done
grep -qE -- "--host 10\.77\.0\.1([; ]|$)" "$saida/servidor.txt" \
    || { echo "o servidor não mostrou o endereço 10.77.0.1:"; cat "$saida/servidor.txt"; exit 1; }
printf 'oi de longe\nsair\n' | ip netns exec eco-cliente timeout 20 "$alvo/cliente" --host 10.77.0.1 \
    >"$saida/cliente.txt" 2>&1
grep -q "Resposta: Echo: oi de longe" "$saida/cliente.txt" \
    || { echo "o cliente da outra máquina não foi atendido:"; cat "$saida/cliente.txt"; exit 1; }
kill "${pids[0]}"

# 2. Só localhost: quem vem de fora é recusado, e o cliente diz por quê.
ip netns exec eco-servidor "$alvo/parte1" --porta 5001 >"$saida/servidor1.txt" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "escutando" "$saida/servidor1.txt" && break; sleep 0.1; done
if printf 'oi\n' | ip netns exec eco-cliente timeout 20 "$alvo/cliente" --host 10.77.0.1 --porta 5001 \
    >"$saida/cliente1.txt" 2>&1; then
    echo "o cliente deveria ter sido recusado:"; cat "$saida/cliente1.txt"; exit 1
fi
grep -q -- "--host 0.0.0.0" "$saida/cliente1.txt" \
    || { echo "a recusa não menciona --host 0.0.0.0:"; cat "$saida/cliente1.txt"; exit 1; }

echo "Laboratório entre duas máquinas (namespaces): ok"
sed 's/^/  servidor: /' "$saida/servidor.txt" | head -4
sed 's/^/  cliente recusado: /' "$saida/cliente1.txt"
rm -rf "$saida"
