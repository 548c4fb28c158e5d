# ERRO CLÁSSICO: recv(1024) tratado como uma mensagem, agora com uma thread
# por cliente. É o servidor.py da disciplina com a mudança da Parte 3 (o
# laço de atendimento numa thread): fica concorrente, e um cliente que cai só
# derruba a thread dele, mas TCP continua sem fronteiras de mensagem: meia
# mensagem, duas mensagens juntas ou uma mensagem grande viram respostas
# erradas, e bytes que não são UTF-8 matam a thread sem resposta.
# Uso: python threads_recv1024.py PORTA
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def atender_cliente(conn, addr):
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
        threading.Thread(target=atender_cliente, args=(conn, addr)).start()


if __name__ == "__main__":
    main()
