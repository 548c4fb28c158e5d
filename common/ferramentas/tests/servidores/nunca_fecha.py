# ERRO CLÁSSICO: o socket do cliente nunca é fechado. Uma thread por
# cliente, leitura até o \n, eco dos bytes: tudo certo, mas cada conexão fica
# guardada numa lista global "para contar os clientes" e ninguém chama
# close(). Quando o cliente sai, a conexão fica em CLOSE_WAIT no servidor.
# Uso: python nunca_fecha.py PORTA
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

clientes = []  # o erro: guarda todo socket e nunca o fecha
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
    print(f"Cliente {addr} desconectou")  # sem conn.close()


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
