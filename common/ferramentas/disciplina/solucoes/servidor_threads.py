# Solução da Parte 3 em Python: o servidor.py da disciplina com uma thread
# por cliente. É o caminho de parte3/src/servidor.rs (em Rust): o laço do
# accept() entrega cada conexão a atender_cliente numa thread nova e volta
# na hora para o accept(). O que muda em relação ao servidor.py, e por quê:
# - a mensagem vai até o \n (readline), não até o fim de um recv(1024): o
#   TCP não tem fronteiras de mensagem; o limite de LIMITE bytes mantém a
#   memória de cada cliente limitada;
# - os bytes voltam como vieram (nada de decode() no eco; só o log
#   decodifica, trocando bytes inválidos por "�", o U+FFFD), e nenhum erro de
#   um cliente derruba o servidor ("try" em volta da conversa; o "with"
#   fecha o socket e o seu makefile em todo caminho);
# - o print é um recurso compartilhado entre as threads: uma trava (Lock)
#   faz cada linha sair inteira;
# - uma mensagem grande demais recebe "Erro: ..." antes do fechamento.
# Simplificação: as threads são "daemon"; Ctrl-C mata o processo sem avisar
# ninguém (a Parte 4, em Rust, encerra com aviso e resumo).
# Requer Python 3.9 ou mais novo.
# Uso: python servidor_threads.py [PORTA]
import os
import socket
import sys
import threading
import time

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n
ERRO = f"Erro: mensagem maior que {LIMITE} bytes\n".encode()
trava_do_log = threading.Lock()


def log(texto):
    with trava_do_log:
        print(texto, flush=True)


def fechar_com_erro(conn):
    # Envia o erro, fecha só a escrita e descarta o que ainda chegar (por uns
    # 2 s): fechar com dados não lidos faria o kernel mandar um RST, que pode
    # apagar a linha de erro antes de o cliente lê-la.
    conn.sendall(ERRO)
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(2)
    prazo = time.monotonic() + 2
    try:
        while time.monotonic() < prazo and conn.recv(65536):
            pass
    except OSError:
        pass


def atender_cliente(conn, addr):
    log(f"Conectado com {addr}")
    # O makefile também segura o socket: os dois fecham ao sair do with.
    with conn, conn.makefile("rb") as arquivo:
        try:
            while True:
                linha = arquivo.readline(LIMITE + 2)  # até o \n, nunca mais que isso
                mensagem = linha.removesuffix(b"\n").removesuffix(b"\r")
                if len(mensagem) > LIMITE:
                    fechar_com_erro(conn)
                    break
                if not linha.endswith(b"\n"):
                    break  # o cliente saiu (talvez no meio de uma linha)
                log(f"Recebido de {addr}: {mensagem.decode(errors='replace')}")
                conn.sendall(b"Echo: " + mensagem + b"\n")
        except OSError as e:
            log(f"Conexão com {addr} falhou: {e}")
    log(f"Cliente {addr} desconectou")


def main():
    servidor = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # no Windows a opção deixaria roubar a porta de outro
        servidor.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    servidor.bind((HOST, PORT))
    servidor.listen()
    log(f"Servidor Echo escutando em {HOST}:{PORT}")
    while True:
        conn, addr = servidor.accept()
        threading.Thread(target=atender_cliente, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
