// SPDX-License-Identifier: GPL-2.0
/*
 * socket: TCP and UDP traffic per host, application and cgroup (Netdata's
 * socket thread: ip.tcp_functions, ip.total_tcp_bandwidth, app.ebpf_sock_*,
 * cgroup.net_*, services.net_*), IPv4 and IPv6: calls, bytes and errors of
 * sends and receives, connections made and accepted, closed, retransmits.
 * Kernel half: socket.bpf.h, part of the accounting core's object, which
 * also keeps the connection table of the network viewer (conn.h).
 *
 * Without kprobes it stands on tracepoints only (sock:*, tcp:*, udp:*, and
 * accept's syscall exit); Netdata's kernel-function hooks are the last rung
 * for kernels that have them (calls and bytes, no connection table).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/accounting.h"
#include "modules/socket/conn_table.h"
#include "modules/socket/socket.h"
#include "modules/socket/socket_api.h"

_Static_assert(SOCKET_NR_COUNTERS <= EBPFMON_MAX_COUNTERS, "the store's rows hold every counter");

#define CONN_HELP_OUT "TCP connections this side started (connect), by address family"
#define CONN_HELP_IN "TCP connections this side accepted, by address family"

static const struct counter_def socket_defs[] = {
	[SOCK_TCP_OUT_V4] = { "tcp_outbound_connections_total", CONN_HELP_OUT,
			      .netdata_chart = "ip.tcp_outbound_conn",
			      .netdata_app_chart = "app.ebpf_call_tcp_v4_connection",
			      .fixed_label = "family", .fixed_value = "ipv4" },
	[SOCK_TCP_OUT_V6] = { "tcp_outbound_connections_total", CONN_HELP_OUT,
			      .netdata_chart = "ip.tcp_outbound_conn",
			      .netdata_app_chart = "app.ebpf_call_tcp_v6_connection",
			      .fixed_label = "family", .fixed_value = "ipv6" },
	[SOCK_TCP_IN_V4] = { "tcp_inbound_connections_total", CONN_HELP_IN,
			     .netdata_chart = "ip.inbound_conn", .netdata_app_chart = "",
			     .fixed_label = "family", .fixed_value = "ipv4" },
	[SOCK_TCP_IN_V6] = { "tcp_inbound_connections_total", CONN_HELP_IN,
			     .netdata_chart = "ip.inbound_conn", .netdata_app_chart = "",
			     .fixed_label = "family", .fixed_value = "ipv6" },
	[SOCK_TCP_SENT_BYTES] = { "tcp_sent_bytes_total",
				  "Bytes TCP sends and writes handed to the kernel",
				  .netdata_chart = "ip.total_tcp_bandwidth",
				  .netdata_app_chart = "app.ebpf_sock_bytes_sent" },
	[SOCK_TCP_RECV_BYTES] = { "tcp_received_bytes_total",
				  "Bytes TCP receives and reads took (MSG_PEEK aside)",
				  .netdata_chart = "ip.total_tcp_bandwidth",
				  .netdata_app_chart = "app.ebpf_sock_bytes_received" },
	[SOCK_TCP_SEND_CALLS] = { "tcp_send_calls_total",
				  "TCP send calls (send, sendmsg, write, sendfile...), failed ones included",
				  .netdata_chart = "ip.tcp_functions",
				  .netdata_app_chart = "app.ebpf_call_tcp_sendmsg" },
	[SOCK_TCP_RECV_CALLS] = { "tcp_receive_calls_total",
				  "TCP receive calls (recv, recvmsg, read...), failed ones included",
				  .netdata_chart = "ip.tcp_functions",
				  .netdata_app_chart = "app.ebpf_call_tcp_cleanup_rbuf" },
	[SOCK_TCP_CLOSED] = { "tcp_closed_total",
			      "TCP connections that reached CLOSE, counted for the process that made or accepted them",
			      .netdata_chart = "ip.tcp_functions", .netdata_app_chart = "" },
	[SOCK_TCP_SEND_ERRORS] = { "tcp_send_errors_total",
				   "TCP send calls that failed (EAGAIN aside)", .is_error = true,
				   .netdata_chart = "ip.tcp_error", .netdata_app_chart = "" },
	[SOCK_TCP_RECV_ERRORS] = { "tcp_receive_errors_total",
				   "TCP receive calls that failed (EAGAIN aside)", .is_error = true,
				   .netdata_chart = "ip.tcp_error", .netdata_app_chart = "" },
	[SOCK_TCP_RETRANS] = { "tcp_retransmits_total",
			       "TCP retransmissions (one per retransmitted packet), counted for the connection's process",
			       .netdata_chart = "ip.tcp_retransmit",
			       .netdata_app_chart = "app.ebpf_call_tcp_retransmit" },
	[SOCK_UDP_SENT_BYTES] = { "udp_sent_bytes_total", "Bytes UDP sends handed to the kernel",
				  .netdata_chart = "ip.total_udp_bandwidth",
				  .netdata_app_chart = "app.ebpf_sock_bytes_sent" },
	[SOCK_UDP_RECV_BYTES] = { "udp_received_bytes_total",
				  "Bytes UDP receives took (MSG_PEEK aside)",
				  .netdata_chart = "ip.total_udp_bandwidth",
				  .netdata_app_chart = "app.ebpf_sock_bytes_received" },
	[SOCK_UDP_SEND_CALLS] = { "udp_send_calls_total", "UDP send calls, failed ones included",
				  .netdata_chart = "ip.udp_functions",
				  .netdata_app_chart = "app.ebpf_call_udp_sendmsg" },
	[SOCK_UDP_RECV_CALLS] = { "udp_receive_calls_total",
				  "UDP receive calls, failed ones included",
				  .netdata_chart = "ip.udp_functions",
				  .netdata_app_chart = "app.ebpf_call_udp_recvmsg" },
	[SOCK_UDP_SEND_ERRORS] = { "udp_send_errors_total",
				   "UDP send calls that failed (EAGAIN aside)", .is_error = true,
				   .netdata_chart = "ip.udp_error", .netdata_app_chart = "" },
	[SOCK_UDP_RECV_ERRORS] = { "udp_receive_errors_total",
				   "UDP receive calls that failed (EAGAIN aside), and datagrams a full socket queue refused",
				   .is_error = true, .netdata_chart = "ip.udp_error",
				   .netdata_app_chart = "" },
};
_Static_assert(sizeof(socket_defs) / sizeof(socket_defs[0]) == SOCKET_NR_COUNTERS,
	       "one def per counter");

static const unsigned char socket_slots[SOCKET_NR_COUNTERS] = {
	[SOCK_TCP_OUT_V4] = SL_SOCK(SK_TCP_OUT_V4),
	[SOCK_TCP_OUT_V6] = SL_SOCK(SK_TCP_OUT_V6),
	[SOCK_TCP_IN_V4] = SL_SOCK(SK_TCP_IN_V4),
	[SOCK_TCP_IN_V6] = SL_SOCK(SK_TCP_IN_V6),
	[SOCK_TCP_SENT_BYTES] = SL_SOCK(SK_TCP_SENT_BYTES),
	[SOCK_TCP_RECV_BYTES] = SL_SOCK(SK_TCP_RECV_BYTES),
	[SOCK_TCP_SEND_CALLS] = SL_SOCK(SK_TCP_SEND_CALLS),
	[SOCK_TCP_RECV_CALLS] = SL_SOCK(SK_TCP_RECV_CALLS),
	[SOCK_TCP_CLOSED] = SL_SOCK(SK_TCP_CLOSED),
	[SOCK_TCP_SEND_ERRORS] = SL_SOCK(SK_TCP_SEND_ERRORS),
	[SOCK_TCP_RECV_ERRORS] = SL_SOCK(SK_TCP_RECV_ERRORS),
	[SOCK_TCP_RETRANS] = SL_SOCK(SK_TCP_RETRANS),
	[SOCK_UDP_SENT_BYTES] = SL_SOCK(SK_UDP_SENT_BYTES),
	[SOCK_UDP_RECV_BYTES] = SL_SOCK(SK_UDP_RECV_BYTES),
	[SOCK_UDP_SEND_CALLS] = SL_SOCK(SK_UDP_SEND_CALLS),
	[SOCK_UDP_RECV_CALLS] = SL_SOCK(SK_UDP_RECV_CALLS),
	[SOCK_UDP_SEND_ERRORS] = SL_SOCK(SK_UDP_SEND_ERRORS),
	[SOCK_UDP_RECV_ERRORS] = SL_SOCK(SK_UDP_RECV_ERRORS),
};

static const struct hook_impl send_impls[] = {
	{ "tp_btf", PROGS("sock_send_btf") },
	TRACEPOINTS("sock_send_tp"),
	{ "kprobe", PROGS("sock_kp_tcp_sendmsg", "sock_kp_udp_sendmsg", "sock_kp_udpv6_sendmsg") },
};
static const struct hook_impl recv_impls[] = {
	{ "tp_btf", PROGS("sock_recv_btf") },
	TRACEPOINTS("sock_recv_tp"),
	{ "kprobe", PROGS("sock_kp_tcp_cleanup_rbuf", "sock_kp_udp_recvmsg",
			  "sock_kp_udpv6_recvmsg") },
};
static const struct hook_impl state_impls[] = {
	{ "tp_btf", PROGS("sock_state_btf") },
	TRACEPOINTS("sock_state_tp"),
	{ "kprobe", PROGS("sock_kp_tcp_v4_connect", "sock_kp_tcp_v6_connect", "sock_kp_tcp_close") },
};
/*
 * accept's return: the core's syscall-exit program, which dispatches on the
 * number (see socket_syscalls), else the classic per-syscall tracepoints.
 * Both are syscall hooks: none in light mode, where no syscall hook slows
 * every syscall.
 */
static const struct hook_impl accept_impls[] = {
	ACCT_SYS_EXIT_BTF,
	SYSCALL_TRACEPOINTS("sock_accept4_tp", "sock_accept_tp"),
	{ "kretprobe", PROGS("sock_kp_inet_csk_accept") },
};
static const struct hook_impl retrans_impls[] = {
	{ "tp_btf", PROGS("sock_retransmit_btf") },
	TRACEPOINTS("sock_retransmit_tp"),
	{ "kprobe", PROGS("sock_kp_tcp_retransmit_skb") },
};
static const struct hook_impl udp_fail_impls[] = {
	{ "tp_btf", PROGS("sock_udp_fail_btf") },
	{ "tracepoint (host totals only)", PROGS("sock_udp_fail_tp") },
};

/* Run once at load: the sockets open already (ebpfmon connections' snapshot). */
static const struct hook_impl seed_impls[] = {
	{ "iter", PROGS("sock_seed_iter") },
};

enum { H_SEND, H_RECV, H_STATE, H_ACCEPT, H_RETRANS, H_UDP_FAIL, H_SEED };

static const struct hook_def socket_hooks[] = {
	HOOK("send", send_impls),
	HOOK("receive", recv_impls),
	HOOK("connect and close", state_impls),
	HOOK("accept", accept_impls),
	HOOK("retransmit", retrans_impls),
	RESULT_HOOK("udp queue errors", udp_fail_impls),
	HOOK("open connections", seed_impls),
};

/* On the BTF rung, accept and accept4 count nothing by rule: they run sock_accepted(). */
#define ACCEPTS(no)                                                                    \
	{ .nr = no,                                                                     \
	  .hook = H_ACCEPT,                                                             \
	  .rule = { ACCT_NO_SLOT, ACCT_NO_SLOT, ACCT_NO_SLOT, ACCT_NO_SLOT },           \
	  .action = ACCT_ACTION_ACCEPT }
static const struct acct_syscall_def socket_syscalls[] = { ACCEPTS(SYS_accept),
							   ACCEPTS(SYS_accept4) };

static const struct acct_desc socket_acct = {
	.slot_of = socket_slots,
	.syscalls = socket_syscalls,
	.nr_syscalls = sizeof(socket_syscalls) / sizeof(socket_syscalls[0]),
	.sockets = true,
};

/* The one connection table of this process (one agent), for the API. */
static struct conn_table *active;
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static double keep_ended = SOCKET_KEEP_ENDED;

void socket_keep_ended(double seconds)
{
	keep_ended = seconds;
}

static int socket_load(struct module_inst *mi, const struct module_cfg *mc)
{
	struct conn_table *t;
	int err = acct_module_load(mi, mc);

	if (err || !mc->cfg->net.enabled)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = conn_table_init(t, mi->acct, mc->cfg, keep_ended, mi->stats->reason,
			      sizeof(mi->stats->reason));
	if (err) {
		conn_table_free(t);
		free(t);
		acct_module_unload(mi);
		return err;
	}
	mi->priv = t;
	if (mi->plan.chosen[H_SEED] >= 0 && (err = acct_run_iter(mi->acct, "sock_seed_iter")))
		fprintf(stderr, "ebpfmon: socket: the connections open before start are not listed: %s\n",
			strerror(-err));
	pthread_mutex_lock(&active_lock);
	active = t;
	pthread_mutex_unlock(&active_lock);
	return 0;
}

static void socket_unload(struct module_inst *mi)
{
	struct conn_table *t = mi->priv;

	if (t) {
		pthread_mutex_lock(&active_lock);
		if (active == t)
			active = NULL;
		pthread_mutex_unlock(&active_lock);
		conn_table_free(t);
		free(t);
		mi->priv = NULL;
	}
	acct_module_unload(mi);
}

/* Read the connection table and render the view once: requests copy the text. */
static int collect_connections(struct conn_table *t)
{
	struct conn_row *rows, other;
	struct shared_text *shared;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	long n;
	int err = conn_table_read(t);

	if (err)
		return err;
	n = conn_table_rows(t, &rows, &other);
	if (n < 0)
		return (int)n;
	f = open_memstream(&buf, &len);
	if (!f) {
		free(rows);
		return -ENOMEM;
	}
	err = conn_view_print_json(f, rows, (size_t)n, other.connections ? &other : NULL);
	free(rows);
	if (fclose(f) || err) {
		free(buf);
		return -EIO;
	}
	shared = shared_text_new(buf, len);
	if (!shared)
		return -ENOMEM;
	text_slot_publish(&t->json, shared);
	return 0;
}

int socket_connections_json(struct shared_text **json)
{
	int rc = -ENODEV;

	pthread_mutex_lock(&active_lock);
	if (active) {
		*json = text_slot_get(&active->json);
		rc = *json ? 0 : -EAGAIN;
	}
	pthread_mutex_unlock(&active_lock);
	return rc;
}

int socket_connections_influx(FILE *out, const char *host, uint64_t ts_ns)
{
	struct conn_row *rows, other;
	long n;
	int rc = -ENODEV;

	pthread_mutex_lock(&active_lock);
	if (active) {
		n = conn_table_rows(active, &rows, &other);
		rc = n < 0 ? (int)n
			   : conn_view_print_influx(out, rows, (size_t)n,
						    other.connections ? &other : NULL, host, ts_ns);
		if (n >= 0)
			free(rows);
	}
	pthread_mutex_unlock(&active_lock);
	return rc;
}

int socket_connections_text(FILE *out)
{
	struct conn_row *rows, other;
	long n;
	int rc = -ENODEV;

	pthread_mutex_lock(&active_lock);
	if (active) {
		n = conn_table_rows(active, &rows, &other);
		rc = n < 0 ? (int)n
			   : conn_view_print_text(out, rows, (size_t)n,
						  other.connections ? &other : NULL,
						  active->view.resolve_services ? &active->view.services
										: NULL);
		if (n >= 0)
			free(rows);
	}
	pthread_mutex_unlock(&active_lock);
	return rc;
}

static int socket_collect(struct module_inst *mi, struct module_stats *next)
{
	struct sock_lost lost;
	int err = acct_module_collect(mi, next);

	if (err)
		return err;
	if (mi->priv && (err = collect_connections(mi->priv)))
		return err;
	acct_get_sock_lost(mi->acct, &lost);
	next->own_table = "connection";
	/* Ended connections the ring buffer had no room for are lost to the viewer too. */
	next->lost_own_table_full = lost.conn_table_full + lost.closed_lost;
	/* The process table's misses count with the core's (events without their application). */
	next->lost_cgroup_table_full += lost.cgroup_table_full;
	return 0;
}

const struct module socket_module = {
	.name = "socket",
	.summary = "TCP and UDP calls, bytes, errors, connections and retransmits; the connection table",
	.privileges = "CAP_BPF and CAP_PERFMON to load and attach; none after attach",
	.default_on = true,
	.defs = socket_defs,
	.nr_defs = SOCKET_NR_COUNTERS,
	.nr_counters = SOCKET_NR_COUNTERS,
	.hooks = socket_hooks,
	.nr_hooks = sizeof(socket_hooks) / sizeof(socket_hooks[0]),
	.acct = &socket_acct,
	.probe = acct_module_probe,
	.load = socket_load,
	.collect = socket_collect,
	.unload = socket_unload,
};
