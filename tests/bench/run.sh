#!/usr/bin/env bash
# Runs every benchmark and prints its figures (`make bench`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
echo "== roomgate benchmarks on $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "== login storm (tests/bench/login_storm.js)"
node "$here/login_storm.js" "$build" 1000 100
