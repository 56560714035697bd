/*
 * Lean WebSocket load generator for `npm run bench:scale`: one process holds up to ~19,000
 * subscribed sockets on one epoll loop. Per socket it keeps a few dozen bytes: the frame-header
 * parser state, the first bytes of the current payload (to tell an event from a reply) and a
 * matcher for the event marker `"seq":N`. Per event it keeps only how many sockets received it and
 * the receive time of the first and of the LAST one (CLOCK_REALTIME, ns), never per-socket data.
 *
 * usage: loadgen <ours|sio|floor> <host> <port> <count> <source-address> [max-in-flight]
 * Sockets are spread over consecutive source addresses from <source-address> up (its last octet
 * counting up), at most SOURCE_SHARE per address: Linux gives connect() the even half of the
 * ephemeral port range first (14,116 ports of 32768-60999 here) and beyond it searches the odd half
 * port by port, so one address with 19,000 sockets connected at ~7,000/s up to ~14,100 sockets and at
 * ~500/s after: the generator, not the server, set the connection rate of every step past it.
 * stdin commands (one per line): "report" -> one JSON line on stdout; "quit" -> close (RST) and exit;
 *   "resume <epoch>" -> from now on a socket that closes (or cannot connect) reconnects after a jittered
 *   100-300 ms and subscribes with {"action":"subscribe_all","since":<its last seq>,"epoch":"<epoch>"}.
 * Per socket it also checks the stream: after SUBSCRIBED (seq S) the events must be S+1, S+2, … with
 * no gap and no repeat, across reconnects (a resumed SUBSCRIBED keeps the socket's own last seq);
 * "lost" counts the seqs skipped, "dups" the events seen twice.
 * stdout: "progress ..." lines while connecting, JSON lines on report.
 *
 * Protocols: ours  GET /ws, then a masked {"action":"subscribe_all"}; subscribed on the SUBSCRIBED frame.
 *            sio   GET /socket.io/?EIO=4&transport=websocket, then a masked "40"; subscribed on "40{".
 *                  Engine.IO pings ("2") are answered with "3"; events are 42["goal",{...,"seq":N}].
 *            floor GET /, subscribed on the 101.
 * WebSocket pings are answered with a masked pong carrying the same payload.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { MODE_OURS, MODE_SIO, MODE_FLOOR };
enum { S_FREE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_DEAD, S_RETRY };

#define PREFIX 24
#define MAX_EVENTS 8192 /* events tracked, indexed by seq % MAX_EVENTS */

typedef struct {
  int fd;
  uint8_t state;
  uint8_t subscribed;
  uint8_t hdr_len;   /* header bytes collected */
  uint8_t hdr_need;  /* header bytes needed (2, 4, 10, +4 if masked) */
  uint8_t hdr[14];
  uint8_t opcode;
  uint8_t prefix_len;
  uint8_t match;     /* chars of the marker matched so far; 255 = reading digits */
  uint8_t http_match; /* chars of "\r\n\r\n" matched in the handshake reply */
  uint64_t remaining; /* payload bytes left in the current frame */
  uint32_t number;
  uint32_t last_seq;  /* the last event seq this socket has (0: none yet) */
  uint8_t resumed;    /* this connection subscribed with since/epoch */
  int64_t retry_at;   /* S_RETRY: when to connect again (ns) */
  char prefix[PREFIX];
} conn_t;

typedef struct {
  uint32_t seq;
  uint32_t count;
  int64_t first_ns;
  int64_t last_ns;
} event_t;

static int mode;
static conn_t *conns;
static int total;
static event_t events[MAX_EVENTS];
static long opened, subscribed_count, failed, closed_after_open, pings, frames;
static long resubscribed, reconnects, lost, dups;
static int resume_mode;
static char epoch[128];
static int64_t started_ns, all_subscribed_ns, last_resubscribed_ns;
static const char MARKER[] = "\"seq\":";

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Writes all of buf (small control frames only; the socket buffer has room for them). */
static void send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    len -= (size_t)n;
  }
}

/* A masked client frame (RFC 6455 §5.3): payloads here are < 126 bytes. */
static void send_masked(int fd, int opcode, const char *payload, size_t len) {
  uint8_t frame[2 + 4 + 125];
  if (len > 125) len = 125;
  frame[0] = (uint8_t)(0x80 | opcode);
  frame[1] = (uint8_t)(0x80 | len);
  uint32_t key = (uint32_t)rand();
  memcpy(frame + 2, &key, 4);
  for (size_t i = 0; i < len; i++) frame[6 + i] = (uint8_t)payload[i] ^ frame[2 + (i & 3)];
  send_all(fd, frame, 6 + len);
}

static void record_event(conn_t *c, uint32_t seq) {
  int64_t t = now_ns();
  if (c->last_seq != 0) {
    if (seq > c->last_seq + 1) lost += seq - c->last_seq - 1;
    else if (seq <= c->last_seq) dups++;
  }
  if (seq > c->last_seq) c->last_seq = seq;
  event_t *e = &events[seq % MAX_EVENTS];
  if (e->seq != seq || e->count == 0) {
    e->seq = seq;
    e->count = 0;
    e->first_ns = t;
  }
  e->count++;
  e->last_ns = t;
}

static void mark_subscribed(conn_t *c) {
  if (c->subscribed) return;
  c->subscribed = 1;
  subscribed_count++;
  if (c->resumed) {
    resubscribed++;
    last_resubscribed_ns = now_ns();
  }
  if (subscribed_count == total) all_subscribed_ns = now_ns();
}

static int is_event_frame(const conn_t *c) {
  if (mode == MODE_SIO) return c->prefix_len >= 2 && c->prefix[0] == '4' && c->prefix[1] == '2';
  if (mode == MODE_OURS) return !(c->prefix_len >= 20 && memcmp(c->prefix, "{\"type\":\"SUBSCRIBED\"", 20) == 0);
  return 1;
}

/* A whole frame has been read: act on control frames and replies. */
static void frame_done(conn_t *c) {
  frames++;
  if (c->opcode == 0x9) {
    pings++;
    send_masked(c->fd, 0xA, c->prefix, c->prefix_len);
  } else if (c->opcode == 0x1) {
    if (mode == MODE_OURS && c->prefix_len >= 20 && memcmp(c->prefix, "{\"type\":\"SUBSCRIBED\"", 20) == 0) mark_subscribed(c);
    if (mode == MODE_SIO) {
      if (c->prefix_len == 1 && c->prefix[0] == '2') send_masked(c->fd, 0x1, "3", 1);
      if (c->prefix_len >= 2 && c->prefix[0] == '4' && c->prefix[1] == '0') mark_subscribed(c);
    }
  }
  if (c->match == 255) { /* marker at the very end of the payload */
    if (is_event_frame(c)) record_event(c, c->number);
  }
  c->match = 0;
  c->prefix_len = 0;
  c->hdr_len = 0;
  c->hdr_need = 2;
}

/* Feeds payload bytes through the marker matcher. */
static void scan_payload(conn_t *c, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t ch = p[i];
    if (c->prefix_len < PREFIX) c->prefix[c->prefix_len++] = (char)ch;
    if (c->match == 255) {
      if (ch >= '0' && ch <= '9') {
        c->number = c->number * 10 + (uint32_t)(ch - '0');
        continue;
      }
      if (is_event_frame(c)) record_event(c, c->number);
      else if (mode == MODE_OURS && !c->resumed && c->last_seq == 0) c->last_seq = c->number; /* SUBSCRIBED */
      c->match = 0;
    }
    if (ch == (uint8_t)MARKER[c->match]) {
      c->match++;
      if (c->match == sizeof(MARKER) - 1) {
        c->match = 255;
        c->number = 0;
      }
    } else {
      c->match = ch == (uint8_t)MARKER[0] ? 1 : 0;
    }
  }
}

/* Parses WebSocket frames from bytes read off the socket (exported for the harness test). */
void feed(conn_t *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    if (c->hdr_len < c->hdr_need) {
      c->hdr[c->hdr_len++] = *p++;
      n--;
      if (c->hdr_len == 2) {
        uint8_t len7 = c->hdr[1] & 0x7f;
        c->hdr_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0));
      }
      if (c->hdr_len < c->hdr_need) continue;
      uint8_t len7 = c->hdr[1] & 0x7f;
      uint64_t len = len7;
      if (len7 == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      if (len7 == 127) {
        len = 0;
        for (int i = 2; i < 10; i++) len = (len << 8) | c->hdr[i];
      }
      c->opcode = c->hdr[0] & 0x0f;
      c->remaining = len;
      c->prefix_len = 0;
      c->match = 0;
      if (len == 0) frame_done(c);
      continue;
    }
    size_t take = n < c->remaining ? n : (size_t)c->remaining;
    scan_payload(c, p, take);
    p += take;
    n -= take;
    c->remaining -= take;
    if (c->remaining == 0) frame_done(c);
  }
}

#ifndef LOADGEN_NO_MAIN
static const char *host;
static int port;
static char request[512];
static size_t request_len;
#define SOURCE_SHARE 8000
static struct sockaddr_in source, target;
static struct sockaddr_in *sources; /* sources[i % source_count] for socket i */
static int source_count;
static int ep;
static int next_to_open, in_flight, max_in_flight = 200;

/* Sockets waiting to reconnect (resume mode), in order; each index at most once. */
static uint32_t *retry_queue;
static int retry_head, retry_count;

static void conn_fail(conn_t *c) {
  if (c->state == S_CONNECTING || c->state == S_HANDSHAKE) in_flight--;
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (c->subscribed) subscribed_count--;
  c->subscribed = 0;
  if (resume_mode) {
    /* Reconnect after a jittered delay, as a real client does. */
    reconnects++;
    c->state = S_RETRY;
    c->retry_at = now_ns() + (100 + rand() % 200) * 1000000LL;
    retry_queue[(retry_head + retry_count) % total] = (uint32_t)(c - conns);
    retry_count++;
    return;
  }
  if (c->state == S_OPEN) closed_after_open++;
  else failed++;
  c->state = S_DEAD;
}

static void connect_one(uint32_t index);

static void open_more(void) {
  int64_t t = now_ns();
  while (in_flight < max_in_flight && retry_count > 0) {
    uint32_t index = retry_queue[retry_head];
    if (conns[index].retry_at > t) break;
    retry_head = (retry_head + 1) % total;
    retry_count--;
    connect_one(index);
  }
  while (in_flight < max_in_flight && next_to_open < total) {
    connect_one((uint32_t)next_to_open);
    next_to_open++;
  }
}

static void connect_one(uint32_t index) {
  {
    conn_t *c = &conns[index];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      failed++;
      c->state = S_DEAD;
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Small receive buffers: the events are small, and 100k default buffers would be the kernel's largest cost. */
    const struct sockaddr_in *from = &sources[index % (uint32_t)source_count];
    if (bind(fd, (const struct sockaddr *)from, sizeof *from) < 0) {
      close(fd);
      failed++;
      c->state = S_DEAD;
      return;
    }
    c->fd = fd;
    c->state = S_CONNECTING;
    c->hdr_len = 0;
    c->hdr_need = 2;
    c->prefix_len = 0;
    c->match = 0;
    c->http_match = 0;
    c->remaining = 0;
    c->resumed = 0;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = index};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    in_flight++;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) conn_fail(c);
  }
}

static void on_writable(conn_t *c, uint32_t index) {
  if (c->state != S_CONNECTING) return;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    conn_fail(c);
    return;
  }
  send_all(c->fd, request, request_len);
  c->state = S_HANDSHAKE;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = index};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static uint8_t buffer[65536];

static void on_readable(conn_t *c) {
  for (;;) {
    ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
    if (n == 0) {
      conn_fail(c);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      conn_fail(c);
      return;
    }
    size_t offset = 0;
    if (c->state == S_HANDSHAKE) {
      /* The reply status line must be 101; the rest of the headers are skipped up to the blank line. */
      static const char END[] = "\r\n\r\n";
      if (c->http_match == 0 && c->prefix_len == 0) {
        if (n < 12 || memcmp(buffer, "HTTP/1.1 101", 12) != 0) {
          conn_fail(c);
          return;
        }
        c->prefix_len = 1; /* status line checked */
      }
      while (offset < (size_t)n && c->http_match < 4) {
        c->http_match = buffer[offset] == (uint8_t)END[c->http_match] ? c->http_match + 1 : (buffer[offset] == '\r' ? 1 : 0);
        offset++;
      }
      if (c->http_match < 4) continue;
      c->state = S_OPEN;
      c->prefix_len = 0;
      in_flight--;
      opened++;
      if (mode == MODE_OURS && resume_mode && c->last_seq != 0) {
        char message[160];
        int len = snprintf(message, sizeof message, "{\"action\":\"subscribe_all\",\"since\":%u,\"epoch\":\"%s\"}", c->last_seq, epoch);
        c->resumed = 1;
        send_masked(c->fd, 0x1, message, (size_t)len);
      } else if (mode == MODE_OURS) send_masked(c->fd, 0x1, "{\"action\":\"subscribe_all\"}", 26);
      else if (mode == MODE_SIO) send_masked(c->fd, 0x1, "40", 2);
      else mark_subscribed(c);
      open_more();
    }
    if (offset < (size_t)n) feed(c, buffer + offset, (size_t)n - offset);
    if ((size_t)n < sizeof buffer) return;
  }
}

static void report(void) {
  printf("{\"type\":\"report\",\"total\":%d,\"opened\":%ld,\"subscribed\":%ld,\"failed\":%ld,\"closed\":%ld,\"pings\":%ld,"
         "\"frames\":%ld,\"started_ns\":%lld,\"all_subscribed_ns\":%lld,\"resubscribed\":%ld,\"reconnects\":%ld,"
         "\"last_resubscribed_ns\":%lld,\"lost\":%ld,\"dups\":%ld,\"events\":[",
         total, opened, subscribed_count, failed, closed_after_open, pings, frames, (long long)started_ns,
         (long long)all_subscribed_ns, resubscribed, reconnects, (long long)last_resubscribed_ns, lost, dups);
  int first = 1;
  for (int i = 0; i < MAX_EVENTS; i++) {
    if (events[i].count == 0) continue;
    printf("%s[%u,%u,%lld,%lld]", first ? "" : ",", events[i].seq, events[i].count, (long long)events[i].first_ns,
           (long long)events[i].last_ns);
    first = 0;
  }
  printf("]}\n");
  fflush(stdout);
}

static char line[256];
static size_t line_len;

/* Returns 0 to quit. */
static int on_stdin(void) {
  char chunk[256];
  ssize_t n = read(0, chunk, sizeof chunk);
  if (n <= 0) return 0;
  for (ssize_t i = 0; i < n; i++) {
    if (chunk[i] != '\n') {
      if (line_len < sizeof line - 1) line[line_len++] = chunk[i];
      continue;
    }
    line[line_len] = 0;
    line_len = 0;
    if (strcmp(line, "report") == 0) report();
    else if (strcmp(line, "reset") == 0) memset(events, 0, sizeof events);
    else if (strncmp(line, "resume ", 7) == 0) {
      snprintf(epoch, sizeof epoch, "%.100s", line + 7);
      resume_mode = 1;
      resubscribed = 0;
      reconnects = 0;
      last_resubscribed_ns = 0;
    } else if (strcmp(line, "quit") == 0) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: loadgen <ours|sio|floor> <host> <port> <count> <source-address> [max-in-flight]\n");
    return 2;
  }
  mode = strcmp(argv[1], "sio") == 0 ? MODE_SIO : strcmp(argv[1], "floor") == 0 ? MODE_FLOOR : MODE_OURS;
  host = argv[2];
  port = atoi(argv[3]);
  total = atoi(argv[4]);
  if (argc > 6) max_in_flight = atoi(argv[6]);
  memset(&source, 0, sizeof source);
  source.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[5], &source.sin_addr) != 1) {
    fprintf(stderr, "loadgen: bad source address %s\n", argv[5]);
    return 2;
  }
  source_count = total > SOURCE_SHARE ? (total + SOURCE_SHARE - 1) / SOURCE_SHARE : 1;
  uint32_t first = ntohl(source.sin_addr.s_addr);
  if ((first & 0xff) + (uint32_t)source_count > 255) {
    fprintf(stderr, "loadgen: %d source addresses from %s run past the last octet\n", source_count, argv[5]);
    return 2;
  }
  sources = calloc((size_t)source_count, sizeof *sources);
  for (int i = 0; i < source_count; i++) {
    sources[i] = source;
    sources[i].sin_addr.s_addr = htonl(first + (uint32_t)i);
  }
  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, host, &target.sin_addr);
  const char *path = mode == MODE_SIO ? "/socket.io/?EIO=4&transport=websocket" : mode == MODE_OURS ? "/ws" : "/";
  request_len = (size_t)snprintf(request, sizeof request,
                                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                                 path, host, port);
  conns = calloc((size_t)total, sizeof *conns);
  retry_queue = calloc((size_t)total, sizeof *retry_queue);
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  started_ns = now_ns();
  open_more();
  struct epoll_event ready[512];
  int64_t last_progress = 0;
  for (;;) {
    int n = epoll_wait(ep, ready, 512, retry_count > 0 ? 10 : 200);
    for (int i = 0; i < n; i++) {
      uint32_t index = ready[i].data.u32;
      if (index == UINT32_MAX) {
        if (!on_stdin()) goto quit;
        continue;
      }
      conn_t *c = &conns[index];
      if (c->state == S_DEAD || c->state == S_RETRY) continue;
      if (ready[i].events & (EPOLLERR | EPOLLHUP)) {
        if (c->state != S_OPEN || !(ready[i].events & EPOLLIN)) {
          conn_fail(c);
          continue;
        }
      }
      if (ready[i].events & EPOLLOUT) on_writable(c, index);
      if (c->state != S_DEAD && (ready[i].events & EPOLLIN)) on_readable(c);
    }
    open_more();
    int64_t t = now_ns();
    if (t - last_progress > 500000000LL) {
      last_progress = t;
      printf("{\"type\":\"progress\",\"opened\":%ld,\"subscribed\":%ld,\"failed\":%ld,\"closed\":%ld}\n", opened,
             subscribed_count, failed, closed_after_open);
      fflush(stdout);
    }
  }
quit:;
  /* RST instead of FIN: no TIME_WAIT left behind on the loopback ports. */
  struct linger hard = {.l_onoff = 1, .l_linger = 0};
  for (int i = 0; i < total; i++) {
    if (conns[i].state == S_FREE || conns[i].state == S_DEAD || conns[i].state == S_RETRY) continue;
    setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close(conns[i].fd);
  }
  return 0;
}
#endif
