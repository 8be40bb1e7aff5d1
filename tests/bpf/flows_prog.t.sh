#!/usr/bin/env bash
# flows: crafted frames through the TC, XDP and cgroup_skb programs (BPF_PROG_TEST_RUN).
set -u
BUILD=${BUILD:-build}
exec "$BUILD/tests/bpf/flows_prog"
