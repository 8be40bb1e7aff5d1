#!/usr/bin/env bash
# Every program of hardirq and softirq passes the verifier, both rungs included.
set -u
exec "${BUILD:-build}/tests/bpf/irq_load"
