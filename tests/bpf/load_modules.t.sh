#!/usr/bin/env bash
# Every program of the accounting core passes the verifier, in every mode, fallbacks included.
set -u
exec "${BUILD:-build}/tests/bpf/load_modules"
