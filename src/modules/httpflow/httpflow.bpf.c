// SPDX-License-Identifier: GPL-2.0
/*
 * httpflow: the first bytes of every message on a TCP socket that starts like
 * HTTP/1.x (a request method or "HTTP/"), for the parser in user space, and
 * the bytes moved on those connections.
 *
 * Plain HTTP: tp_btf/sys_exit, filtered to read, write, readv, writev,
 * sendto, recvfrom, sendmsg, recvmsg on TCP sockets; the buffer is read at
 * the exit (a read's bytes are there only then). A syscall hook puts every
 * task on the slow syscall path
 * (KERNEL.md); the price is measured by bench/http.sh. They were chosen
 * over cgroup_skb because the process is exact: the thread making the call
 * is the one that sent or received the bytes, where a packet received in
 * softirq context has no process at all.
 *
 * TLS: uprobes on libssl's SSL_write and SSL_read (plaintext at the call,
 * bytes at the return). The SSL object's socket comes from the syscall the
 * same thread makes inside the call (the record is written to, or read
 * from, the socket): that works whatever BIO the program gave OpenSSL
 * (curl gives its own, so SSL_set_fd is never called).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modules/httpflow/httpflow.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HTTP_ARGS_MAX);
	__type(key, __u32);
	__type(value, struct http_ssl_args);
} ssl_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HTTP_CONNS_MAX);
	__type(key, struct http_conn_key);
	__type(value, struct http_conn_bytes);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HTTP_SSL_MAX);
	__type(key, struct http_ssl_key);
	__type(value, __u64);
} ssl_sock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HTTP_RINGBUF);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct http_stats);
} stats SEC(".maps");

/* Syscall numbers of this architecture (asm/unistd.h). */
#include <asm/unistd.h>

#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#define ARG0(regs) ((regs)->di)
#define ARG1(regs) ((regs)->si)
/* An ia32 syscall numbers its calls differently (TS_COMPAT). */
#define COMPAT_SYSCALL(task) ((task)->thread_info.status & 0x0002)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#define ARG0(regs) ((regs)->orig_x0)
#define ARG1(regs) ((regs)->regs[1])
#define COMPAT_SYSCALL(task) ((task)->thread_info.flags & (1UL << 22))
#else
#error "add this architecture's syscall registers"
#endif

static __always_inline struct http_stats *stats_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

#define STAT(f)                                          \
	do {                                             \
		struct http_stats *s__ = stats_here();   \
		if (s__)                                 \
			__sync_fetch_and_add(&s__->f, 1); \
	} while (0)

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The TCP socket behind descriptor @fd of the current task, or NULL. Read
 * with direct loads through BTF pointers (a few ns each) rather than
 * bpf_probe_read_kernel() calls: this runs on every read and write of
 * every task. Only the table slot, indexed by a variable, takes a helper.
 */
static __always_inline struct sock *fd_tcp_sock(long fd, __u64 *ino)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file *fp = NULL, *file;
	struct socket *so;
	struct inode *inode;
	struct sock *sk;
	__u16 family;

	if (fd < 0)
		return NULL;
	fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&fp, sizeof(fp), &fdt->fd[0] + fd) || !fp)
		return NULL;
	file = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	inode = file->f_inode;
	/* Only a socket's private_data is a struct socket. */
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = inode->i_ino;
	so = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	sk = so->sk;
	if (!sk)
		return NULL;
	family = sk->__sk_common.skc_family;
	if ((family != AF_INET && family != AF_INET6) || sk->sk_protocol != IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline bool http_start(const char *h)
{
	__u32 w;

	__builtin_memcpy(&w, h, 4);
	/* Little- or big-endian, compare the bytes: the compiler folds these. */
	return !__builtin_memcmp(h, "GET ", 4) || !__builtin_memcmp(h, "POST", 4) ||
	       !__builtin_memcmp(h, "PUT ", 4) || !__builtin_memcmp(h, "HEAD", 4) ||
	       !__builtin_memcmp(h, "DELE", 4) || !__builtin_memcmp(h, "PATC", 4) ||
	       !__builtin_memcmp(h, "OPTI", 4) || !__builtin_memcmp(h, "CONN", 4) ||
	       !__builtin_memcmp(h, "TRAC", 4) || !__builtin_memcmp(h, "HTTP", 4) || (w & 0);
}

static __always_inline void fill_tuple(struct http_event *e, struct sock *sk)
{
	if (!sk)
		return;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/*
 * A call moved @ret bytes of which the first @avail are at @ubuf: count
 * them on the connection if it carried HTTP before, and send the message
 * to user space if it starts like HTTP.
 */
static __always_inline void http_message(__u8 op, __u8 tls, __u64 ptr, __u64 ino,
					 struct sock *sk, __u64 ubuf, __u64 avail, long ret,
					 __u64 ts)
{
	struct http_conn_key key = { .ptr = ptr };
	struct http_conn_bytes *b, zero = { .ino = ino };
	struct http_event *e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 rd = 0, wr = 0, old_rd = 0, old_wr = 0, cap;
	char head[4] = {};
	bool start;

	if (ret <= 0 || !ubuf)
		return;
	if (avail > (__u64)ret)
		avail = ret;
	if (avail >= 4 && bpf_probe_read_user(head, sizeof(head), (void *)ubuf))
		return;
	start = avail >= 4 && http_start(head);
	if (tls) {
		key.tgid = pid_tgid >> 32;
		key.tls = 1;
	}
	b = bpf_map_lookup_elem(&conns, &key);
	if (!b && !start)
		return;
	if (b && b->ino != ino) {
		/*
		 * A new socket at a freed one's address: its bytes are not the
		 * old connection's. A message that does not start HTTP leaves
		 * them (the old exchange's last bytes stay readable); one that
		 * does restarts them, and hands the old ones to user space.
		 */
		if (!start)
			return;
		old_rd = b->rd;
		old_wr = b->wr;
		b->rd = 0;
		b->wr = 0;
		b->ino = ino;
	}
	if (!b) {
		if (bpf_map_update_elem(&conns, &key, &zero, BPF_NOEXIST) == 0)
			b = bpf_map_lookup_elem(&conns, &key);
		else
			b = bpf_map_lookup_elem(&conns, &key);
		if (!b)
			STAT(conns_full);
	}
	if (b) {
		rd = b->rd;
		wr = b->wr;
		if (op == HTTP_OP_READ)
			__sync_fetch_and_add(&b->rd, ret);
		else
			__sync_fetch_and_add(&b->wr, ret);
	}
	if (!start)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		STAT(ringbuf_full);
		return;
	}
	e->ts = ts;
	e->conn = ptr;
	e->rd_before = rd;
	e->wr_before = wr;
	e->ino = ino;
	e->old_rd = old_rd;
	e->old_wr = old_wr;
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->len = ret;
	e->op = op;
	e->tls = tls;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	e->sport = e->dport = e->family = 0;
	fill_tuple(e, sk);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	cap = avail < HTTP_CAP ? avail : HTTP_CAP;
	/* A bound the verifier sees on the register itself (it may track a 32-bit copy). */
	asm volatile("%0 &= 0x1ff" : "+r"(cap));
	e->cap = 0;
	if (cap > 0 && cap <= HTTP_CAP && !bpf_probe_read_user(e->data, cap, (void *)ubuf))
		e->cap = cap;
	bpf_ringbuf_submit(e, 0);
}

/*
 * At the exit only: the arguments are still in the registers saved at
 * entry (the kernel does not change them), the bytes of a read are in the
 * buffer now, and one program per syscall costs half of an entry and exit
 * pair. A write's time is thus its end (microseconds later than its start
 * at most for the small writes that carry HTTP headers).
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(http_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid, ubuf, ino = 0, avail = HTTP_CAP;
	struct http_ssl_args *sa;
	struct iovec iov = {};
	__u32 tid, kind = HTTP_BUF_PLAIN;
	struct sock *sk;
	__u8 op;

	switch (SYSCALL_NR(regs)) {
	case __NR_write:
	case __NR_sendto:
		op = HTTP_OP_WRITE;
		break;
	case __NR_read:
	case __NR_recvfrom:
		op = HTTP_OP_READ;
		break;
	case __NR_writev:
		op = HTTP_OP_WRITE;
		kind = HTTP_BUF_IOV;
		break;
	case __NR_readv:
		op = HTTP_OP_READ;
		kind = HTTP_BUF_IOV;
		break;
	case __NR_sendmsg:
		op = HTTP_OP_WRITE;
		kind = HTTP_BUF_MSG;
		break;
	case __NR_recvmsg:
		op = HTTP_OP_READ;
		kind = HTTP_BUF_MSG;
		break;
	default:
		return 0;
	}
	if (ret <= 0 || COMPAT_SYSCALL(bpf_get_current_task_btf()))
		return 0;
	sk = fd_tcp_sock((long)ARG0(regs), &ino);
	if (!sk)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tid = (__u32)pid_tgid;
	/* Inside SSL_read/SSL_write: this socket is the SSL object's. */
	sa = bpf_map_lookup_elem(&ssl_args, &tid);
	if (sa) {
		struct http_ssl_key k = { .ssl = sa->ssl, .tgid = pid_tgid >> 32 };
		__u64 v = (__u64)sk;

		bpf_map_update_elem(&ssl_sock, &k, &v, BPF_ANY);
	}
	ubuf = ARG1(regs);
	if (kind == HTTP_BUF_MSG) {
		struct user_msghdr mh;

		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)ubuf) || !mh.msg_iovlen)
			return 0;
		ubuf = (__u64)mh.msg_iov;
	}
	if (kind != HTTP_BUF_PLAIN) {
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)ubuf))
			return 0;
		ubuf = (__u64)iov.iov_base;
		avail = iov.iov_len;
	}
	http_message(op, 0, (__u64)sk, ino, sk, ubuf, avail, ret, bpf_ktime_get_ns());
	return 0;
}

/* ---- TLS: libssl's SSL_write(ssl, buf, num) and SSL_read(ssl, buf, num) -- */

static __always_inline int ssl_enter(__u64 ssl, __u64 buf, __u32 op)
{
	struct http_ssl_args a = { .ssl = ssl, .buf = buf, .ts = bpf_ktime_get_ns(), .op = op };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&ssl_args, &tid, &a, BPF_ANY))
		STAT(ssl_full);
	return 0;
}

static __always_inline int ssl_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct http_ssl_args *ap, a;
	struct http_ssl_key k = {};
	__u64 *skp;

	ap = bpf_map_lookup_elem(&ssl_args, &tid);
	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(&ssl_args, &tid);
	k.ssl = a.ssl;
	k.tgid = pid_tgid >> 32;
	skp = bpf_map_lookup_elem(&ssl_sock, &k);
	http_message(a.op, 1, a.ssl, 0, skp ? (struct sock *)*skp : NULL, a.buf, HTTP_CAP, ret,
		     a.op == HTTP_OP_WRITE ? a.ts : bpf_ktime_get_ns());
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(http_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, HTTP_OP_WRITE);
}

SEC("uretprobe")
int BPF_KRETPROBE(http_ssl_write_ret, long ret)
{
	return ssl_exit((int)ret); /* an int in libssl */
}

SEC("uprobe")
int BPF_KPROBE(http_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, HTTP_OP_READ);
}

SEC("uretprobe")
int BPF_KRETPROBE(http_ssl_read_ret, long ret)
{
	return ssl_exit((int)ret);
}
