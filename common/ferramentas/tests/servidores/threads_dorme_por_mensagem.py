# ENTREGA TÍPICA DA PARTE 3: o laço da disciplina numa thread por cliente,
# com o time.sleep(2) por mensagem que a atividade sugere para ver a
# concorrência. Concorrente, e lento de propósito: cada resposta leva 2 s.
# Herda do servidor.py o recv(1024) como uma mensagem e o decode() de cada
# pedaço.
# Uso: python threads_dorme_por_mensagem.py PORTA [SEGUNDOS] (padrão: 2; os testes usam menos)
import socket
import sys
import threading
import time

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
ESPERA = float(sys.argv[2]) if len(sys.argv) > 2 else 2


def atender(conn, addr):
    print(f"Conectado com {addr}")
    while True:
        dados = conn.recv(1024)
        if not dados:
            print(f"Cliente {addr} desconectou")
            break
        mensagem = dados.decode()
        print(f"Recebido de {addr}: {mensagem}")
        time.sleep(ESPERA)  # simula um processamento demorado
        conn.sendall(f"Echo: {mensagem}".encode())
    conn.close()


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen(1)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        print("\nAguardando conexão...")
        conn, addr = servidor.accept()
        threading.Thread(target=atender, args=(conn, addr)).start()


if __name__ == "__main__":
    main()
