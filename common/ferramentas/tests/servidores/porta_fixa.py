# ERRO DE TODA ENTREGA: a porta fixa no código, sem ler a linha de comando
# (e sem SO_REUSEADDR). O verificar passa uma porta ({porta}) que ele
# ignora; o anúncio dele ("escutando em localhost:5000") diz onde está. Os
# testes trocam o 5000 abaixo por uma porta livre antes de rodá-lo.
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
