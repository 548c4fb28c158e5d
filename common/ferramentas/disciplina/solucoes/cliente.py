# O cliente.py da disciplina, corrigido para o protocolo de linhas dos
# servidores deste projeto: três linhas mudam, marcadas com CORRIGIDO.
# - A mensagem vai com "\n" no fim: sem ele, um servidor que lê linhas
#   espera o fim dela para sempre (e o cliente espera a resposta).
# - A resposta é lida até o "\n", e não com um recv(1024): TCP não tem
#   fronteiras, e um recv pode trazer meia resposta, ou duas.
# Funciona também com o servidor.py da disciplina, que devolve o "\n" junto
# com a mensagem.
# Uso: python cliente.py [PORTA]
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def main():
    cliente = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cliente.connect((HOST, PORT))
    respostas = cliente.makefile("rb")  # CORRIGIDO: lê o socket linha por linha
    print("Conectado ao servidor Echo")
    print('Digite "sair" para encerrar a conexão\n')

    while True:
        mensagem = input("Digite uma mensagem: ")
        if mensagem.lower() == "sair":
            break
        cliente.sendall((mensagem + "\n").encode())  # CORRIGIDO: o "\n" do fim
        resposta = respostas.readline()  # CORRIGIDO: até o "\n" (b"" se o servidor fechou)
        if not resposta:
            print("O servidor fechou a conexão")
            break
        print(f"Resposta: {resposta.decode(errors='replace').rstrip()}\n")

    cliente.close()
    print("Conexão encerrada")


if __name__ == "__main__":
    main()
