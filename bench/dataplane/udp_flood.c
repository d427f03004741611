/* udp_flood - send small UDP/IPv6 packets as fast as possible with sendmmsg(2).
 *
 *   udp_flood -d DST [-p PORT] [-l PAYLOAD] [-t SECONDS] [-b BATCH] [-c CPU] [-P SRCPORT]
 *
 * One connected socket, BATCH identical datagrams per sendmmsg call, flat out for SECONDS.
 * Prints one JSON line: {"sent": N, "errors": E, "seconds": S, "pps": R}.
 * Part of bench/dataplane (pmipx issue 7); not a product path.
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
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("udp_flood: sched_setaffinity");
}

int main(int argc, char** argv) {
  const char* dst = NULL;
  int port = 9000, payload = 16, batch = 64, cpu = -1, sport = 0;
  double seconds = 5.0;
  int opt;
  while ((opt = getopt(argc, argv, "d:p:l:t:b:c:P:")) != -1) {
    switch (opt) {
      case 'd': dst = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'l': payload = atoi(optarg); break;
      case 't': seconds = atof(optarg); break;
      case 'b': batch = atoi(optarg); break;
      case 'c': cpu = atoi(optarg); break;
      case 'P': sport = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: udp_flood -d DST [-p PORT] [-l PAYLOAD] [-t SECONDS] [-b BATCH] [-c CPU] [-P SRCPORT]\n");
        return 2;
    }
  }
  if (!dst || payload < 0 || payload > 1400 || batch < 1 || batch > 1024 || seconds <= 0) {
    fprintf(stderr, "udp_flood: need -d DST; 0 <= PAYLOAD <= 1400, 1 <= BATCH <= 1024, SECONDS > 0\n");
    return 2;
  }
  pin(cpu);
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return perror("udp_flood: socket"), 1;
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET6, dst, &a.sin6_addr) != 1) return fprintf(stderr, "udp_flood: bad address %s\n", dst), 2;
  if (sport) {
    struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)sport), .sin6_addr = in6addr_any};
    if (bind(fd, (struct sockaddr*)&s, sizeof s) != 0) return perror("udp_flood: bind"), 1;
  }
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) return perror("udp_flood: connect"), 1;

  char* buf = calloc(1, (size_t)payload + 1);
  memcpy(buf, "pmipx-bdp-flood!", payload < 16 ? (size_t)payload : 16);
  struct iovec* iov = calloc((size_t)batch, sizeof *iov);
  struct mmsghdr* msgs = calloc((size_t)batch, sizeof *msgs);
  for (int i = 0; i < batch; ++i) {
    iov[i].iov_base = buf;
    iov[i].iov_len = (size_t)payload;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0, errors = 0;
  double start = now_s(), end = start + seconds, t = start;
  unsigned iter = 0;
  while (t < end) {
    int n = sendmmsg(fd, msgs, (unsigned)batch, 0);
    if (n > 0) {
      sent += (unsigned long long)n;
    } else if (n < 0) {
      ++errors;  /* ENOBUFS, ECONNREFUSED from an ICMP error, ...: keep going */
      if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
        perror("udp_flood: sendmmsg");
        return 1;
      }
    }
    if ((++iter & 15) == 0) t = now_s();
  }
  double el = now_s() - start;
  printf("{\"sent\": %llu, \"errors\": %llu, \"seconds\": %.6f, \"pps\": %.1f}\n", sent, errors, el, (double)sent / el);
  return 0;
}
