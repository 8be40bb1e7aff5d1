#!/usr/bin/env bash
# hardirq's handler table when full: every row collected, the rest counted in table_full_total.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - hardirq's full handler table # SKIP needs root"
	exit 0
fi
exec "${BUILD:-build}/tests/bpf/irq_table"
