// udp_pace: a constant-rate UDP sender for the latency benchmarks (bench/latency/).
//
//   udp_pace DST PORT RATE_PPS [SIZE]
//
// Sends SIZE-octet datagrams (default 64, at least 28) to [DST]:PORT at RATE_PPS until
// SIGINT or SIGTERM, then prints one JSON line with what it did. Each payload starts with
//   u32 magic 0x706d7870 ("pmxp"), u32 0, u64 sequence (from 0), u64 scheduled send time,
//   u64 actual send time   (network byte order; times in ns of CLOCK_REALTIME)
// so the receiver (udp_sink) and any capture can find gaps and one-way delays on one clock.
//
// Pacing: absolute deadlines on CLOCK_MONOTONIC, clock_nanosleep with a 1 ns timer slack and
// SCHED_FIFO when allowed; a packet whose deadline has passed goes out at once (catch-up), so
// the average rate holds even when a wake-up is late. The JSON reports the achieved rate and
// how late packets left (p50/p99/max), which is the honest measure of the pacer.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static uint64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void* a, const void* b) {
  uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: udp_pace DST PORT RATE_PPS [SIZE]\n");
    return 2;
  }
  const char* dst = argv[1];
  int port = atoi(argv[2]);
  double rate = atof(argv[3]);
  size_t size = argc > 4 ? (size_t)atoi(argv[4]) : 64;
  if (size < 36) size = 36;
  if (size > 1400) size = 1400;
  if (rate <= 0 || port <= 0 || port > 65535) {
    fprintf(stderr, "udp_pace: bad rate or port\n");
    return 2;
  }
  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, dst, &sa.sin6_addr) != 1) {
    fprintf(stderr, "udp_pace: bad address %s\n", dst);
    return 2;
  }
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 2; }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  if (connect(fd, (struct sockaddr*)&sa, sizeof sa) != 0) { perror("connect"); return 2; }

  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  struct sched_param sp = {.sched_priority = 10};
  int fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  unsigned char buf[1400];
  memset(buf, 0, sizeof buf);
  uint32_t magic = htonl(0x706d7870u);
  memcpy(buf, &magic, 4);

  const double interval_ns = 1e9 / rate;
  size_t cap = 1 << 20, nlate = 0;
  uint32_t* late_us = malloc(cap * sizeof *late_us);   // lateness samples, µs (capped)
  uint64_t seq = 0, errors = 0, max_late = 0;
  const uint64_t t0_mono = now_ns(CLOCK_MONOTONIC) + 1000000;  // start in 1 ms
  const uint64_t t0_real = now_ns(CLOCK_REALTIME) + 1000000;
  printf("{\"event\":\"start\",\"t0_realtime_ns\":%llu,\"interval_ns\":%.1f,\"fifo\":%s}\n",
         (unsigned long long)t0_real, interval_ns, fifo ? "true" : "false");
  fflush(stdout);

  while (!stop_flag) {
    uint64_t deadline = t0_mono + (uint64_t)((double)seq * interval_ns);
    uint64_t m = now_ns(CLOCK_MONOTONIC);
    if (m < deadline) {
      struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000ull),
                            .tv_nsec = (long)(deadline % 1000000000ull)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_flag) {
      }
      if (stop_flag) break;
      m = now_ns(CLOCK_MONOTONIC);
    }
    uint64_t late = m > deadline ? m - deadline : 0;
    if (late > max_late) max_late = late;
    if (nlate < cap) late_us[nlate++] = (uint32_t)(late / 1000 > 0xffffffffu ? 0xffffffffu : late / 1000);
    uint64_t sched_real = t0_real + (deadline - t0_mono);
    uint64_t be_seq = htobe64(seq), be_sched = htobe64(sched_real), be_now = htobe64(now_ns(CLOCK_REALTIME));
    memcpy(buf + 8, &be_seq, 8);
    memcpy(buf + 16, &be_sched, 8);
    memcpy(buf + 24, &be_now, 8);
    if (send(fd, buf, size, 0) < 0) errors++;
    seq++;
  }
  uint64_t t_end = now_ns(CLOCK_MONOTONIC);
  qsort(late_us, nlate, sizeof *late_us, cmp_u32);
  double elapsed = (double)(t_end - t0_mono) / 1e9;
  printf("{\"event\":\"end\",\"sent\":%llu,\"send_errors\":%llu,\"elapsed_s\":%.6f,"
         "\"achieved_pps\":%.1f,\"target_pps\":%.1f,\"late_us_p50\":%u,\"late_us_p99\":%u,"
         "\"late_us_max\":%.1f,\"fifo\":%s}\n",
         (unsigned long long)seq, (unsigned long long)errors, elapsed, elapsed > 0 ? (double)seq / elapsed : 0.0,
         rate, nlate ? late_us[nlate / 2] : 0, nlate ? late_us[(nlate * 99) / 100] : 0, (double)max_late / 1000.0,
         fifo ? "true" : "false");
  fflush(stdout);
  free(late_us);
  return 0;
}
