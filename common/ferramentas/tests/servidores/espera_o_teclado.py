# ERRO DE QUEM TESTA À MÃO: um input() antes de cada accept() ("aperte Enter
# para aceitar o próximo cliente"). No terminal funciona; rodando sem
# teclado (o verificar, um serviço), input() encontra o fim da entrada e
# lança EOFError antes do primeiro accept().
# Uso: python espera_o_teclado.py PORTA
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen(1)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        input("Aperte Enter para aceitar o próximo cliente...")  # o erro
        conn, addr = servidor.accept()
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


if __name__ == "__main__":
    main()
