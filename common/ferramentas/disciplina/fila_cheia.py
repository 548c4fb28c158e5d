# Enche a fila do listen() de um servidor e mede cada connect(): abre
# conexões uma a cada 0,2 s, sem enviar nada, até uma não completar na hora.
# Uso: python fila_cheia.py PORTA [PRAZO_EM_SEGUNDOS]   (no Linux, python3)
#
# Com a Parte 2 (--backlog 1) ocupada com a conexão 1, as seguintes esperam
# na fila do kernel; quando ela enche, o Linux descarta o SYN da próxima (e
# o cliente o reenvia até o prazo), e o Windows a recusa (RST). Ver o
# roteiro, passos 2 e 3, e o RELATO.md, apêndice A.
import socket
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
PRAZO = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
MAXIMO = 10  # um servidor concorrente aceita todas: para aqui
INTERVALO = 0.2  # dá tempo ao servidor de aceitar a conexão 1 antes da próxima chegar


def decimal(x):
    return f"{x:.1f}".replace(".", ",")


def main():
    abertas = []  # ficam abertas até o fim: são elas que ocupam a fila
    for n in range(1, MAXIMO + 1):
        conexao = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        conexao.settimeout(PRAZO)
        inicio = time.monotonic()
        try:
            conexao.connect(("127.0.0.1", PORT))
        except OSError as e:
            conexao.close()
            print(f"conexão {n}: falhou depois de {decimal(time.monotonic() - inicio)} s ({e})")
            break
        ms = (time.monotonic() - inicio) * 1000
        print(f"conexão {n}: completou em {decimal(ms)} ms")
        abertas.append(conexao)
        if ms > 500:
            break  # esperou lugar na fila: já se viu o que havia para ver
        time.sleep(INTERVALO)
    for conexao in abertas:
        conexao.close()


if __name__ == "__main__":
    main()
