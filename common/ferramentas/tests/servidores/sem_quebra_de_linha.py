# SEM ERRO PARA A DISCIPLINA, FORA DO NOSSO PROTOCOLO: responde "Echo: msg"
# sem o \n no fim, como o servidor.py da disciplina responde ao cliente.py
# (que lê a resposta com um recv só). No mais, está certo: uma thread por
# cliente, leitura até o \n, eco dos bytes, "with conn". O verificar aceita a
# resposta sem \n (os bytes certos seguidos de silêncio) e avisa uma vez.
# Uso: python sem_quebra_de_linha.py PORTA
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n


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
                conn.sendall(b"Echo: " + mensagem)  # sem o \n
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
