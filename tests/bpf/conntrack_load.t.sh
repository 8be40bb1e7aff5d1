#!/usr/bin/env bash
# Every program of the conntrack module passes the verifier, kprobe rung included.
set -u
exec "${BUILD:-build}/tests/bpf/conntrack_load"
