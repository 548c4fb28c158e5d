# Solução da Parte 3 em Python, com selectors: uma thread só, sockets não
# bloqueantes, e o select (epoll no Linux) dizendo quais estão prontos. É o
# caminho de parte3/poll (em Rust). O que o modelo força, e por quê:
# - nenhuma chamada pode bloquear: recv e send devolvem na hora o que der;
# - cada conexão guarda o seu estado (a linha pela metade, as respostas que
#   o kernel ainda não aceitou), que na versão com threads ficava na pilha;
# - justiça: UMA leitura por conexão pronta a cada volta do laço. Quem não
#   para de enviar continua pronto, mas só lê de novo na volta seguinte,
#   depois dos outros; ninguém segura o laço;
# - com respostas presas (o cliente não lê), a conexão para de ler até elas
#   saírem: a memória fica limitada.
# Simplificações: o print pode bloquear o laço se o terminal travar (em
# Rust, parte3/poll escreve o log por uma fila); depois de um "Erro:" o
# socket fica aberto até o cliente fechar, descartando o que chegar.
# Cada leitura traz no máximo 4 KiB (umas 250 linhas curtas): é o tamanho da
# vez de cada conexão. Medido com 4 conexões inundando e um cliente leve
# (`just inundacao --so python-selectors`, 2 núcleos, 3 rodadas de 5 s): o
# cliente leve esperou de 7 a 11 ms por resposta (mediana de cada rodada), e
# no pior caso 58 ms; numa rodada curta (`--rapido`), até 0,22 s.
# Requer Python 3.9 ou mais novo.
# Uso: python servidor_selectors.py [PORTA]
import selectors
import socket
import sys
from types import SimpleNamespace as Estado

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n
seletor = selectors.DefaultSelector()


def aceitar(servidor):
    conn, addr = servidor.accept()
    conn.setblocking(False)
    # O estado da conversa: a linha pela metade e as respostas ainda não enviadas.
    estado = Estado(addr=addr, linha=b"", saida=bytearray(), erro=False)
    seletor.register(conn, selectors.EVENT_READ, estado)
    print(f"Conectado com {addr}")


def atender(conn, c):
    try:
        if not c.saida:  # a vez desta conexão: no máximo uma leitura
            if not (dados := conn.recv(4096)):
                return fechar(conn, c)
            if not c.erro:  # depois do erro, só descarta
                responder(c, c.linha + dados)
        del c.saida[: conn.send(c.saida)]
        if c.erro is True and not c.saida:
            conn.shutdown(socket.SHUT_WR)  # o cliente lê o erro, depois o fim
            c.erro = "enviado"
    except BlockingIOError:
        pass  # nada para ler, ou o buffer de envio do kernel cheio: fica para depois
    except OSError as e:
        print(f"Conexão com {c.addr} falhou: {e}")
        return fechar(conn, c)
    # Com resposta presa, espera poder escrever (e não lê: contrapressão).
    seletor.modify(conn, selectors.EVENT_WRITE if c.saida else selectors.EVENT_READ, c)


def responder(c, dados):
    *linhas, c.linha = dados.split(b"\n")
    if len(c.linha) > LIMITE + 1:  # sem \n e já grande demais
        linhas.append(c.linha)
    for linha in linhas:
        mensagem = linha.removesuffix(b"\r")
        if len(mensagem) > LIMITE:
            c.saida += f"Erro: mensagem maior que {LIMITE} bytes\n".encode()
            c.erro, c.linha = True, b""
            return
        print(f"Recebido de {c.addr}: {mensagem.decode(errors='replace')}")
        c.saida += b"Echo: " + mensagem + b"\n"


def fechar(conn, c):
    seletor.unregister(conn)
    conn.close()
    print(f"Cliente {c.addr} desconectou")


def main():
    # create_server: socket, bind e listen (e SO_REUSEADDR, fora do Windows).
    servidor = socket.create_server((HOST, PORT))
    servidor.setblocking(False)
    seletor.register(servidor, selectors.EVENT_READ, None)
    print(f"Servidor Echo escutando em {HOST}:{PORT}", flush=True)
    while True:
        for chave, _ in seletor.select():
            if chave.data is None:
                aceitar(chave.fileobj)
            else:
                atender(chave.fileobj, chave.data)


if __name__ == "__main__":
    main()
