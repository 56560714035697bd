/*
 * The kernel floor for `npm run bench:scale`: the least a server can do to deliver one event to
 * every socket. Accepts WebSocket upgrades (answers 101 without parsing more than the blank line),
 * then on command writes ONE prebuilt frame (or k frames concatenated: a burst in one write) to
 * every socket it holds, one send() per socket. Several processes share the port (SO_REUSEPORT).
 *
 * usage: floor <port|0>     (0: pick a free port and print it; others join with that port)
 * stdout: {"type":"ready","port":N} then one JSON line per command.
 * stdin:  "send <k> <len>\n" followed by <len> bytes: k payloads separated by '\n'; each becomes a
 *         text frame; all k go out in one write per socket. Reply: {"type":"sent",...} with the
 *         time the command was read (start_ns) and the time the last write returned (end_ns).
 *         "count\n" -> {"type":"count","sockets":N}; "quit\n" -> exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536

static const char REPLY[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static uint8_t state[MAX_FDS]; /* 0 free, 1..4 matched "\r\n\r\n" chars while upgrading, 5 open */
static int open_fds[MAX_FDS];
static int open_count;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Encodes payloads (separated by '\n') as consecutive unmasked text frames; returns the length. */
size_t build_frames(const char *payloads, size_t len, uint8_t *out) {
  size_t o = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && payloads[i] != '\n') continue;
    size_t n = i - start;
    out[o++] = 0x81;
    if (n < 126) {
      out[o++] = (uint8_t)n;
    } else if (n < 65536) {
      out[o++] = 126;
      out[o++] = (uint8_t)(n >> 8);
      out[o++] = (uint8_t)n;
    } else {
      out[o++] = 127;
      for (int s = 56; s >= 0; s -= 8) out[o++] = (uint8_t)((uint64_t)n >> s);
    }
    memcpy(out + o, payloads + start, n);
    o += n;
    start = i + 1;
  }
  return o;
}

#ifndef FLOOR_NO_MAIN
static int ep, listener;

static void drop(int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  if (state[fd] == 5) {
    for (int i = 0; i < open_count; i++) {
      if (open_fds[i] == fd) {
        open_fds[i] = open_fds[--open_count];
        break;
      }
    }
  }
  state[fd] = 0;
}

static void on_readable(int fd) {
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
      drop(fd);
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) drop(fd);
      return;
    }
    if (state[fd] == 5) continue; /* client frames are read and ignored */
    static const char END[] = "\r\n\r\n";
    for (ssize_t i = 0; i < n && state[fd] < 5; i++) {
      uint8_t matched = (uint8_t)(state[fd] - 1);
      matched = buf[i] == (uint8_t)END[matched] ? matched + 1 : (buf[i] == '\r' ? 1 : 0);
      state[fd] = (uint8_t)(matched + 1);
      if (matched == 4) {
        send(fd, REPLY, sizeof REPLY - 1, MSG_NOSIGNAL);
        state[fd] = 5;
        open_fds[open_count++] = fd;
      }
    }
  }
}

static char *command;
static size_t command_len, command_need;
static char header[64];
static size_t header_len;
static uint8_t *frames;

static void broadcast(int k) {
  int64_t start = now_ns();
  size_t len = build_frames(command, command_need, frames);
  long writes = 0, short_writes = 0;
  for (int i = 0; i < open_count; i++) {
    ssize_t n = send(open_fds[i], frames, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    writes++;
    if (n != (ssize_t)len) short_writes++;
  }
  int64_t end = now_ns();
  printf("{\"type\":\"sent\",\"k\":%d,\"sockets\":%d,\"bytes\":%zu,\"short\":%ld,\"start_ns\":%lld,\"end_ns\":%lld}\n", k,
         open_count, len, short_writes, (long long)start, (long long)end);
  fflush(stdout);
  (void)writes;
}

static int pending_k;

/* Returns 0 to quit. */
static int on_stdin(void) {
  char chunk[65536];
  ssize_t n = read(0, chunk, sizeof chunk);
  if (n <= 0) return 0;
  for (ssize_t i = 0; i < n; i++) {
    if (command_need > 0) {
      command[command_len++] = chunk[i];
      if (command_len == command_need) {
        broadcast(pending_k);
        command_need = 0;
        command_len = 0;
      }
      continue;
    }
    if (chunk[i] != '\n') {
      if (header_len < sizeof header - 1) header[header_len++] = chunk[i];
      continue;
    }
    header[header_len] = 0;
    header_len = 0;
    int k;
    size_t len;
    if (sscanf(header, "send %d %zu", &k, &len) == 2 && len > 0 && len < 1 << 20) {
      command = realloc(command, len);
      frames = realloc(frames, len + 16 * (size_t)(k + 1));
      pending_k = k;
      command_need = len;
      command_len = 0;
    } else if (strcmp(header, "count") == 0) {
      printf("{\"type\":\"count\",\"sockets\":%d}\n", open_count);
      fflush(stdout);
    } else if (strcmp(header, "quit") == 0) {
      return 0;
    }
  }
  return 1;
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0) {
    perror("floor: bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(listener, (struct sockaddr *)&addr, &alen);
  printf("{\"type\":\"ready\",\"port\":%d}\n", ntohs(addr.sin_port));
  fflush(stdout);
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = 0;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  struct epoll_event ready[512];
  for (;;) {
    int n = epoll_wait(ep, ready, 512, -1);
    for (int i = 0; i < n; i++) {
      int fd = ready[i].data.fd;
      if (fd == 0) {
        if (!on_stdin()) return 0;
      } else if (fd == listener) {
        for (;;) {
          int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
          if (client < 0) break;
          if (client >= MAX_FDS) {
            close(client);
            continue;
          }
          state[client] = 1;
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = client};
          epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
        }
      } else {
        on_readable(fd);
      }
    }
  }
}
#endif
