# Exercício 8: um servidor Echo com uma thread por cliente.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio8.py   (no Linux e no macOS, python3)
import socket
import threading

HOST = "localhost"
PORT = 5000


def atender(conn, addr):
    print(f"Conectado com {addr}")
    while True:
        dados = conn.recv(1024)
        if not dados:
            print("Cliente desconectou")
            break
        mensagem = dados.decode()
        print(f"Recebido: {mensagem}")
        conn.sendall(f"Echo: {mensagem}".encode())
    conn.close()


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen(1)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender, args=(conn, addr)).start()


if __name__ == "__main__":
    main()
