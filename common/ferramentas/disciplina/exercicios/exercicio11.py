# Exercício 11: um servidor Echo com selectors: uma thread só, sockets não bloqueantes.
# Protocolo: o cliente envia linhas terminadas por \n; a cada uma, o servidor
# responde a linha "Echo: " + mensagem + "\n".
# Uso: python exercicio11.py PORTA   (no Linux e no macOS, python3)
import os
import selectors
import socket
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536
SAIDA_MAXIMA = 1 << 20  # acima disto, para de ler o cliente até ele ler
seletor = selectors.DefaultSelector()
conexoes = {}  # socket -> [entrada, saída]


def aceitar(servidor):
    conn, addr = servidor.accept()
    conn.setblocking(False)
    conexoes[conn] = [b"", b""]
    seletor.register(conn, selectors.EVENT_READ)


def fechar(conn):
    seletor.unregister(conn)
    del conexoes[conn]
    conn.close()


def ler(conn):
    buffers = conexoes[conn]
    while len(buffers[1]) < SAIDA_MAXIMA:
        try:
            dados = conn.recv(65536)
        except BlockingIOError:
            break
        except OSError:
            return fechar(conn)
        if not dados:
            return fechar(conn)
        buffers[0] += dados
        *linhas, buffers[0] = buffers[0].split(b"\n")
        buffers[1] += b"".join(b"Echo: " + l.removesuffix(b"\r") + b"\n" for l in linhas)
        if len(buffers[0]) > LIMITE:
            buffers[1] += f"Erro: mensagem maior que {LIMITE} bytes\n".encode()
            break
        if not enviar(conn):
            return
    escrever(conn)


def enviar(conn):
    """Envia o que o socket aceitar agora; False se a conexão caiu."""
    buffers = conexoes[conn]
    try:
        enviados = conn.send(buffers[1]) if buffers[1] else 0
    except BlockingIOError:
        enviados = 0
    except OSError:
        fechar(conn)
        return False
    buffers[1] = buffers[1][enviados:]
    return True


def escrever(conn):
    if not enviar(conn):
        return
    buffers = conexoes[conn]
    eventos = selectors.EVENT_WRITE if buffers[1] else 0
    if len(buffers[1]) < SAIDA_MAXIMA:
        eventos |= selectors.EVENT_READ
    seletor.modify(conn, eventos)


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # no Windows, a opção deixaria outro programa tomar a porta
        servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    servidor.bind((HOST, PORT))
    servidor.listen()
    servidor.setblocking(False)
    seletor.register(servidor, selectors.EVENT_READ)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        for chave, eventos in seletor.select():
            if chave.fileobj is servidor:
                aceitar(servidor)
            elif eventos & selectors.EVENT_READ:
                ler(chave.fileobj)
            elif chave.fileobj in conexoes:
                escrever(chave.fileobj)


if __name__ == "__main__":
    main()
