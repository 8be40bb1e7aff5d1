/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration: an embedded default, then an INI file (Netdata's key names
 * where Netdata has them), then command-line flags; each layer overrides the
 * one before.
 */
#ifndef EBPFMON_CONFIG_H
#define EBPFMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/ebpfmon/ebpfmon.conf"
#define CONFIG_MAX_MODULES 32

enum load_mode {
	LOAD_MODE_RETURN, /* count at the syscall's exit: calls, bytes and errors */
	LOAD_MODE_ENTRY,  /* calls and bytes only, no error series (Netdata's entry mode) */
	LOAD_MODE_LIGHT,  /* no syscall hook: scheduler tracepoints and task I/O accounting */
};

#define CONFIG_MAX_HIDDEN 8

struct config_module {
	char name[32];
	bool enabled;
	/*
	 * Netdata's per-module file (ebpf.d/<module>.conf) may override these
	 * [global] keys for one module: -1 keeps the [global] value.
	 */
	signed char apps, cgroups;
	signed char load_mode; /* LOAD_MODE_RETURN or LOAD_MODE_ENTRY */
	/* Dimensions turned off there ([syscalls] sync = no, [filesystem] ext4dist = no). */
	char hidden[CONFIG_MAX_HIDDEN][24];
	unsigned int nr_hidden;
};

/* A key Netdata documents that ebpfmon accepts and does not use, and why. */
struct config_ignored {
	char where[96]; /* FILE:LINE */
	char key[64];	/* [section] key = value, shortened */
	char reason[200];
};

#define CONFIG_MAX_IGNORED 48
#define CONFIG_MAX_FILES 24

#define CONFIG_MAX_SERVICE_NAMES 64
#define CONFIG_PATTERN_LEN 200

/* [service name] PORT = NAME: how the network viewer names a port. */
struct config_service_name {
	unsigned int port;
	char name[32];
};

/* Netdata's network.conf [network connections]: the network viewer's choices. */
struct config_net_view {
	bool enabled;			   /* keep the connection table */
	unsigned int maximum_dimensions;   /* rows shown at most */
	bool resolve_hostnames;		   /* show reverse-resolved names of remote addresses */
	bool resolve_service_names;	   /* show ports by name */
	char ports[CONFIG_PATTERN_LEN];	   /* filters: Netdata's simple patterns */
	char ips[CONFIG_PATTERN_LEN];
	char hostnames[CONFIG_PATTERN_LEN];
	unsigned int ephemeral_port;	   /* DataKit's collapse: ports from here on shown as *; 0: off */
	struct config_service_name services[CONFIG_MAX_SERVICE_NAMES];
	unsigned int nr_services;
};

struct config {
	unsigned int update_every;	/* [global] update every: seconds, 1..3600 */
	enum load_mode load_mode;	/* [global] ebpf load mode = return|entry|light */
	bool apps;			/* [global] apps = yes|no */
	bool cgroups;			/* [global] cgroups = yes|no */
	unsigned int pid_table_size;	/* [global] pid table size: 16..4194304 */
	unsigned int cgroup_table_size; /* [global] cgroup table size: 16..1048576 */
	bool container_names;		/* [global] container names = yes|no (Docker's API) */
	char docker_socket[108];	/* [global] docker socket: its unix socket path */
	char containerd_socket[108];	/* [global] containerd socket (CRI) */
	char crio_socket[108];		/* [global] crio socket (CRI) */
	unsigned int apps_max;		/* [global] apps max: application rows, 1..1000000 */
	double series_retention;	/* [global] series retention: seconds, gone rows stay */
	bool maps_per_core;		/* [global] maps per core = yes|no (Netdata's; no effect here) */
	char flows_interface[16];	/* [global] flows interface; "" = first up, not loopback */
	char bash_paths[512];		/* [global] bash paths: more bash binaries (bash module) */
	unsigned int dns_port;		/* [global] dns port: the dnsflow module's, 1..65535 */
	char listen[128];		/* [global] listen = ADDR:PORT ([v6]:port allowed) */
	char apps_groups_file[PATH_MAX];/* [global] apps groups file; "" = none */
	char web_config_file[PATH_MAX]; /* [global] web config file: TLS and basic auth; "" = none */
	/* [global] table sizes of Netdata's network.conf (socket module) */
	unsigned int bandwidth_table_size;  /* processes with socket counts */
	unsigned int ipv4_conn_table_size;  /* TCP over IPv4 connections */
	unsigned int ipv6_conn_table_size;  /* TCP over IPv6 connections */
	unsigned int udp_conn_table_size;   /* UDP sockets */
	char type_format[16];		    /* [global] ebpf type format (Netdata's; no effect here) */
	char core_tracing[16];		    /* [global] ebpf co-re tracing (Netdata's; no effect here) */
	struct config_net_view net;	    /* [network connections], [service name] */
	/* [global] netlog blacklist: DataKit's rules dropping network rows (core/blacklist.h) */
	char netlog_blacklist[4097];
	/* [ebpf programs] httpflow tls = yes|no: the httpflow module's libssl uprobes */
	bool httpflow_tls;
	char push_url[1024];		    /* [output] push url: "" = no push (export/push.h) */
	unsigned int push_every;	    /* [output] push every: seconds, 0 = every collection */
	char push_token[512];		    /* [output] push token: InfluxDB 2.x; never logged */
	/* [ebpf programs] <module> = yes|no, only for names in known_modules */
	struct config_module modules[CONFIG_MAX_MODULES];
	unsigned int nr_modules;
	/* What `ebpfmon config --config FILE` reports: the files read, the keys ignored. */
	char files[CONFIG_MAX_FILES][128];
	unsigned int nr_files;
	struct config_ignored ignored[CONFIG_MAX_IGNORED];
	unsigned int nr_ignored, nr_ignored_dropped;
};

/* The configuration ebpfmon runs with when no file is given (also `make run`). */
extern const char config_embedded_default[];

/*
 * Fill @c with built-in values and the names of every known module (enabled
 * when @default_on[i]). Returns 0.
 */
int config_init(struct config *c, const char *const *known_modules, const bool *default_on,
		unsigned int nr_known);

/*
 * Apply INI text, a buffer or a file. On error return -1, leave @c as it
 * was and write one line into @err: "FILE:LINE: what is wrong; what to do"
 * (an unknown key, a bad value, a key set twice, a line longer than inih's
 * buffer, a NUL byte), or "FILE: problem" for a file that is not a regular
 * file of at most TEXT_FILE_MAX_BYTES. @origin names the text in messages.
 * Control characters quoted from the input are shown as '?'.
 */
int config_load_string(struct config *c, const char *text, const char *origin, char *err,
		       size_t errlen);
int config_load_buffer(struct config *c, const char *buf, size_t len, const char *origin,
		       char *err, size_t errlen);
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);
/*
 * Netdata's layout: after its main file (ebpf.d.conf), Netdata reads one file
 * per module from ebpf.d/ beside it (process.conf, network.conf for the
 * socket module, ...). Reads those of @main_path's directory that exist; 0
 * when there is no ebpf.d/ there. A module file's [global] applies to that
 * module only.
 */
int config_load_module_files(struct config *c, const char *main_path, char *err, size_t errlen);
/* The module's effective settings: its own file's override, else [global]. */
bool config_module_apps(const struct config *c, const char *name);
bool config_module_cgroups(const struct config *c, const char *name);
enum load_mode config_module_load_mode(const struct config *c, const char *name);
/* Whether any enabled module counts errors (return mode). */
bool config_any_errors(const struct config *c);
/* Writes the effective configuration, the files read and the ignored keys. */
void config_write_effective(const struct config *c, FILE *out);

/* Individual setters shared by the INI parser and the command-line flags. -1 + err on bad value. */
int config_set(struct config *c, const char *section, const char *key, const char *value,
	       char *err, size_t errlen);
/* Enable exactly the modules in a comma-separated list; -1 + err names an unknown one. */
int config_set_module_list(struct config *c, const char *list, char *err, size_t errlen);
bool config_module_enabled(const struct config *c, const char *name);

/* Parse helpers shared with the command line. 0 on success, -1 on a malformed value. */
int parse_bool(const char *s, bool *out);	       /* yes|no|true|false|on|off|1|0 */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);
int parse_duration(const char *s, double *seconds);    /* 10, 10s, 500ms, 2m, 1h; > 0 */
/* ADDR:PORT, [V6]:PORT or :PORT (= all addresses); fills a sockaddr_storage. */
struct sockaddr_storage;
int parse_listen(const char *s, struct sockaddr_storage *ss, unsigned int *sslen);

#endif
