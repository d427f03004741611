/* Constants of the tc programs that only BPF code needs. Map sizes and the ABI are in
 * common/pmipx_dp.h (the build may override them with -D). */
#ifndef PMIPX_BPF_CONSTS_H
#define PMIPX_BPF_CONSTS_H

#define PMIPX_ETH_HLEN 14
#define PMIPX_ETH_P_IPV6 0x86dd
#define PMIPX_IPV6_HLEN 40

/* IPv6 next-header values */
#define PMIPX_NH_HOPOPTS 0
#define PMIPX_NH_TCP 6
#define PMIPX_NH_UDP 17
#define PMIPX_NH_DCCP 33
#define PMIPX_NH_IPV6 41 /* IPv6-in-IPv6 */
#define PMIPX_NH_ROUTING 43
#define PMIPX_NH_FRAGMENT 44
#define PMIPX_NH_ESP 50
#define PMIPX_NH_AH 51
#define PMIPX_NH_DSTOPTS 60
#define PMIPX_NH_SCTP 132
#define PMIPX_NH_UDPLITE 136

/* extension headers walked before the upper layer (bounded loop) */
#define PMIPX_MAX_EXT_HEADERS 6

/* tc verdicts (linux/pkt_cls.h) */
#define PMIPX_TC_ACT_OK 0
#define PMIPX_TC_ACT_SHOT 2

/* bpf_skb_adjust_room flags newer than the 6.1 UAPI headers (kernel 6.3+): clears the
 * encapsulation GSO state on decap. Older kernels refuse it; decap retries without. */
#define PMIPX_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#define PMIPX_ENOTSUPP 524 /* kernel-internal: UDP GSO needs BPF_F_ADJ_ROOM_FIXED_GSO */
#define PMIPX_EINVAL 22

#endif /* PMIPX_BPF_CONSTS_H */
