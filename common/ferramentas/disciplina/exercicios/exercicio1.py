# Exercício 1: um servidor Echo bloqueante, um cliente por vez.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio1.py PORTA   (no Linux e no macOS, python3)
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen(1)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    conn, addr = servidor.accept()
    print(f"Conectado com {addr}")
    with conn:
        try:
            for linha in conn.makefile("rb"):
                if not linha.endswith(b"\n"):
                    break
                mensagem = linha[:-1].removesuffix(b"\r")
                print(f"Recebido: {mensagem.decode(errors='replace')}")
                conn.sendall(b"Echo: " + mensagem + b"\n")
        except OSError as e:
            print(f"Erro com {addr}: {e}")
    print("Cliente desconectou; fim")


if __name__ == "__main__":
    main()
