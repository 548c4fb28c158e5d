# ENTREGA TÍPICA DA PARTE 3: o laço da disciplina numa thread por cliente,
# com um time.sleep(3) no começo de cada atendimento (para os dois clientes
# "se sobreporem" no log). Concorrente: o segundo cliente espera os 3 s dele,
# não os do primeiro.
# Uso: python threads_dorme_por_conexao.py PORTA [SEGUNDOS] (padrão: 3; os testes usam menos)
import socket
import sys
import threading
import time

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
ESPERA = float(sys.argv[2]) if len(sys.argv) > 2 else 3


def atender(conn, addr):
    print(f"Conectado com {addr}")
    time.sleep(ESPERA)  # simula um atendimento demorado
    while True:
        dados = conn.recv(1024)
        if not dados:
            print(f"Cliente {addr} desconectou")
            break
        mensagem = dados.decode()
        print(f"Recebido de {addr}: {mensagem}")
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
