// udp_sink: the receiving end of udp_pace for the latency benchmarks (bench/latency/).
//
//   udp_sink PORT OUT_FILE
//
// Binds [::]:PORT, prints {"event":"ready"} once listening, and records every udp_pace
// datagram until SIGINT or SIGTERM: the kernel receive time (SO_TIMESTAMPNS, CLOCK_REALTIME)
// and the interface it arrived on (IPV6_PKTINFO). OUT_FILE gets one record per datagram,
// four little-endian u64: sequence, send time (from the payload), receive time, ifindex.
// At the end one JSON line: records, foreign datagrams ignored, socket drops (SO_RXQ_OVFL).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: udp_sink PORT OUT_FILE\n");
    return 2;
  }
  int port = atoi(argv[1]);
  FILE* out = fopen(argv[2], "wb");
  if (!out) { perror(argv[2]); return 2; }
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 2; }
  int one = 1, rcvbuf = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons((uint16_t)port);
  sa.sin6_addr = in6addr_any;
  if (bind(fd, (struct sockaddr*)&sa, sizeof sa) != 0) { perror("bind"); return 2; }

  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = on_signal;   // no SA_RESTART: recvmsg returns EINTR
  sigaction(SIGINT, &act, NULL);
  sigaction(SIGTERM, &act, NULL);
  printf("{\"event\":\"ready\",\"port\":%d}\n", port);
  fflush(stdout);

  unsigned long long records = 0, foreign = 0;
  uint32_t drops = 0;
  unsigned char buf[2048];
  union {
    char b[512];
    struct cmsghdr align;
  } ctl;
  while (!stop_flag) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.b;
    msg.msg_controllen = sizeof ctl.b;
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("recvmsg");
      break;
    }
    uint32_t magic;
    if (n < 32) { foreign++; continue; }
    memcpy(&magic, buf, 4);
    if (ntohl(magic) != 0x706d7870u) { foreign++; continue; }
    uint64_t rec[4] = {0, 0, 0, 0};
    uint64_t v;
    memcpy(&v, buf + 8, 8);
    rec[0] = be64toh(v);
    memcpy(&v, buf + 24, 8);
    rec[1] = be64toh(v);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        rec[2] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        rec[3] = pi.ipi6_ifindex;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
      }
    }
    for (int i = 0; i < 4; i++) rec[i] = htole64(rec[i]);
    fwrite(rec, sizeof rec, 1, out);
    records++;
  }
  fclose(out);
  printf("{\"event\":\"end\",\"records\":%llu,\"foreign\":%llu,\"socket_drops\":%u}\n", records, foreign, drops);
  fflush(stdout);
  return 0;
}
