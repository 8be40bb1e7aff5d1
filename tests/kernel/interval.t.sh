#!/usr/bin/env bash
# kernel tier: `update every` drives collection. From the configuration file
# (2 s) and from the flag over it (3 s), the collections counted over a span
# match the interval, and a count made right after a collection shows up
# within one interval, not before the next collection.
source "$(dirname "$0")/lib.sh"
need_root "interval"

collections() { metric "$1" ebpfmon_collections_total; }

# span SECONDS: collections made over SECONDS (from two scrapes).
span() {
	scrape "$TMP/c0.prom"
	sleep "$1"
	scrape "$TMP/c1.prom"
	echo $(($(collections "$TMP/c1.prom") - $(collections "$TMP/c0.prom")))
}

# expect_between DESC GOT LOW HIGH
expect_between() {
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then ok "$1: $2 (from $3 to $4)"; else not_ok "$1: $2, not from $3 to $4"; fi
}

printf '[global]\n\tupdate every = 2\n' >"$TMP/every2.conf"
start_run --config "$TMP/every2.conf" --modules process || exit 1
expect_between "collections in 8 s with 'update every = 2' in the file" "$(span 8)" 3 5

# A count made just after a collection is not shown until the next one.
c=$(collections "$TMP/c1.prom")
for _ in $(seq 50); do
	scrape "$TMP/c.prom"
	[ "$(collections "$TMP/c.prom")" != "$c" ] && break
	sleep 0.05
done
app=$(unique_name iv)
"$WORKLOAD" forks "$app" 3 >/dev/null || not_ok "workload failed"
scrape "$TMP/early.prom"
early=$(metric "$TMP/early.prom" ebpfmon_app_process_created_total "app=\"$app\"")
sleep 2.3
scrape "$TMP/late.prom"
expect_eq "forks right after a collection: not shown before the next one" "$early" missing
expect_eq "forks right after a collection: shown within one interval" \
	"$(metric "$TMP/late.prom" ebpfmon_app_process_created_total "app=\"$app\"")" 3
stop_run || not_ok "run exited with an error"

start_run --config "$TMP/every2.conf" --update-every 3 --modules process || exit 1
expect_between "collections in 9 s with --update-every 3 over the file's 2" "$(span 9)" 2 4
stop_run || not_ok "run exited with an error"
