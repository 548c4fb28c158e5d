# Exercício 3: um servidor Echo com uma thread por cliente, que conta os clientes.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio3.py PORTA   (no Linux e no macOS, python3)
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

clientes = []
trava = threading.Lock()


def atender_cliente(conn, addr):
    with trava:
        clientes.append(conn)
        print(f"Conectado com {addr} (clientes até agora: {len(clientes)})")
    try:
        for linha in conn.makefile("rb"):
            if not linha.endswith(b"\n"):
                break
            mensagem = linha[:-1].removesuffix(b"\r")
            print(f"Recebido: {mensagem.decode(errors='replace')}")
            conn.sendall(b"Echo: " + mensagem + b"\n")
    except OSError as e:
        print(f"Erro com {addr}: {e}")
    print(f"Cliente {addr} desconectou")


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen()
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender_cliente, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
