#!/usr/bin/env bash
# Every program of the disk and mdflush modules passes the verifier, fallbacks and kprobes included.
set -u
exec "${BUILD:-build}/tests/bpf/disk_verify"
