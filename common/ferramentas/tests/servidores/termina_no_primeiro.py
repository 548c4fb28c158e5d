# ERRO CLÁSSICO: o accept() fora de um laço. O servidor atende o primeiro
# cliente direito (lê até o \n, ecoa os bytes) e, quando ele sai, termina: o
# segundo cliente é recusado. Todo o resto está certo, para o verificar
# apontar só este erro (e o que decorre dele).
# Uso: python termina_no_primeiro.py PORTA
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen(1)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    conn, addr = servidor.accept()  # o erro: um accept() só
    print(f"Conectado com {addr}")
    with conn:
        try:
            for linha in conn.makefile("rb"):
                if not linha.endswith(b"\n"):
                    break
                mensagem = linha[:-1].removesuffix(b"\r")
                print(f"Recebido: {mensagem.decode(errors='replace')}")
                conn.sendall(b"Echo: " + mensagem + b"\n")
        except OSError as e:
            print(f"Erro com {addr}: {e}")
    print("Cliente desconectou; fim")


if __name__ == "__main__":
    main()
