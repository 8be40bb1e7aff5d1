#!/usr/bin/env bash
# Every program of every counting module passes the verifier, fallbacks included.
set -u
exec "${BUILD:-build}/tests/bpf/load_modules"
