# Exercício 6: um servidor Echo com uma thread por cliente, que lê cada linha inteira.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio6.py PORTA   (no Linux e no macOS, python3)
import os
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536


def atender(conn, addr):
    with conn:
        try:
            arquivo = conn.makefile("rb")
            while True:
                linha = arquivo.readline(LIMITE + 2)
                if not linha.endswith(b"\n"):
                    if len(linha) > LIMITE:
                        conn.sendall(f"Erro: mensagem maior que {LIMITE} bytes\n".encode())
                    break
                conn.sendall(linha)
        except OSError as e:
            print(f"Erro com {addr}: {e}")


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # no Windows, a opção deixaria outro programa tomar a porta
        servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    servidor.bind((HOST, PORT))
    servidor.listen()
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
