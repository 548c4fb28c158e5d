# Exercício 7: um servidor Echo bloqueante, que o operador controla pelo teclado.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio7.py PORTA   (no Linux e no macOS, python3)
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
        input("Aperte Enter para aceitar o próximo cliente...")
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
