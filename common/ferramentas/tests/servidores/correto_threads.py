# SEM ERRO: o servidor.py da disciplina feito como o protocolo pede, com uma
# thread por cliente. Lê até o \n (makefile + readline, com limite), ecoa os
# bytes sem decodificá-los, recusa uma mensagem grande demais com "Erro: ...",
# trata os erros de cada cliente e sempre fecha o socket ("with conn").
# Uso: python correto_threads.py PORTA
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n


def atender_cliente(conn, addr):
    print(f"Conectado com {addr}")
    with conn:
        try:
            arquivo = conn.makefile("rb")
            while True:
                # Até o \n, mas nunca mais que o limite (e o \r\n): a
                # memória por cliente fica limitada.
                linha = arquivo.readline(LIMITE + 2)
                if not linha.endswith(b"\n"):
                    if len(linha) > LIMITE:
                        conn.sendall(f"Erro: mensagem maior que {LIMITE} bytes\n".encode())
                    break  # fim do fluxo (talvez no meio de uma linha)
                mensagem = linha[:-1].removesuffix(b"\r")
                if len(mensagem) > LIMITE:
                    conn.sendall(f"Erro: mensagem maior que {LIMITE} bytes\n".encode())
                    break
                print(f"Recebido de {addr}: {mensagem.decode(errors='replace')}")
                conn.sendall(b"Echo: " + mensagem + b"\n")
        except OSError as e:
            print(f"Erro com {addr}: {e}")
    print(f"Cliente {addr} desconectou")


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    servidor.bind((HOST, PORT))
    servidor.listen()
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender_cliente, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
