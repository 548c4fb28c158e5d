/*
 * Substituto mínimo da bcryptprimitives.dll, usado SÓ para rodar os testes
 * sob o Wine no CI (nunca é distribuído com os programas).
 *
 * Por quê: desde o Rust 1.78 a biblioteca padrão no Windows importa
 * ProcessPrng de bcryptprimitives.dll (é de lá que vêm os bytes aleatórios,
 * por exemplo as sementes do HashMap). O Wine 8.0 do Debian 12 não tem essa
 * DLL, e todo executável Rust morre ao carregar (status c0000135). O Windows
 * de verdade tem a DLL; um Wine mais novo que a traga usa a dele (ver
 * executar-testes.sh).
 *
 * A função preenche o buffer com RtlGenRandom (SystemFunction036 da
 * advapi32), que o Wine implementa. Compilar com:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *       bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom: exportada pela advapi32 com o nome SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG tamanho);

/* Mesma assinatura da função do Windows; a documentação diz que ela sempre
 * devolve TRUE. RtlGenRandom recebe um ULONG, então pedidos maiores são
 * atendidos em partes. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE dados, SIZE_T tamanho)
{
    while (tamanho > 0) {
        ULONG parte = tamanho > 0x40000000 ? 0x40000000 : (ULONG)tamanho;
        if (!SystemFunction036(dados, parte))
            return FALSE;
        dados += parte;
        tamanho -= parte;
    }
    return TRUE;
}
