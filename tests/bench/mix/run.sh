#!/usr/bin/env bash
# Mixer benchmark: N plain RTP participants in one room (N = 10, 50, 100,
# 500), 3 talkers or everyone talking, against roomgate's RTP endpoints and,
# when Debian's janus package is installed, Janus's AudioBridge. See
# README.md. Usage: tests/bench/mix/run.sh [BUILD_DIR]
#
# stdout: one line per measurement, "BENCH mix <name> key=value ...";
# stderr: progress, details, and ROW| lines for tests/bench/run.sh's table.
# Environment: RG_MIX_N, RG_MIX_SECONDS, RG_MIX_WARMUP, RG_MIX_JANUS,
# RG_MIX_CASES, RG_MIX_PERF (mix_bench.js describes them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
swarm="$build/tests/bench/mix/rtp_swarm"
tmp=
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT

# The load generator: the CMake target (built with the release binary), or
# compiled here when the build directory was configured without it.
if ! cmake --build "$build" --target rtp_swarm >/dev/null 2>&1 || [ ! -x "$swarm" ]; then
	tmp=$(mktemp -d)
	swarm="$tmp/rtp_swarm"
	# shellcheck disable=SC2046
	cc -O2 -std=gnu11 -Wall -o "$swarm" "$here/rtp_swarm.c" $(pkg-config --cflags --libs opus) -lm >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
RG_MIX_SWARM="$swarm" node "$here/mix_bench.js" "$build"
