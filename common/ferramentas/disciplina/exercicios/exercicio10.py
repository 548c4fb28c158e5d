# Exercício 10: um servidor Echo com uma thread por cliente, que junta cada linha até o \n.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio10.py PORTA   (no Linux e no macOS, python3)
import os
import socket
import sys
import threading

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def atender(conn, addr):
    with conn:
        texto = ""
        while True:
            dados = conn.recv(1024)
            if not dados:
                break
            texto += dados.decode()
            while "\n" in texto:
                linha, texto = texto.split("\n", 1)
                if len(linha) > 65536:
                    conn.sendall(b"Erro: mensagem maior que 65536 bytes\n")
                    return
                conn.sendall(f"Echo: {linha}\n".encode())
            if len(texto) > 65536:
                conn.sendall(b"Erro: mensagem maior que 65536 bytes\n")
                return


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # no Windows, a opção deixaria outro programa tomar a porta
        servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    servidor.bind((HOST, PORT))
    servidor.listen()
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
