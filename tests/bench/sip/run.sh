#!/usr/bin/env bash
# SIP benchmark: SIPp places RG_SIP_BENCH_CALLS (50) concurrent PCMU calls
# with RTP into one room for RG_SIP_BENCH_S (60) seconds; server CPU, RSS
# and RTP packets per second, total and per call. See README.md.
# Usage: tests/bench/sip/run.sh [BUILD_DIR]
#
# stdout: "BENCH sip key=value ..."; stderr: progress, details and the ROW|
# line for tests/bench/run.sh's table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node "$here/sip_bench.js" "$build"
