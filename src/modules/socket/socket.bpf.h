/* SPDX-License-Identifier: GPL-2.0 */
/*
 * socket, kernel half: included at the end of src/core/bpf/acct.bpf.c.
 * TCP and UDP traffic per process, cgroup and host (the socket slots,
 * SK_* in core/acct.h), and the connection table of the network viewer
 * (conn.h).
 *
 * Hooks, best first (Netdata's socket thread uses the kprobes of the last
 * rung; this kernel has none):
 *   send, receive   sock:sock_send_length / sock:sock_recv_length, in the
 *                   caller's context after every sendmsg/recvmsg of a socket
 *                   (write(2), read(2), sendfile and splice included): the
 *                   byte count or -errno. A receive with MSG_PEEK moves no
 *                   data: a call, no bytes.
 *   connections     sock:inet_sock_set_state: CLOSE -> SYN_SENT is connect(2),
 *                   in the caller's context; -> ESTABLISHED completes the
 *                   tuple (the source port is chosen after SYN_SENT);
 *                   -> CLOSE ends a connection (softirq for most).
 *   accept          tp_btf/sys_exit (the core's, on accept's number), else
 *                   syscalls:sys_exit_accept4 / sys_exit_accept: an inbound
 *                   connection completes in softirq, before any process owns
 *                   it; accept's return is the accepting process.
 *   retransmits     tcp:tcp_retransmit_skb, in timer or softirq context: the
 *                   process is the connection's owner in the table.
 *   udp errors      udp:udp_fail_queue_rcv_skb: a datagram the socket's queue
 *                   refused (softirq): the owner again.
 *
 * Counting: a socket slot goes to the process's entry in sock_procs (key:
 * its epoch, as the core's records name it), or to sock_unattr (per CPU)
 * when it has none, and to its cgroup's in sock_cgroups, with atomic adds:
 * one hash lookup a call where the per-thread record has no room left
 * (core/acct.h). Entries are made on a process's first socket call; user
 * space retires those whose epoch is gone, keeping their totals. The host
 * total is theirs plus sock_unattr: every count lands in exactly one of
 * them, so no per-CPU host copy is added to at every call.
 */
#ifndef EBPFMON_SOCKET_BPF_H
#define EBPFMON_SOCKET_BPF_H

#include "modules/socket/conn.h"

#define SOCK_AF_INET 2
#define SOCK_AF_INET6 10
#define SOCK_IPPROTO_TCP 6
#define SOCK_IPPROTO_UDP 17
#define SOCK_EAGAIN 11
#define SOCK_MSG_PEEK 2
#define SOCK_TCP_ESTABLISHED 1
#define SOCK_TCP_SYN_SENT 2
#define SOCK_TCP_CLOSE 7
#define SOCK_TCP_LISTEN 10
#define SOCK_NO_SLOT 0xffu

/* Set by user space before load. */
const volatile bool sock_conns = true; /* keep the connection table */
const volatile __s64 conn_limit[CONN_KINDS] = { 16384, 16384, 4096 };

/* Entries of each kind in `conns` (user space takes one away for each UDP entry it expires). */
__s64 conn_used[CONN_KINDS];

/* max_entries: `bandwidth table size`, set before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct acct_key);
	__type(value, struct sock_counts);
} sock_procs SEC(".maps");

/* max_entries: `cgroup table size`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct sock_counts);
} sock_cgroups SEC(".maps");

struct sock_percpu {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_counts);
};

/* Counts no process entry took (apps off, no epoch, table full, unowned socket). */
struct sock_percpu sock_unattr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_lost);
} sock_lost SEC(".maps");

/* max_entries: the sum of the three table sizes. Key: the socket's kernel address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 36864);
	__type(key, __u64);
	__type(value, struct conn_entry);
} conns SEC(".maps");

/* Connections that ended (TCP CLOSE, a UDP socket replaced): their last state. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} conns_closed SEC(".maps");

const struct sock_counts sock_zero;

#define SOCK_LOST(field)                                            \
	do {                                                        \
		struct sock_lost *l_ = percpu(&sock_lost);          \
		if (l_)                                             \
			__sync_fetch_and_add(&l_->field, 1);        \
	} while (0)

static __always_inline struct sock_counts *sock_entry(void *map, const void *key, bool is_proc)
{
	struct sock_counts *c = bpf_map_lookup_elem(map, key);
	long err;

	if (c)
		return c;
	err = bpf_map_update_elem(map, key, &sock_zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		if (is_proc)
			SOCK_LOST(proc_table_full);
		else
			SOCK_LOST(cgroup_table_full);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void sock_add(struct sock_counts *c, __u32 slot, __u64 v, __u32 slot2,
				     __u64 v2)
{
	if (slot < SOCK_SLOTS)
		__sync_fetch_and_add(&c->c[slot], v);
	if (slot2 < SOCK_SLOTS)
		__sync_fetch_and_add(&c->c[slot2], v2);
}

/* sock_count()'s slots argument: two slots in one (a BPF call takes five arguments). */
#define SOCK_SLOTS2(slot, slot2) ((slot) | (slot2) << 8)

/*
 * Count @v in socket slot @slots & 0xff and @v2 in @slots >> 8 (SOCK_NO_SLOT:
 * none) for the process of epoch @k (NULL or tgid 0: none), else as
 * unattributed, and for cgroup @cgid. A global function: the verifier checks it once, not once
 * for every slot constant of every caller (that cost seconds at load).
 */
__noinline int sock_count(const struct acct_key *k, __u64 cgid, __u32 slots, __u64 v, __u64 v2)
{
	__u32 slot = slots & 0xff, slot2 = (slots >> 8) & 0xff;
	struct sock_counts *c = NULL;

	if (track_apps && k && k->tgid)
		c = sock_entry(&sock_procs, k, true);
	if (!c)
		c = percpu(&sock_unattr);
	if (c)
		sock_add(c, slot, v, slot2, v2);
	if (track_cgroups && cgid) {
		c = sock_entry(&sock_cgroups, &cgid, false);
		if (c)
			sock_add(c, slot, v, slot2, v2);
	}
	return 0;
}

static __always_inline void sock_count_rec(const struct acct_rec *r, __u32 slot, __u64 v,
					   __u32 slot2, __u64 v2)
{
	sock_count(r ? &r->key : NULL, r ? r->cgid : 0, SOCK_SLOTS2(slot, slot2), v, v2);
}

/*
 * Called by the core's fold(): @task's socket record joins the tables under
 * @r's key and cgroup (the ones its counts were made under), and starts
 * again from zero. Only the thread itself adds to it, and it is here, so
 * nothing is added meanwhile.
 */
static __noinline void sock_rec_fold(struct acct_rec *r, struct task_struct *task)
{
	struct sock_rec *sr = bpf_task_storage_get(&sock_recs, task, NULL, 0);
	struct sock_counts *p = NULL, *g = NULL;
	__u64 cgid = r->cgid, any = 0;

	if (!sr)
		return;
	for (int i = 0; i < SOCK_REC_SLOTS; i++)
		any |= sr->c[i];
	if (!any)
		return;
	if (track_apps && r->key.tgid)
		p = sock_entry(&sock_procs, &r->key, true);
	if (!p)
		p = percpu(&sock_unattr);
	if (track_cgroups && cgid)
		g = sock_entry(&sock_cgroups, &cgid, false);
	for (int i = 0; i < SOCK_REC_SLOTS; i++) {
		__u64 v = sr->c[i];

		if (!v)
			continue;
		if (p)
			__sync_fetch_and_add(&p->c[i], v);
		if (g)
			__sync_fetch_and_add(&g->c[i], v);
		sr->c[i] = 0;
	}
}

/* ---- the connection table ------------------------------------------------ */

static __always_inline enum conn_kind conn_kind_of(__u16 family, __u8 proto)
{
	if (proto == SOCK_IPPROTO_UDP)
		return CONN_UDP;
	return family == SOCK_AF_INET6 ? CONN_IPV6 : CONN_IPV4;
}

static __always_inline void conn_tuple_of(const struct sock *sk, struct conn_tuple *t)
{
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == SOCK_AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* The smoothed RTT and its deviation, in microseconds (the kernel keeps 8x and 4x). */
static __always_inline void conn_rtt(struct conn_entry *e, const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	e->rtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	e->rtt_var_us = BPF_CORE_READ(tp, mdev_us) >> 2;
}

/* Hand an entry that ends to user space (@flags: why), then free its place. */
static __noinline void conn_end(__u64 key, struct conn_entry *e, __u32 flags)
{
	struct conn_closed *ev = bpf_ringbuf_reserve(&conns_closed, sizeof(*ev), 0);
	enum conn_kind kind = conn_kind_of(e->t.family, e->t.protocol);

	if (ev) {
		ev->sk = key;
		__builtin_memcpy(&ev->e, e, sizeof(ev->e));
		ev->e.flags |= flags;
		bpf_ringbuf_submit(ev, 0);
	} else {
		SOCK_LOST(closed_lost);
	}
	if (!bpf_map_delete_elem(&conns, &key))
		__sync_fetch_and_add(&conn_used[kind & 3], -1);
}

/* conn_new()'s last argument: a direction and flags in one (a BPF call takes five). */
#define CONN_HOW(direction, flags) ((direction) | (flags) << 8)

/*
 * A new entry for socket @sk, owned by @r's process (NULL: none known),
 * @task, in place of any older one at the same address; @fp: family |
 * protocol << 16; @how: CONN_HOW(direction, flags). NULL when its kind's
 * table is full.
 */
static __noinline struct conn_entry *conn_new(const struct sock *sk, const struct acct_rec *r,
					      struct task_struct *task, __u32 fp, __u32 how)
{
	struct conn_entry e = {};
	__u16 family = fp & 0xffff;
	__u8 proto = fp >> 16;
	enum conn_kind kind = conn_kind_of(family, proto) & 3;
	__u64 key = (__u64)sk;

	if (__sync_fetch_and_add(&conn_used[kind], 1) >= conn_limit[kind]) {
		__sync_fetch_and_add(&conn_used[kind], -1);
		SOCK_LOST(conn_table_full);
		return NULL;
	}
	e.t.family = family;
	e.t.protocol = proto;
	e.t.direction = how & 0xff;
	conn_tuple_of(sk, &e.t);
	if (r) {
		__builtin_memcpy(&e.owner, &r->key, sizeof(e.owner));
		e.cgid = r->cgid;
	}
	/* Shown even with apps off (the key's tgid is 0 then): the process and its name. */
	e.pid = task->tgid;
	*(__u64 *)&e.comm[0] = *(const __u64 *)&task->group_leader->comm[0];
	*(__u64 *)&e.comm[8] = *(const __u64 *)&task->group_leader->comm[8];
	e.flags = how >> 8;
	if (bpf_map_update_elem(&conns, &key, &e, BPF_NOEXIST)) {
		struct conn_entry *old = bpf_map_lookup_elem(&conns, &key);

		/* A socket freed and another made at its address before the old one was seen to end. */
		if (old)
			conn_end(key, old, CONN_F_EXPIRED);
		if (bpf_map_update_elem(&conns, &key, &e, BPF_NOEXIST)) {
			__sync_fetch_and_add(&conn_used[kind], -1);
			SOCK_LOST(conn_table_full);
			return NULL;
		}
	}
	return bpf_map_lookup_elem(&conns, &key);
}

/* ---- send and receive ---------------------------------------------------- */

/* What a send or receive tells the connection table, read from the socket by the caller. */
struct conn_io_args {
	__u64 bytes;
	__u32 fp;   /* family | protocol << 16 */
	__u32 send; /* 1: a send; 0: a receive */
	__u16 sport, dport;
	__u32 srtt_us, mdev_us; /* TCP: the kernel's (8x and 4x) */
};

/*
 * The connection of socket @sk after a send or receive by @r's process:
 * made if new, its bytes and RTT brought up to date.
 */
static __noinline int conn_io(const struct sock *sk, const struct acct_rec *r,
			      const struct conn_io_args *a)
{
	__u64 skaddr = (__u64)sk;
	__u8 proto = a->fp >> 16;
	struct conn_entry *e;

	e = bpf_map_lookup_elem(&conns, &skaddr);
	if (e && proto == SOCK_IPPROTO_UDP && e->t.sport != a->sport) {
		/* Another UDP socket at a freed one's address. */
		conn_end(skaddr, e, CONN_F_EXPIRED);
		e = NULL;
	}
	if (!e) {
		/* UDP: a connected socket sends to its peer; TCP: opened before we looked. */
		__u8 dir = proto == SOCK_IPPROTO_UDP && a->dport ? CONN_DIR_OUTGOING
								 : CONN_DIR_UNKNOWN;

		e = conn_new(sk, r, bpf_get_current_task_btf(), a->fp, CONN_HOW(dir, 0));
		if (!e)
			return 0;
	}
	if (a->bytes)
		__sync_fetch_and_add(a->send ? &e->bytes_written : &e->bytes_read, a->bytes);
	if (proto == SOCK_IPPROTO_TCP) {
		e->rtt_us = a->srtt_us >> 3;
		e->rtt_var_us = a->mdev_us >> 2;
	}
	return 0;
}

/*
 * A send or receive on @sk by the current task that returned @ret. Counted
 * for its process; the connection's bytes and RTT brought up to date.
 * @btf: @sk is a BTF pointer (tp_btf), read directly; else (a classic
 * tracepoint's address) through probe reads, several times the cost.
 */
static __always_inline void sock_io(struct sock *sk, int ret, int flags, bool send, bool btf)
{
	struct conn_io_args a = { .send = send };
	__u16 family = btf ? sk->__sk_common.skc_family : BPF_CORE_READ(sk, __sk_common.skc_family);
	struct task_struct *task;
	struct sock_rec *sr;
	struct acct_rec *r;
	__u32 block, slot, slot2 = SOCK_NO_SLOT;
	__u8 proto;

	if (family != SOCK_AF_INET && family != SOCK_AF_INET6)
		return;
	proto = btf ? sk->sk_protocol : BPF_CORE_READ(sk, sk_protocol);
	if (proto != SOCK_IPPROTO_TCP && proto != SOCK_IPPROTO_UDP)
		return;
	task = bpf_get_current_task_btf();
	r = record_of(task);
	/*
	 * Read again rather than kept: with nothing of the branches above live
	 * across record_of(), the verifier walks it once, not once for every
	 * family and protocol (a third of the module's load time).
	 */
	family = btf ? sk->__sk_common.skc_family : BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = btf ? sk->sk_protocol : BPF_CORE_READ(sk, sk_protocol);
	block = proto == SOCK_IPPROTO_UDP ? SOCK_UDP_BLOCK : 0;
	if (ret > 0 && !(!send && (flags & SOCK_MSG_PEEK)))
		a.bytes = ret;
	if (a.bytes)
		slot2 = block + (send ? SK_TCP_SENT_BYTES : SK_TCP_RECV_BYTES);
	else if (ret < 0 && ret != -SOCK_EAGAIN && count_errors)
		slot2 = block + (send ? SK_TCP_SEND_ERRORS : SK_TCP_RECV_ERRORS);
	slot = block + (send ? SK_TCP_SEND_CALLS : SK_TCP_RECV_CALLS);
	/* The thread's own socket record: plain adds, folded with its record. */
	sr = r ? bpf_task_storage_get(&sock_recs, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE)
	       : NULL;
	if (sr) {
		if (slot < SOCK_REC_SLOTS)
			sr->c[slot] += 1;
		if (slot2 < SOCK_REC_SLOTS)
			sr->c[slot2] += a.bytes ? a.bytes : 1;
		/* After the counts: a round that saw this check also sees them. */
		if (!light_mode && r->round != cur_round)
			mark_dirty(r, task);
	} else {
		sock_count_rec(r, slot, 1, slot2, a.bytes ? a.bytes : 1);
	}
	if (!sock_conns || ret < 0)
		return;
	a.fp = family | (__u32)proto << 16;
	if (btf) {
		a.sport = sk->__sk_common.skc_num;
		a.dport = sk->__sk_common.skc_dport;
		if (proto == SOCK_IPPROTO_TCP) {
			struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

			if (tp) {
				a.srtt_us = tp->srtt_us;
				a.mdev_us = tp->mdev_us;
			}
		}
	} else {
		a.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		a.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
		if (proto == SOCK_IPPROTO_TCP) {
			a.srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us);
			a.mdev_us = BPF_CORE_READ((struct tcp_sock *)sk, mdev_us);
		}
	}
	conn_io(sk, r, &a);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send_btf, struct sock *sk, int ret, int flags)
{
	sock_io(sk, ret, flags, true, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv_btf, struct sock *sk, int ret, int flags)
{
	sock_io(sk, ret, flags, false, true);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int sock_send_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	sock_io(ctx->sk, ctx->ret, ctx->flags, true, false);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int sock_recv_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	sock_io(ctx->sk, ctx->ret, ctx->flags, false, false);
	return 0;
}

/* ---- connections ----------------------------------------------------------- */

static __always_inline void sock_state(const struct sock *sk, int old, int new)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u64 key = (__u64)sk;
	struct conn_entry *e;
	struct acct_rec *r;

	if (BPF_CORE_READ(sk, sk_protocol) != SOCK_IPPROTO_TCP ||
	    (family != SOCK_AF_INET && family != SOCK_AF_INET6))
		return;
	if (old == SOCK_TCP_CLOSE && new == SOCK_TCP_SYN_SENT) {
		/* connect(2), in the caller's context. */
		r = record_of(bpf_get_current_task_btf());
		sock_count_rec(r, family == SOCK_AF_INET ? SK_TCP_OUT_V4 : SK_TCP_OUT_V6, 1,
			       SOCK_NO_SLOT, 0);
		if (sock_conns)
			conn_new(sk, r, bpf_get_current_task_btf(),
				 family | SOCK_IPPROTO_TCP << 16, CONN_HOW(CONN_DIR_OUTGOING, 0));
		return;
	}
	if (new == SOCK_TCP_ESTABLISHED) {
		/* The source port and address are final now. */
		e = sock_conns ? bpf_map_lookup_elem(&conns, &key) : NULL;
		if (e) {
			conn_tuple_of(sk, &e->t);
			e->flags |= CONN_F_ESTABLISHED;
		}
		return;
	}
	if (new != SOCK_TCP_CLOSE || old == SOCK_TCP_CLOSE || old == SOCK_TCP_LISTEN)
		return;
	e = sock_conns ? bpf_map_lookup_elem(&conns, &key) : NULL;
	if (!e) {
		sock_count(NULL, 0, SOCK_SLOTS2(SK_TCP_CLOSED, SOCK_NO_SLOT), 1, 0);
		SOCK_LOST(unowned);
		return;
	}
	sock_count(&e->owner, e->cgid, SOCK_SLOTS2(SK_TCP_CLOSED, SOCK_NO_SLOT), 1, 0);
	conn_rtt(e, sk);
	conn_end(key, e, CONN_F_CLOSED);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state_btf, const struct sock *sk, const int old, const int new)
{
	sock_state(sk, old, new);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int sock_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	sock_state(ctx->skaddr, ctx->oldstate, ctx->newstate);
	return 0;
}

/*
 * accept(2) and accept4(2) returned descriptor @fd: the inbound connection
 * is the accepting process's.
 */
static __noinline void sock_accepted(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file **fds, *file = NULL;
	struct socket *so;
	struct sock *sk;
	__u16 family;

	if (fd < 0)
		return;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return;
	so = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != SOCK_AF_INET && family != SOCK_AF_INET6) ||
	    BPF_CORE_READ(sk, sk_protocol) != SOCK_IPPROTO_TCP)
		return;
	{
		struct acct_rec *r = record_of(task);

		sock_count_rec(r, family == SOCK_AF_INET ? SK_TCP_IN_V4 : SK_TCP_IN_V6, 1,
			       SOCK_NO_SLOT, 0);
		if (sock_conns)
			conn_new(sk, r, task, family | SOCK_IPPROTO_TCP << 16,
				 CONN_HOW(CONN_DIR_INCOMING, CONN_F_ESTABLISHED));
	}
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int sock_accept4_tp(struct trace_event_raw_sys_exit *ctx)
{
	sock_accepted(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sock_accept_tp(struct trace_event_raw_sys_exit *ctx)
{
	sock_accepted(ctx->ret);
	return 0;
}

/* ---- events of softirq and timers: the connection's owner ---------------- */

static __always_inline void sock_owned(const struct sock *sk, __u32 slot)
{
	__u64 key = (__u64)sk;
	struct conn_entry *e = sock_conns ? bpf_map_lookup_elem(&conns, &key) : NULL;

	if (!e) {
		sock_count(NULL, 0, SOCK_SLOTS2(slot, SOCK_NO_SLOT), 1, 0);
		SOCK_LOST(unowned);
		return;
	}
	if (slot == SK_TCP_RETRANS)
		__sync_fetch_and_add(&e->retransmits, 1);
	sock_count(&e->owner, e->cgid, SOCK_SLOTS2(slot, SOCK_NO_SLOT), 1, 0);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(sock_retransmit_btf, const struct sock *sk)
{
	sock_owned(sk, SK_TCP_RETRANS);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int sock_retransmit_tp(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	sock_owned(ctx->skaddr, SK_TCP_RETRANS);
	return 0;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(sock_udp_fail_btf, int rc, struct sock *sk)
{
	sock_owned(sk, SK_UDP_RECV_ERRORS);
	return 0;
}

/* The classic tracepoint has no socket address: the host's count only. */
SEC("tracepoint/udp/udp_fail_queue_rcv_skb")
int sock_udp_fail_tp(void *ctx)
{
	sock_count(NULL, 0, SOCK_SLOTS2(SK_UDP_RECV_ERRORS, SOCK_NO_SLOT), 1, 0);
	return 0;
}

/* ---- what is open already ------------------------------------------------ */

#define SOCK_S_IFMT 0170000
#define SOCK_S_IFSOCK 0140000

/*
 * Every TCP and UDP socket open now, with the process that holds it, into
 * the table (run once at start: `ebpfmon connections` shows what is open,
 * and traffic of connections older than ebpfmon finds its owner). Listeners
 * are not connections. What they moved before is not known: their bytes
 * count from now on.
 */
SEC("iter/task_file")
int sock_seed_iter(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct conn_entry *e;
	struct acct_rec *r;
	struct socket *so;
	struct sock *sk;
	__u16 family;
	__u8 proto;
	__u64 key;

	if (!task || !file || !sock_conns ||
	    (BPF_CORE_READ(file, f_inode, i_mode) & SOCK_S_IFMT) != SOCK_S_IFSOCK)
		return 0;
	so = (struct socket *)BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if ((family != SOCK_AF_INET && family != SOCK_AF_INET6) ||
	    (proto != SOCK_IPPROTO_TCP && proto != SOCK_IPPROTO_UDP) ||
	    (proto == SOCK_IPPROTO_TCP &&
	     BPF_CORE_READ(sk, __sk_common.skc_state) == SOCK_TCP_LISTEN))
		return 0;
	key = (__u64)sk;
	if (bpf_map_lookup_elem(&conns, &key))
		return 0;
	r = bpf_task_storage_get(&records, task, NULL, 0);
	e = conn_new(sk, r, task, family | (__u32)proto << 16, CONN_HOW(CONN_DIR_UNKNOWN, 0));
	if (e && proto == SOCK_IPPROTO_TCP)
		conn_rtt(e, sk);
	return 0;
}

/* ---- Netdata's kernel-function rung (kernels with kprobes) ----------------- */

/* tcp_sendmsg returns the bytes sent or -errno; the socket is not at hand at the return. */
SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(sock_kp_tcp_sendmsg, int ret)
{
	struct acct_rec *r = record_of(bpf_get_current_task_btf());

	sock_count_rec(r, SK_TCP_SEND_CALLS, 1,
		       ret > 0 ? SK_TCP_SENT_BYTES : ret < 0 && ret != -SOCK_EAGAIN ? SK_TCP_SEND_ERRORS : SOCK_NO_SLOT,
		       ret > 0 ? ret : 1);
	return 0;
}

/* tcp_cleanup_rbuf(sk, copied): what a receive took from the queue (Netdata's choice). */
SEC("kprobe/tcp_cleanup_rbuf")
int BPF_KPROBE(sock_kp_tcp_cleanup_rbuf, struct sock *sk, int copied)
{
	struct acct_rec *r;

	if (copied <= 0)
		return 0;
	r = record_of(bpf_get_current_task_btf());
	sock_count_rec(r, SK_TCP_RECV_CALLS, 1, SK_TCP_RECV_BYTES, copied);
	return 0;
}

static __always_inline void sock_kp_udp(int ret, bool send)
{
	struct acct_rec *r = record_of(bpf_get_current_task_btf());
	__u32 slot2 = SOCK_NO_SLOT;

	if (ret > 0)
		slot2 = send ? SK_UDP_SENT_BYTES : SK_UDP_RECV_BYTES;
	else if (ret < 0 && ret != -SOCK_EAGAIN && count_errors)
		slot2 = send ? SK_UDP_SEND_ERRORS : SK_UDP_RECV_ERRORS;
	sock_count_rec(r, send ? SK_UDP_SEND_CALLS : SK_UDP_RECV_CALLS, 1, slot2, ret > 0 ? ret : 1);
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(sock_kp_udp_sendmsg, int ret)
{
	sock_kp_udp(ret, true);
	return 0;
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(sock_kp_udpv6_sendmsg, int ret)
{
	sock_kp_udp(ret, true);
	return 0;
}

SEC("kretprobe/udp_recvmsg")
int BPF_KRETPROBE(sock_kp_udp_recvmsg, int ret)
{
	sock_kp_udp(ret, false);
	return 0;
}

SEC("kretprobe/udpv6_recvmsg")
int BPF_KRETPROBE(sock_kp_udpv6_recvmsg, int ret)
{
	sock_kp_udp(ret, false);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(sock_kp_tcp_v4_connect)
{
	sock_count_rec(record_of(bpf_get_current_task_btf()), SK_TCP_OUT_V4, 1, SOCK_NO_SLOT, 0);
	return 0;
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(sock_kp_tcp_v6_connect)
{
	sock_count_rec(record_of(bpf_get_current_task_btf()), SK_TCP_OUT_V6, 1, SOCK_NO_SLOT, 0);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(sock_kp_inet_csk_accept, struct sock *sk)
{
	__u16 family;

	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	sock_count_rec(record_of(bpf_get_current_task_btf()),
		       family == SOCK_AF_INET6 ? SK_TCP_IN_V6 : SK_TCP_IN_V4, 1, SOCK_NO_SLOT, 0);
	return 0;
}

SEC("kprobe/tcp_close")
int BPF_KPROBE(sock_kp_tcp_close)
{
	sock_count_rec(record_of(bpf_get_current_task_btf()), SK_TCP_CLOSED, 1, SOCK_NO_SLOT, 0);
	return 0;
}

SEC("kprobe/tcp_retransmit_skb")
int BPF_KPROBE(sock_kp_tcp_retransmit_skb, struct sock *sk)
{
	sock_owned(sk, SK_TCP_RETRANS);
	return 0;
}

#endif
