// SPDX-License-Identifier: GPL-2.0
/* bash rows rendered: user names, times, DataKit's message, line protocol, JSON. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/influx.h"
#include "export/json.h"
#include "modules/bash/bash_api.h"

void bash_user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) && res && res->pw_name[0])
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", uid);
}

void bash_format_time(uint64_t time_ns, char *buf, size_t len)
{
	time_t t = (time_t)(time_ns / 1000000000ULL);
	char date[32], zone[8] = "Z";
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off)
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+',
			 labs(off) / 3600 % 100, labs(off) / 60 % 60);
	snprintf(buf, len, "%s%s", date, zone);
}

int bash_format_message(const struct bash_row *r, char *buf, size_t len)
{
	char when[48];

	bash_format_time(r->time_ns, when, sizeof(when));
	return snprintf(buf, len, "%s pid:`%u` user:`%s` cmd:`%s`", when, r->pid, r->user, r->cmd);
}

void bash_row_influx(FILE *out, const struct bash_row *r, const char *host)
{
	char msg[BASH_LINE_MAX + 160], pid[16];

	bash_format_message(r, msg, sizeof(msg));
	snprintf(pid, sizeof(pid), "%u", r->pid);
	influx_put_measurement(out, "bash");
	if (host)
		influx_put_tag(out, "host", host);
	fputs(" cmd=", out);
	influx_put_string(out, r->cmd);
	fputs(",message=", out);
	influx_put_string(out, msg);
	fputs(",pid=", out);
	influx_put_string(out, pid);
	fputs(",user=", out);
	influx_put_string(out, r->user);
	fprintf(out, ",truncated=%s %llu\n", r->truncated ? "true" : "false",
		(unsigned long long)r->time_ns);
}

void bash_row_json(FILE *out, const struct bash_row *r)
{
	char when[48], msg[BASH_LINE_MAX + 160];

	bash_format_time(r->time_ns, when, sizeof(when));
	bash_format_message(r, msg, sizeof(msg));
	fputs("{\"time\":", out);
	json_put_string(out, when);
	fprintf(out, ",\"time_ns\":%llu,\"pid\":%u,\"uid\":%u,\"user\":",
		(unsigned long long)r->time_ns, r->pid, r->uid);
	json_put_string(out, r->user);
	fputs(",\"comm\":", out);
	json_put_string(out, r->comm);
	fputs(",\"cmd\":", out);
	json_put_string(out, r->cmd);
	fprintf(out, ",\"truncated\":%s,\"message\":", r->truncated ? "true" : "false");
	json_put_string(out, msg);
	fputc('}', out);
}
