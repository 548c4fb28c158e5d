# O cliente.py da disciplina, reconstruído a partir das transcrições do
# relato original (o arquivo da disciplina não está neste repositório). Único
# acréscimo: a porta pode vir da linha de comando (`python cliente.py 6000`).
# Ele envia a mensagem sem terminador e lê a resposta com um único
# recv(1024): com os servidores deste projeto, que esperam o `\n`, ele fica
# esperando (ver o README, "Misturando com os programas Python").
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def main():
    cliente = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cliente.connect((HOST, PORT))
    print("Conectado ao servidor Echo")
    print('Digite "sair" para encerrar a conexão\n')

    while True:
        mensagem = input("Digite uma mensagem: ")
        if mensagem.lower() == "sair":
            break
        cliente.sendall(mensagem.encode())
        resposta = cliente.recv(1024)
        print(f"Resposta: {resposta.decode()}\n")

    cliente.close()
    print("Conexão encerrada")


if __name__ == "__main__":
    main()
