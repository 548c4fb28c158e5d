# Solução da Parte 3 em Python, com asyncio: uma tarefa (corrotina) por
# cliente, todas numa thread só. É o caminho de parte3/assincrono (em Rust):
# atender_cliente lê uma linha e responde, como a versão com threads, mas
# cada "await" devolve a thread ao laço do asyncio, que atende outra tarefa.
# O que o modelo força, e por quê:
# - nada dentro de uma tarefa pode bloquear (um time.sleep pararia todas);
# - justiça: enquanto há linhas já lidas, readuntil() volta sem esperar, e
#   uma tarefa que não para de receber nunca cederia a vez. O sleep(0) depois
#   de cada resposta cede a vez de propósito (custa uma volta do laço por
#   mensagem);
# - await drain() depois de cada write: um cliente que não lê as respostas
#   não enche a memória (a tarefa espera o buffer esvaziar).
# Simplificação: o print pode bloquear o laço se o terminal travar (em Rust,
# parte3/assincrono escreve o log por uma fila).
# Medido com 4 conexões inundando e um cliente leve (`just inundacao --so
# python-asyncio`, 2 núcleos): sem o sleep(0), o cliente leve esperou até
# 1,3 s por uma resposta; com ele, 0,3 a 2 ms (mediana).
# Requer Python 3.9 ou mais novo.
# Uso: python servidor_asyncio.py [PORTA]
import asyncio
import sys

HOST = "localhost"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
LIMITE = 65536  # maior mensagem aceita, em bytes, sem o \n


async def fechar_com_erro(leitor, escritor):
    # Envia o erro, fecha só a escrita e descarta o que ainda chegar (até
    # 2 s): fechar com dados não lidos faria o kernel mandar um RST, que pode
    # apagar a linha de erro antes de o cliente lê-la.
    escritor.write(f"Erro: mensagem maior que {LIMITE} bytes\n".encode())
    await escritor.drain()
    escritor.write_eof()

    async def descartar():
        while await leitor.read(65536):
            pass

    try:
        await asyncio.wait_for(descartar(), 2)
    except (OSError, asyncio.TimeoutError):
        pass  # o prazo acabou, ou o cliente caiu: fecha assim mesmo


async def atender_cliente(leitor, escritor):
    addr = escritor.get_extra_info("peername")
    print(f"Conectado com {addr}")
    try:
        while True:
            linha = await leitor.readuntil(b"\n")
            mensagem = linha[:-1].removesuffix(b"\r")
            if len(mensagem) > LIMITE:  # o limit do readuntil deixa passar até 2 bytes a mais
                await fechar_com_erro(leitor, escritor)
                break
            print(f"Recebido de {addr}: {mensagem.decode(errors='replace')}")
            escritor.write(b"Echo: " + mensagem + b"\n")
            await escritor.drain()
            await asyncio.sleep(0)  # cede a vez às outras tarefas (justiça)
    except asyncio.IncompleteReadError:
        pass  # o cliente saiu (talvez no meio de uma linha)
    except asyncio.LimitOverrunError:
        await fechar_com_erro(leitor, escritor)
    except (OSError, asyncio.TimeoutError) as e:
        print(f"Conexão com {addr} falhou: {e!r}")
    finally:
        escritor.close()  # fecha o socket em todos os caminhos
    print(f"Cliente {addr} desconectou")


async def main():
    # limit: o maior trecho que readuntil() guarda procurando o \n.
    servidor = await asyncio.start_server(atender_cliente, HOST, PORT, limit=LIMITE + 2)
    print(f"Servidor Echo escutando em {HOST}:{PORT}", flush=True)
    async with servidor:
        await servidor.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
