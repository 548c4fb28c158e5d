# SEM ERRO: o mesmo servidor com asyncio (o caminho "asyncio" da Parte 3):
# uma tarefa por cliente, leitura até o \n com limite, eco dos bytes,
# "Erro: ..." para uma mensagem grande demais, await drain() depois de cada
# write (um cliente que não lê não enche a memória), a vez cedida a cada
# mensagem (um cliente que inunda não cala os outros) e o fechamento garantido.
# Uso: python correto_asyncio.py PORTA
import asyncio
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n


async def atender_cliente(leitor, escritor):
    addr = escritor.get_extra_info("peername")
    print(f"Conectado com {addr}")
    try:
        while True:
            try:
                linha = await leitor.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                break  # fim do fluxo (talvez no meio de uma linha)
            except asyncio.LimitOverrunError:
                escritor.write(f"Erro: mensagem maior que {LIMITE} bytes\n".encode())
                await escritor.drain()
                break
            mensagem = linha[:-1].removesuffix(b"\r")
            print(f"Recebido de {addr}: {mensagem.decode(errors='replace')}")
            escritor.write(b"Echo: " + mensagem + b"\n")
            await escritor.drain()
            # Com a linha seguinte já no buffer, readuntil() e drain() não
            # esperam nada e esta tarefa nunca devolveria a vez: um cliente
            # que inunda calaria os outros. sleep(0) cede a vez ao laço.
            await asyncio.sleep(0)
    except OSError as e:
        print(f"Erro com {addr}: {e}")
    finally:
        escritor.close()
        try:
            await escritor.wait_closed()
        except OSError:
            pass
    print(f"Cliente {addr} desconectou")


async def main():
    # limit: o maior trecho que readuntil() guarda procurando o \n.
    servidor = await asyncio.start_server(atender_cliente, HOST, PORT, limit=LIMITE + 2)
    print(f"Servidor Echo escutando em {HOST}:{PORT}")
    async with servidor:
        await servidor.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
