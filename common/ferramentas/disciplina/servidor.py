# O servidor.py da disciplina, reconstruído a partir das transcrições do
# relato original (o arquivo da disciplina não está neste repositório). Único
# acréscimo: a porta pode vir da linha de comando (`python servidor.py 6000`),
# para testes e para o `verificar`. É a referência da tabela no cabeçalho de
# parte1/src/servidor.rs e o "servidor do aluno" nos testes do `verificar`.
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
        print("\nAguardando conexão...")
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
