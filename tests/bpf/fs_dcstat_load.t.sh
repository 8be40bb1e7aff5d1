#!/usr/bin/env bash
# filesystem and dcstat: every program passes the verifier, kprobe and fentry rungs included.
set -u
exec "${BUILD:-build}/tests/bpf/fs_dcstat_load"
