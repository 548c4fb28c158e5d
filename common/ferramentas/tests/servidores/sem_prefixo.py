# ERRO DE LEITURA DO ENUNCIADO: ecoa a mensagem sem o "Echo: " na frente.
# Todo o resto está certo (thread por cliente, leitura até o \n, eco dos
# bytes): o verificar nomeia o prefixo uma vez e avalia o resto assim mesmo.
# Uso: python sem_prefixo.py PORTA
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
                conn.sendall(linha)  # o erro: sem o "Echo: "
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
