// SPDX-License-Identifier: GPL-2.0
/*
 * Durations: parse_duration() and its users, `update every` of the
 * configuration and `flows --timeout/--refresh`. Beyond "no crash", each
 * is compared with a reading of the documented grammar written apart from
 * the parser: DIGITS[.DIGITS] then nothing, s, ms, m or h; more than 0 and
 * at most 1e15 seconds:
 *  - parse_duration accepts exactly those strings, with the value strtod
 *    gives (C locale) times the unit, within rounding;
 *  - `update every` accepts exactly the whole numbers of seconds 1..3600;
 *  - flows takes --timeout and --refresh exactly up to 576 h, and refuses
 *    in one printable line.
 */
#include <math.h>

#include "core/config.h"
#include "modules/flows/flows_int.h"
#include "fuzz/fuzz.h"

static const char *const known[] = { "process" };
static const bool known_on[] = { true };

/* The grammar, read directly: 1 and the seconds, or 0. */
static int reference(const char *s, double *seconds)
{
	const char *p = s, *unit;
	double unit_s, v;
	size_t digits = strspn(p, "0123456789");

	p += digits;
	if (*p == '.') {
		size_t frac = strspn(p + 1, "0123456789");

		if (!frac)
			return 0;
		p += 1 + frac;
		digits += frac;
	}
	if (!digits)
		return 0;
	unit = p;
	if (!strcmp(unit, "") || !strcmp(unit, "s"))
		unit_s = 1;
	else if (!strcmp(unit, "ms"))
		unit_s = 0.001;
	else if (!strcmp(unit, "m"))
		unit_s = 60;
	else if (!strcmp(unit, "h"))
		unit_s = 3600;
	else
		return 0;
	{
		char *num = strndup(s, unit - s);

		must(num != NULL, "out of memory");
		v = strtod(num, NULL) * unit_s;
		free(num);
	}
	*seconds = v;
	return 1;
}

static void check_flows(const char *flag, const char *s, bool ok_value)
{
	char *argv[] = { "flows", (char *)flag, (char *)s, NULL };
	struct flows_opts o;
	char err[256] = "";
	int rc = flows_parse_opts(3, argv, &o, err, sizeof(err));

	must(rc == 0 || rc == -1, "flows_parse_opts returned %d", rc);
	must((rc == 0) == ok_value, "flows %s '%s': %s", flag, s, rc ? err : "accepted");
	if (rc) {
		for (const char *p = err; *p; p++)
			must((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in '%s'", err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size), err[512];
	double got = -1, want = -1;
	int rc = parse_duration(s, &got);
	int ref = reference(s, &want);
	/* At the edges of double's range the two roundings may land either side. */
	bool edge = ref && (want < 1e-300 || fabs(want - 1e15) < 1);
	bool valid = ref && want > 0 && want <= 1e15;
	struct config c;

	if (!edge) {
		must((rc == 0) == valid, "'%s': parse_duration says %d, the grammar %d (%g)", s, rc,
		     valid, want);
		if (!rc)
			must(fabs(got - want) <= 1e-9 * want, "'%s' read as %.17g, not %.17g", s, got,
			     want);
	}
	must(rc == 0 || rc == -1, "parse_duration returned %d", rc);
	if (!rc)
		must(got > 0 && got <= 1e15, "'%s' read as %g", s, got);

	/* update every: whole seconds from 1 to 3600, as a number or a duration. */
	must(!config_init(&c, known, known_on, 1), "config_init failed");
	if (!config_set(&c, "global", "update every", s, err, sizeof(err))) {
		must(!rc && got == c.update_every && c.update_every >= 1 && c.update_every <= 3600,
		     "update every '%s' accepted as %u", s, c.update_every);
	} else if (!rc && !edge) {
		must(got < 1 || got > 3600 || got != floor(got),
		     "update every '%s' (%g s) refused: %s", s, got, err);
	}

	/* flows waits: any duration up to what poll() can wait for in one call. */
	if (!edge || rc) {
		bool fits = !rc && got <= 576 * 3600.0;

		check_flows("--timeout", s, fits);
		check_flows("--refresh", s, fits);
	}
	free(s);
	return 0;
}
