# Exercício 5: um servidor Echo com uma thread por cliente.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio5.py PORTA   (no Linux e no macOS, python3)
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536


def atender_cliente(conn, addr):
    with conn:
        try:
            arquivo = conn.makefile("rb")
            while True:
                linha = arquivo.readline(LIMITE + 2)
                if not linha.endswith(b"\n"):
                    if len(linha) > LIMITE:
                        conn.sendall(f"Erro: mensagem maior que {LIMITE} bytes".encode())
                    break
                mensagem = linha[:-1].removesuffix(b"\r")
                print(f"Recebido de {addr}: {mensagem.decode(errors='replace')}")
                conn.sendall(b"Echo: " + mensagem)
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
