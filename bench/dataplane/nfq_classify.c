/* nfq_classify - the NFQUEUE baseline of bench/dataplane (pmipx issue 7; not a product path).
 *
 *   nfq_classify [-q QUEUE] [-r RULES_FILE | -n NRULES] [-m MARK] [-c CPU] [-C COPY] [-G] [-s STATS_FILE]
 *
 * What the seed 002 prototype did: every packet is handed to user space through an NFQUEUE,
 * classified there against an ordered list of 6-tuple rules (first match in priority order,
 * with an exact-match flow cache in front, like the BPF path's LRU cache), and sent back with
 * a verdict that sets the rule's mark; the kernel then routes by fwmark (ip -6 rule fwmark).
 *
 * Rules: -n N synthesizes N rules: N-1 that do not match the benchmark flow (UDP/TCP
 * destination ports 20000.. on the same destination prefix) ahead of one catch-all rule
 * {dst prefix from -D, any protocol} with MARK; or -r FILE with lines
 *   "PRIORITY MARK DST_PREFIX/LEN PROTO(0=any) DPORT_LO DPORT_HI".
 * -C: octets of each packet copied to user space (default 128: headers only).
 * -G: NFQA_CFG_F_GSO, queue GSO packets without segmenting them (default on; -g turns it off).
 * On SIGINT/SIGTERM writes {"packets":..,"matched":..,"cache_hits":..} to STATS_FILE (or stdout).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rule {
  uint32_t priority, mark;
  uint8_t dst[16];
  int plen;
  uint8_t proto; /* 0: any */
  uint16_t dport_lo, dport_hi;
};

struct flow_key {
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
  uint8_t proto;
  uint8_t pad[3];
};

#define CACHE_SIZE 65536 /* direct-mapped, as big as the BPF flow cache */
struct cache_slot {
  struct flow_key key;
  uint32_t mark;
  uint8_t used;
};

static struct rule* rules;
static size_t nrules;
static struct cache_slot* cache;
static unsigned long long packets, matched, hits;
static volatile sig_atomic_t stop;

static int cmp_rule(const void* a, const void* b) {
  const struct rule* x = a;
  const struct rule* y = b;
  return x->priority < y->priority ? -1 : x->priority > y->priority;
}

static int prefix_match(const uint8_t* addr, const uint8_t* pfx, int plen) {
  int full = plen / 8, rest = plen % 8;
  if (memcmp(addr, pfx, (size_t)full) != 0) return 0;
  if (rest == 0) return 1;
  uint8_t m = (uint8_t)(0xff << (8 - rest));
  return (addr[full] & m) == (pfx[full] & m);
}

static uint32_t classify(const struct flow_key* k) {
  for (size_t i = 0; i < nrules; ++i) {
    const struct rule* r = &rules[i];
    if (!prefix_match(k->dst, r->dst, r->plen)) continue;
    if (r->proto && r->proto != k->proto) continue;
    if (r->dport_lo || r->dport_hi) {
      if (k->dport < r->dport_lo || k->dport > r->dport_hi) continue;
    }
    return r->mark;
  }
  return 0;
}

static uint32_t hash_key(const struct flow_key* k) {
  /* FNV-1a over the key */
  const uint8_t* p = (const uint8_t*)k;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof *k; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

static int parse_key(const uint8_t* pkt, int len, struct flow_key* k) {
  memset(k, 0, sizeof *k);
  if (len < 40 || (pkt[0] >> 4) != 6) return -1;
  memcpy(k->src, pkt + 8, 16);
  memcpy(k->dst, pkt + 24, 16);
  k->proto = pkt[6];
  if ((k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) && len >= 44) {
    k->sport = (uint16_t)(pkt[40] << 8 | pkt[41]);
    k->dport = (uint16_t)(pkt[42] << 8 | pkt[43]);
  }
  return 0;
}

static int on_packet(struct nfq_q_handle* qh, struct nfgenmsg* nfmsg, struct nfq_data* nfa, void* data) {
  (void)nfmsg;
  (void)data;
  struct nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  uint32_t id = ph ? ntohl(ph->packet_id) : 0;
  unsigned char* payload = NULL;
  int len = nfq_get_payload(nfa, &payload);
  struct flow_key k;
  uint32_t mark = 0;
  ++packets;
  if (len > 0 && parse_key(payload, len, &k) == 0) {
    struct cache_slot* s = &cache[hash_key(&k) & (CACHE_SIZE - 1)];
    if (s->used && memcmp(&s->key, &k, sizeof k) == 0) {
      mark = s->mark;
      ++hits;
    } else {
      mark = classify(&k);
      s->key = k;
      s->mark = mark;
      s->used = 1;
    }
  }
  if (mark) ++matched;
  return nfq_set_verdict2(qh, id, NF_ACCEPT, mark, 0, NULL);
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char** argv) {
  int queue = 0, cpu = -1, copy = 128, gso = 1;
  long n = 1;
  uint32_t mark = 1;
  const char *rules_file = NULL, *stats_file = NULL, *dst = "2001:db8:8000::/64";
  int opt;
  while ((opt = getopt(argc, argv, "q:r:n:m:c:C:D:gGs:")) != -1) {
    switch (opt) {
      case 'q': queue = atoi(optarg); break;
      case 'r': rules_file = optarg; break;
      case 'n': n = atol(optarg); break;
      case 'm': mark = (uint32_t)strtoul(optarg, NULL, 0); break;
      case 'c': cpu = atoi(optarg); break;
      case 'C': copy = atoi(optarg); break;
      case 'D': dst = optarg; break;
      case 'g': gso = 0; break;
      case 'G': gso = 1; break;
      case 's': stats_file = optarg; break;
      default:
        fprintf(stderr, "usage: nfq_classify [-q QUEUE] [-r RULES | -n N] [-D DST/LEN] [-m MARK] [-c CPU] [-C COPY] [-g|-G] [-s STATS]\n");
        return 2;
    }
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("nfq_classify: sched_setaffinity");
  }
  cache = calloc(CACHE_SIZE, sizeof *cache);
  if (rules_file) {
    FILE* f = fopen(rules_file, "r");
    if (!f) return perror(rules_file), 1;
    size_t cap = 1024;
    rules = malloc(cap * sizeof *rules);
    char line[256], pfx[80];
    unsigned pri, mk, proto, lo, hi;
    while (fgets(line, sizeof line, f)) {
      if (line[0] == '#' || line[0] == '\n') continue;
      if (sscanf(line, "%u %u %79s %u %u %u", &pri, &mk, pfx, &proto, &lo, &hi) != 6) {
        fprintf(stderr, "nfq_classify: bad rule line: %s", line);
        return 2;
      }
      if (nrules == cap) rules = realloc(rules, (cap *= 2) * sizeof *rules);
      struct rule* r = &rules[nrules++];
      char* slash = strchr(pfx, '/');
      r->plen = slash ? atoi(slash + 1) : 128;
      if (slash) *slash = 0;
      if (inet_pton(AF_INET6, pfx, r->dst) != 1) return fprintf(stderr, "nfq_classify: bad prefix %s\n", pfx), 2;
      r->priority = pri, r->mark = mk, r->proto = (uint8_t)proto, r->dport_lo = (uint16_t)lo, r->dport_hi = (uint16_t)hi;
    }
    fclose(f);
  } else {
    if (n < 1) n = 1;
    rules = calloc((size_t)n, sizeof *rules);
    char pfx[80];
    snprintf(pfx, sizeof pfx, "%s", dst);
    char* slash = strchr(pfx, '/');
    int plen = slash ? atoi(slash + 1) : 128;
    if (slash) *slash = 0;
    uint8_t a[16];
    if (inet_pton(AF_INET6, pfx, a) != 1) return fprintf(stderr, "nfq_classify: bad prefix %s\n", dst), 2;
    for (long i = 0; i < n; ++i) {
      struct rule* r = &rules[nrules++];
      memcpy(r->dst, a, 16);
      r->plen = plen;
      r->priority = (uint32_t)i + 1;
      if (i < n - 1) { /* does not match the benchmark flow: another port */
        r->mark = mark + 1 + (uint32_t)(i % 7);
        r->proto = (i & 1) ? IPPROTO_TCP : IPPROTO_UDP;
        r->dport_lo = r->dport_hi = (uint16_t)(20000 + i % 40000);
      } else {
        r->mark = mark;
      }
    }
  }
  qsort(rules, nrules, sizeof *rules, cmp_rule);

  struct nfq_handle* h = nfq_open();
  if (!h) return fprintf(stderr, "nfq_classify: nfq_open failed\n"), 1;
  struct nfq_q_handle* qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (!qh) return fprintf(stderr, "nfq_classify: nfq_create_queue %d failed (queue in use?)\n", queue), 1;
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, (uint32_t)copy) < 0) return fprintf(stderr, "nfq_classify: set_mode failed\n"), 1;
  nfq_set_queue_maxlen(qh, 8192);
  if (gso && nfq_set_queue_flags(qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) fprintf(stderr, "nfq_classify: no NFQA_CFG_F_GSO\n");
  int fd = nfq_fd(h);
  int big = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  int one = 1; /* ENOBUFS on overrun instead of silently losing track */
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  fprintf(stderr, "nfq_classify: queue %d, %zu rules, copy %d, gso %d\n", queue, nrules, copy, gso);
  static char buf[65536 + 4096];
  while (!stop) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) continue;
      perror("nfq_classify: recv");
      break;
    }
    nfq_handle_packet(h, buf, (int)r);
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  FILE* out = stats_file ? fopen(stats_file, "w") : stdout;
  if (out) {
    fprintf(out, "{\"packets\": %llu, \"matched\": %llu, \"cache_hits\": %llu, \"rules\": %zu}\n", packets, matched, hits, nrules);
    if (out != stdout) fclose(out);
  }
  return 0;
}
