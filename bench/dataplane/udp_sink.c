/* udp_sink - count the UDP datagrams delivered to a socket over a fixed window.
 *
 *   udp_sink [-p PORT] [-w WARMUP] [-t SECONDS] [-c CPU] [-T IDLE_TIMEOUT] [-i IFACE]
 *
 * Binds [::]:PORT, drains with recvmmsg(2). The window starts WARMUP seconds after the first
 * datagram and lasts SECONDS; the count is of datagrams the socket returned in it. Gives up
 * (with packets 0) when nothing arrives for IDLE_TIMEOUT seconds (default 5). Prints one JSON
 * line: {"packets": N, "seconds": S, "pps": R, "total": T, ...}. With -i, also the packets IFACE
 * received in the same window (/sys/class/net/IFACE/statistics/rx_packets; run in the
 * receiver's namespace with `ip netns exec`, which mounts that namespace's /sys):
 * "if_packets", "if_pps". bench/dataplane, pmipx issue 7.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define SLOT 2048

static const char* iface;

static long long if_rx(void) {
  if (!iface) return 0;
  char path[256], buf[64];
  snprintf(path, sizeof path, "/sys/class/net/%s/statistics/rx_packets", iface);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  long long v = -1;
  if (fgets(buf, sizeof buf, f)) v = atoll(buf);
  fclose(f);
  return v;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  int port = 9000, cpu = -1;
  double warmup = 1.0, seconds = 5.0, idle = 5.0;
  int opt;
  while ((opt = getopt(argc, argv, "p:w:t:c:T:i:")) != -1) {
    switch (opt) {
      case 'p': port = atoi(optarg); break;
      case 'w': warmup = atof(optarg); break;
      case 't': seconds = atof(optarg); break;
      case 'c': cpu = atoi(optarg); break;
      case 'T': idle = atof(optarg); break;
      case 'i': iface = optarg; break;
      default:
        fprintf(stderr, "usage: udp_sink [-p PORT] [-w WARMUP] [-t SECONDS] [-c CPU] [-T IDLE_TIMEOUT] [-i IFACE]\n");
        return 2;
    }
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("udp_sink: sched_setaffinity");
  }
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return perror("udp_sink: socket"), 1;
  int rcvbuf = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port), .sin6_addr = in6addr_any};
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0) return perror("udp_sink: bind"), 1;
  printf("{\"ready\": true}\n");
  fflush(stdout);

  static char bufs[BATCH][SLOT];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; ++i) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = SLOT;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long total = 0, at_start = 0, at_end = 0;
  long long if0 = 0, if1 = 0;
  if (iface && if_rx() < 0) return fprintf(stderr, "udp_sink: no counters for %s\n", iface), 2;
  double first = 0, t0 = 0, t1 = 0, last_rx = now_s();
  int phase = 0; /* 0 waiting, 1 warmup, 2 measuring, 3 done */
  while (phase < 3) {
    int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
    double t = now_s();
    if (n > 0) {
      total += (unsigned long long)n;
      last_rx = t;
      if (phase == 0) phase = 1, first = t;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      perror("udp_sink: recvmmsg");
      return 1;
    }
    if (phase == 1 && t >= first + warmup) phase = 2, t0 = now_s(), at_start = total, if0 = if_rx();
    if (phase == 2 && t >= t0 + seconds) phase = 3, if1 = if_rx(), t1 = now_s(), at_end = total;
    if (t - last_rx > idle) break;
  }
  if (phase < 3) {
    /* the flow stopped (or never came) before the window ended */
    double s = phase == 2 ? last_rx - t0 : 0;
    printf("{\"packets\": %llu, \"seconds\": %.6f, \"pps\": %.1f, \"total\": %llu, \"complete\": false}\n",
           phase == 2 ? total - at_start : 0ULL, s, s > 0 ? (double)(total - at_start) / s : 0.0, total);
    return 3;
  }
  printf("{\"packets\": %llu, \"seconds\": %.6f, \"pps\": %.1f, \"total\": %llu, \"complete\": true, "
         "\"if_packets\": %lld, \"if_pps\": %.1f}\n",
         at_end - at_start, t1 - t0, (double)(at_end - at_start) / (t1 - t0), total, if1 - if0,
         (double)(if1 - if0) / (t1 - t0));
  return 0;
}
