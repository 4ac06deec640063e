// The C epoll floor: issue 4 calibrates its targets against "a hand-written C epoll responder
// with canned packets". This is one, so that every `make bench` measures that ceiling in the same
// run as the mock and MariaDB. It serves the NIO floor's canned packets (the mock's greeting, OK
// for the handshake response, the SELECT 1 result set for every COM_QUERY), closes on COM_QUIT as
// the mock does, and runs one SO_REUSEPORT listener and epoll loop per
// thread. Benchmark tool only: nothing here is used by the mock.
//
// Usage: CEpollFloor <port> [threads]. Linux only (epoll); elsewhere it says so and exits.
#ifndef __linux__
#include <stdio.h>
int main(void) {
    fprintf(stderr, "CEpollFloor: needs Linux (epoll)\n");
    return 1;
}
#else
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_FDS = 65536, MAX_PENDING = 256, READ_SIZE = 16384 };

static const char *greeting_hex =
    "4f0000000a382e302e32332d6d6f636b0001000000303132333435363700dfa2ff0000fe01150000000000000000000038393031"
    "3233343536373839006d7973716c5f6e61746976655f70617373776f726400";
static const char *auth_ok_hex = "0700000200000000000000";
static const char *select_one_hex =
    "010000010117000002036465660000000131000cff000000000008000000000005000003fe0000000002000004013105000005fe"
    "00000000";

static unsigned char greeting[128], auth_ok[16], select_one[64];
static size_t greeting_len, auth_ok_len, select_one_len;
static int port;

// Bytes of an incomplete packet kept between reads, per descriptor (owned by one loop each).
static unsigned char pending[MAX_FDS][MAX_PENDING];
static size_t pending_len[MAX_FDS];

static size_t from_hex(const char *hex, unsigned char *out, size_t capacity) {
    size_t n = strlen(hex) / 2;
    if (n > capacity) n = capacity;
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
    return n;
}

static void *serve(void *unused) {
    (void)unused;
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    address.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 256) != 0) {
        perror("CEpollFloor: bind/listen");
        exit(1);
    }
    int epoll = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);

    struct epoll_event events[64];
    unsigned char in[MAX_PENDING + READ_SIZE], out[4096];
    for (;;) {
        int ready = epoll_wait(epoll, events, 64, -1);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_FDS) { close(client); continue; }
                    pending_len[client] = 0;
                    if (write(client, greeting, greeting_len) < 0) { close(client); continue; }
                    struct epoll_event client_event = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = client};
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event);
                }
                continue;
            }
            size_t kept = pending_len[fd];
            memcpy(in, pending[fd], kept);
            ssize_t got = read(fd, in + kept, READ_SIZE);
            if (got <= 0) {
                if (got == 0 || errno != EAGAIN) close(fd);  // the client closed (after COM_QUIT)
                continue;
            }
            size_t total = kept + (size_t)got, offset = 0, written = 0;
            int quit = 0;
            while (total - offset >= 4) {
                size_t length = in[offset] | in[offset + 1] << 8 | in[offset + 2] << 16;
                if (total - offset < 4 + length) break;
                const unsigned char *answer = NULL;
                size_t answer_len = 0;
                if (in[offset + 3] == 1) { answer = auth_ok; answer_len = auth_ok_len; }
                else if (length > 0 && in[offset + 4] == 0x03) { answer = select_one; answer_len = select_one_len; }
                else if (length > 0 && in[offset + 4] == 0x01) { quit = 1; break; }  // COM_QUIT: close
                if (answer && written + answer_len <= sizeof out) {
                    memcpy(out + written, answer, answer_len);
                    written += answer_len;
                }
                offset += 4 + length;
            }
            if (quit) {
                if (written > 0 && write(fd, out, written) < 0) { /* closing anyway */ }
                close(fd);
                continue;
            }
            size_t rest = total - offset;
            if (rest > MAX_PENDING) { close(fd); continue; }  // not a benchmark client
            memcpy(pending[fd], in + offset, rest);
            pending_len[fd] = rest;
            if (written > 0 && write(fd, out, written) < 0) close(fd);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    port = argc > 1 ? atoi(argv[1]) : 3306;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    greeting_len = from_hex(greeting_hex, greeting, sizeof greeting);
    auth_ok_len = from_hex(auth_ok_hex, auth_ok, sizeof auth_ok);
    select_one_len = from_hex(select_one_hex, select_one, sizeof select_one);
    pthread_t handles[64];
    for (int i = 0; i < threads; i++) pthread_create(&handles[i], NULL, serve, NULL);
    printf("ready %d\n", port);
    fflush(stdout);
    for (int i = 0; i < threads; i++) pthread_join(handles[i], NULL);
    return 0;
}
#endif
