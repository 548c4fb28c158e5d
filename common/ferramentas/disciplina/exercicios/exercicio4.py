# Exercício 4: um servidor Echo com uma thread por cliente e um processamento lento.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio4.py PORTA   (no Linux e no macOS, python3)
import socket
import sys
import threading
import time

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

ultima_mensagem = b""


def atender_cliente(conn, addr):
    global ultima_mensagem
    with conn:
        try:
            for linha in conn.makefile("rb"):
                if not linha.endswith(b"\n"):
                    break
                ultima_mensagem = linha[:-1].removesuffix(b"\r")
                print(f"Recebido de {addr}: {ultima_mensagem.decode(errors='replace')}")
                time.sleep(0.01)  # simula um processamento
                conn.sendall(b"Echo: " + ultima_mensagem + b"\n")
        except OSError as e:
            print(f"Erro com {addr}: {e}")


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
