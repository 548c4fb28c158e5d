/*
 * eco-epoll: um eco de linhas em C, uma thread, epoll "por nível" (level
 * triggered), sem log e sem nada de didático. É a referência da ferramenta
 * `inundacao` para os laços de eventos: a justiça "de fábrica" de um laço
 * que faz UMA leitura por socket pronto a cada volta do epoll_wait. Um
 * cliente que nunca para de enviar continua pronto, mas só ganha a sua
 * leitura na volta seguinte, depois de todos os outros prontos.
 *
 * Só Linux (epoll). A `inundacao` o compila com o `cc` da máquina.
 * Uso: eco-epoll --porta N   (0: uma porta livre; o banner diz qual)
 *
 * Atalhos que um servidor de verdade não pode tomar: uma linha maior que
 * LIMITE fecha a conexão sem aviso, e o `\r` antes do `\n` volta no eco.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LEITURA 65536 /* uma leitura por socket pronto, no máximo isto */
#define LIMITE 65536  /* maior linha guardada pela metade */

struct buffer {
    char *dados;
    size_t tamanho, capacidade;
};

struct conexao {
    int fd;
    struct buffer linha; /* a linha sem \n que está chegando */
    struct buffer saida; /* respostas que o kernel ainda não aceitou */
    size_t enviados;
    int esperando_escrita; /* interesse atual: EPOLLOUT (1) ou EPOLLIN (0) */
};

static void acrescentar(struct buffer *b, const char *p, size_t n) {
    if (b->tamanho + n > b->capacidade) {
        b->capacidade = (b->tamanho + n) * 2;
        b->dados = realloc(b->dados, b->capacidade);
        if (!b->dados) abort();
    }
    memcpy(b->dados + b->tamanho, p, n);
    b->tamanho += n;
}

static void fechar(int ep, struct conexao *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->linha.dados);
    free(c->saida.dados);
    free(c);
}

/* Escreve o que o kernel aceitar. -1: a conexão falhou. */
static int escrever(struct conexao *c) {
    while (c->enviados < c->saida.tamanho) {
        ssize_t n = send(c->fd, c->saida.dados + c->enviados,
                         c->saida.tamanho - c->enviados, MSG_NOSIGNAL);
        if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        c->enviados += (size_t)n;
    }
    c->saida.tamanho = c->enviados = 0;
    return 0;
}

/* Uma leitura e as respostas das linhas que ela completou. -1: fechar. */
static int ler(struct conexao *c, char *lidos) {
    ssize_t n = recv(c->fd, lidos, LEITURA, 0);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    char *p = lidos, *fim = lidos + n, *nl;
    while ((nl = memchr(p, '\n', (size_t)(fim - p)))) {
        acrescentar(&c->saida, "Echo: ", 6);
        if (c->linha.tamanho) acrescentar(&c->saida, c->linha.dados, c->linha.tamanho);
        c->linha.tamanho = 0;
        acrescentar(&c->saida, p, (size_t)(nl - p + 1));
        p = nl + 1;
    }
    if (c->linha.tamanho + (size_t)(fim - p) > LIMITE) return -1;
    acrescentar(&c->linha, p, (size_t)(fim - p));
    return 0;
}

static int porta_pedida(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--porta") == 0) return atoi(argv[i + 1]);
    return 5000;
}

int main(int argc, char **argv) {
    int escuta = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int um = 1;
    setsockopt(escuta, SOL_SOCKET, SO_REUSEADDR, &um, sizeof um);
    struct sockaddr_in endereco = {.sin_family = AF_INET,
                                   .sin_port = htons((unsigned short)porta_pedida(argc, argv)),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t tamanho = sizeof endereco;
    if (bind(escuta, (struct sockaddr *)&endereco, tamanho) < 0 || listen(escuta, 1024) < 0 ||
        getsockname(escuta, (struct sockaddr *)&endereco, &tamanho) < 0) {
        perror("eco-epoll: bind/listen");
        return 1;
    }
    printf("Servidor Echo escutando em 127.0.0.1:%d\n\n", ntohs(endereco.sin_port));
    fflush(stdout);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, escuta, &ev);
    static char lidos[LEITURA];
    struct epoll_event prontos[1024];
    for (;;) {
        int n = epoll_wait(ep, prontos, 1024, -1);
        for (int i = 0; i < n; i++) {
            struct conexao *c = prontos[i].data.ptr;
            if (c == NULL) { /* o socket de escuta: aceita quem espera */
                int fd;
                while ((fd = accept4(escuta, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &um, sizeof um);
                    c = calloc(1, sizeof *c);
                    if (!c) abort();
                    c->fd = fd;
                    struct epoll_event novo = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &novo);
                }
                continue;
            }
            /* A vez desta conexão: no máximo uma leitura, e as respostas. */
            if (!c->esperando_escrita && ler(c, lidos) < 0) {
                fechar(ep, c);
                continue;
            }
            if (escrever(c) < 0) {
                fechar(ep, c);
                continue;
            }
            /* Resposta presa: para de ler até ela sair (contrapressão). */
            int presa = c->saida.tamanho > 0;
            if (presa != c->esperando_escrita) {
                struct epoll_event mudou = {.events = presa ? EPOLLOUT : EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &mudou);
                c->esperando_escrita = presa;
            }
        }
    }
}
