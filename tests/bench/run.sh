#!/usr/bin/env bash
# Runs every benchmark and prints ONE table (`make bench`), then each
# benchmark's own output. Usage: tests/bench/run.sh [BUILD_DIR]
#
# Table rows: each benchmark prints lines of the form
#   ROW| area | case | throughput | server CPU | latency p50 / p99 | memory | loss / errors |
# (7 cells after "ROW|"; leave a cell empty when it does not apply). Every
# other line it prints goes to the details below the table. Besides the
# benchmarks run here, every tests/bench/*/run.sh is run with the build
# directory as its argument (the mixer and SIP benchmarks add theirs so).
#
# Environment: RG_BENCH_SECONDS (measured window per relay case, 10),
# RG_BENCH_LISTENERS (the 1 -> N cases, "100 500 1000 2000"),
# RG_BENCH_ONLY=relay (the floor and the relay cases only); the mixer and
# SIP benchmarks read their own (RG_MIX_*, RG_SIP_BENCH_*: their READMEs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
secs=${RG_BENCH_SECONDS:-10}
listeners=${RG_BENCH_LISTENERS:-100 500 1000 2000}
only=${RG_BENCH_ONLY:-}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
rows="$tmp/rows"
details="$tmp/details"
: >"$rows"
: >"$details"
spid=

# Splits a benchmark's output: ROW| lines to the table, the rest to details.
collect() {
	local title=$1
	echo "== $title" >>"$details"
	while IFS= read -r line; do
		case "$line" in
		ROW\|*) echo "|${line#ROW|}" >>"$rows" ;;
		*) echo "$line" >>"$details" ;;
		esac
	done
	echo >>"$details"
}

stop_server() {
	if [ -n "$spid" ]; then
		kill -TERM "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# A fresh release server per case, so RSS is measured from a clean start.
start_server() {
	cat >"$tmp/bench.jsonc" <<EOF
{
  "app_id": 1,
  "server_secret": "0123456789abcdef0123456789abcdef",
  "admin_key": "bench-admin-key-0123456789",
  "http": { "listen": "127.0.0.1:0", "web_root": "$root/web", "max_connections": 20000 },
  "media": { "address": "127.0.0.1", "rtp_ports": "20000-29999" },
  "limits": { "max_users_per_room": 10000, "max_sessions": 100000, "login_attempts_per_ip_per_s": 1000000 },
  "session": { "heartbeat_interval_ms": 10000, "heartbeat_timeout_ms": 600000 },
  "log": { "level": "warn,main=info" }
}
EOF
	"$build/roomgate" --config "$tmp/bench.jsonc" >"$tmp/server.log" 2>&1 &
	spid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "the server did not start:" >&2
	cat "$tmp/server.log" >&2
	exit 1
}

# relay CASE_LABEL rg-load-options...
relay() {
	local label=$1
	shift
	start_server
	echo "uptime before the case: $(uptime)" | collect "relay: $label (machine)"
	"$build/tests/bench/load/rg-load" --url "ws://127.0.0.1:$port/ws" --server-pid "$spid" \
		--duration "$secs" --warmup 3 --row "$label" --floor "$floor_pps" "$@" 2>&1 | collect "relay: $label"
	stop_server
}

echo "== roomgate benchmarks on $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"

# The floor first: the relay rows compare themselves with it.
"$build/tests/bench/floor/rg-floor" 2000 400000 --row >"$tmp/floor.out" 2>&1
floor_pps=$(sed -n 's/^FLOOR_PPS=//p' "$tmp/floor.out")
grep -v '^FLOOR_PPS=' "$tmp/floor.out" | collect "floor (rg-floor 2000 400000)"

for n in $listeners; do
	relay "relay | 1 talker -> $n listeners" --rooms 1 --talkers-per-room 1 --listeners-per-room "$n"
done
relay "relay | 10 rooms x 10 talkers (each plays the other 9)" --rooms 10 --talkers-per-room 10 \
	--listeners-per-room 0

[ "$only" = relay ] || node "$here/login_storm.js" "$build" 1000 100 2>&1 |
	collect "login storm (login_storm.js build 1000 100)"

for sub in "$here"/*/run.sh; do
	[ "$only" = relay ] && break
	[ -x "$sub" ] || continue
	"$sub" "$build" 2>&1 | collect "$(basename "$(dirname "$sub")") ($sub)"
done

echo
echo "| area | case | throughput | server CPU | latency p50 / p99 | memory | loss / errors |"
echo "|---|---|---|---|---|---|---|"
cat "$rows"
echo
cat "$details"
