# ERRO CLÁSSICO: threading.Thread(target=atender(conn, addr)). Os parênteses
# chamam atender ali mesmo, na thread principal, e só o valor que ela devolve
# (None) vira o alvo da thread: o servidor "usa threads" e continua serial.
# O certo é threading.Thread(target=atender, args=(conn, addr)).
# Uso: python thread_chamada_na_hora.py PORTA
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def atender(conn, addr):
    print(f"Conectado com {addr}")
    while True:
        dados = conn.recv(1024)
        if not dados:
            print(f"Cliente {addr} desconectou")
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
        threading.Thread(target=atender(conn, addr)).start()  # o erro


if __name__ == "__main__":
    main()
