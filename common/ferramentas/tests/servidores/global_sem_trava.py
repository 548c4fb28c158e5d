# ERRO CLÁSSICO: threads que compartilham a resposta numa variável global,
# sem trava. Cada thread guarda a mensagem recebida em `ultima_mensagem`,
# "processa" um pouco (como o trabalho lento que a atividade sugere simular)
# e envia o que estiver na global: com vários clientes ao mesmo tempo, outra
# thread já a sobrescreveu, e um cliente recebe a mensagem de outro.
# Uso: python global_sem_trava.py PORTA
import socket
import sys
import threading
import time

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

ultima_mensagem = b""  # o erro: compartilhada por todas as threads, sem trava


def atender_cliente(conn, addr):
    global ultima_mensagem
    with conn:
        try:
            for linha in conn.makefile("rb"):
                if not linha.endswith(b"\n"):
                    break
                ultima_mensagem = linha[:-1].removesuffix(b"\r")
                print(f"Recebido de {addr}: {ultima_mensagem.decode(errors='replace')}")
                time.sleep(0.01)  # simula um processamento
                conn.sendall(b"Echo: " + ultima_mensagem + b"\n")
        except OSError as e:
            print(f"Erro com {addr}: {e}")


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servidor.bind((HOST, PORT))
    servidor.listen()
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender_cliente, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
