/*
 * A stand-in engine for the request-overhead benchmark: answers every
 * request on a unix socket with dockerd 20.10's `/_ping` response, byte for
 * byte (header order included), so that what a client run costs is the
 * client's own work. One thread, epoll, no allocation per request.
 *
 *   ping-stub SOCKET_PATH
 *
 * Prints "listening" once ready, then "conns N" after every accepted
 * connection (the runner reads it to check keep-alive). Requests are
 * assumed bodiless (GET and HEAD). Exits on SIGTERM or SIGINT.
 *
 * Compiled by scripts/bench.sh with the system compiler; never committed
 * as a binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 16384

static const char GET_HEAD[] =
  "HTTP/1.1 200 OK\r\n"
  "Api-Version: 1.41\r\n"
  "Cache-Control: no-cache, no-store, must-revalidate\r\n"
  "Docker-Experimental: false\r\n"
  "Ostype: linux\r\n"
  "Pragma: no-cache\r\n"
  "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
  "Date: %s\r\n"
  "Content-Length: 2\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "\r\n"
  "OK";

static const char HEAD_HEAD[] =
  "HTTP/1.1 200 OK\r\n"
  "Api-Version: 1.41\r\n"
  "Cache-Control: no-cache, no-store, must-revalidate\r\n"
  "Content-Length: 0\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Docker-Experimental: false\r\n"
  "Ostype: linux\r\n"
  "Pragma: no-cache\r\n"
  "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
  "Date: %s\r\n"
  "\r\n";

struct conn {
  int fd;
  size_t fill;
  char buf[BUF_SIZE];
};

static volatile sig_atomic_t stopping = 0;
static char get_response[1024], head_response[1024];
static int get_len, head_len;
static time_t rendered_at = 0;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* The responses carry a Date header, as dockerd's do: re-rendered once a second. */
static void render(void) {
  time_t now = time(NULL);
  if (now == rendered_at) return;
  rendered_at = now;
  char date[64];
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  get_len = snprintf(get_response, sizeof get_response, GET_HEAD, date);
  head_len = snprintf(head_response, sizeof head_response, HEAD_HEAD, date);
}

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { usleep(50); continue; }
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Answers every complete request in the buffer; keeps a partial one. */
static int serve(struct conn *c) {
  char out[BUF_SIZE];
  size_t out_len = 0, start = 0;
  render();
  for (;;) {
    char *end = memmem(c->buf + start, c->fill - start, "\r\n\r\n", 4);
    if (end == NULL) break;
    int head = c->fill - start >= 5 && memcmp(c->buf + start, "HEAD ", 5) == 0;
    const char *resp = head ? head_response : get_response;
    size_t len = (size_t)(head ? head_len : get_len);
    if (out_len + len > sizeof out) {
      if (write_all(c->fd, out, out_len) < 0) return -1;
      out_len = 0;
    }
    memcpy(out + out_len, resp, len);
    out_len += len;
    start = (size_t)(end - c->buf) + 4;
  }
  if (out_len > 0 && write_all(c->fd, out, out_len) < 0) return -1;
  memmove(c->buf, c->buf + start, c->fill - start);
  c->fill -= start;
  return c->fill == sizeof c->buf ? -1 : 0;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: ping-stub SOCKET_PATH\n"); return 2; }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(argv[1]) >= sizeof addr.sun_path) { fprintf(stderr, "socket path too long\n"); return 2; }
  strcpy(addr.sun_path, argv[1]);
  unlink(argv[1]);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 512) < 0) {
    perror("ping-stub: listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("listening\n");
  long accepted = 0;
  struct epoll_event events[64];
  while (!stopping) {
    int n = epoll_wait(ep, events, 64, 500);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          struct conn *nc = calloc(1, sizeof *nc);
          if (nc == NULL) { close(fd); continue; }
          nc->fd = fd;
          struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
          printf("conns %ld\n", ++accepted);
        }
        continue;
      }
      int closing = 0;
      for (;;) {
        ssize_t r = read(c->fd, c->buf + c->fill, sizeof c->buf - c->fill);
        if (r > 0) {
          c->fill += (size_t)r;
          if (serve(c) < 0) { closing = 1; break; }
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        closing = 1; /* EOF or error */
        break;
      }
      if (closing) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c);
      }
    }
  }
  unlink(argv[1]);
  return 0;
}
