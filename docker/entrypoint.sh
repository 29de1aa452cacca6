#!/bin/bash
# Entrypoint of the roomgate container image (docker/Dockerfile), installed as
# /usr/local/bin/roomgate-entrypoint. docs/deployment.md describes its behaviour.
#
# Configuration comes from ROOMGATE_* environment variables and/or a file
# mounted at /etc/roomgate/roomgate.jsonc:
#   - with the file: roomgate --config /etc/roomgate/roomgate.jsonc; ROOMGATE_*
#     variables that are set override the file's keys.
#   - without it: the built-in configuration plus ROOMGATE_* variables, with
#     these container defaults for variables left unset:
#       ROOMGATE_HTTP_LISTEN=0.0.0.0:8080
#       ROOMGATE_DEV_TOKEN_ENDPOINT=false
#       ROOMGATE_WEB_ROOT=/usr/share/roomgate/web
#       ROOMGATE_RECORDINGS_DIR=/var/lib/roomgate/recordings (the volume)
#     and ROOMGATE_SERVER_SECRET and ROOMGATE_ADMIN_KEY are required (the
#     built-in configuration's example values are public), whatever the
#     listening address.
# ROOMGATE_SERVER_SECRET_FILE and ROOMGATE_ADMIN_KEY_FILE name files (Docker
# secrets) holding those two values.
#
# Arguments: none runs the server; "--check-config [FILE]" validates the
# configuration the server would use (or FILE) and exits; "token ...",
# "--version" and "--help" go to roomgate; any other command is executed as is.
set -euo pipefail

readonly BIN=/usr/local/bin/roomgate
readonly CONFIG_FILE=/etc/roomgate/roomgate.jsonc
readonly REFERENCE_CONFIG=/usr/share/roomgate/roomgate.jsonc

die() {
	echo "roomgate-entrypoint: $*" >&2
	exit 1
}

case "${1:-}" in
token | --version | -v | --help | -h) exec "$BIN" "$@" ;;
"" | --check-config) ;;
-*) die "unknown option \"$1\" (expected no argument, --check-config [FILE], token ..., --version or --help)" ;;
*) exec "$@" ;;
esac

# Docker secrets: VAR_FILE names a file holding the value of VAR.
for var in ROOMGATE_SERVER_SECRET ROOMGATE_ADMIN_KEY; do
	file_var=${var}_FILE
	file=${!file_var:-}
	[ -n "$file" ] || continue
	[ -z "${!var:-}" ] || die "both $var and $file_var are set; set only one of them"
	[ -f "$file" ] && [ -r "$file" ] || die "$file_var=$file: not a readable file"
	value=$(cat -- "$file") # $(...) drops trailing newlines
	value=${value%$'\r'}
	[ -n "$value" ] || die "$file_var=$file: the file is empty"
	export "$var=$value"
	unset "$file_var"
done

is_loopback() {
	case "$1" in
	127.* | ::1 | localhost) return 0 ;;
	*) return 1 ;;
	esac
}

config=
if [ -f "$CONFIG_FILE" ]; then
	config=$CONFIG_FILE
else
	export ROOMGATE_HTTP_LISTEN="${ROOMGATE_HTTP_LISTEN:-0.0.0.0:8080}"
	export ROOMGATE_DEV_TOKEN_ENDPOINT="${ROOMGATE_DEV_TOKEN_ENDPOINT:-false}"
	export ROOMGATE_WEB_ROOT="${ROOMGATE_WEB_ROOT:-/usr/share/roomgate/web}"
	export ROOMGATE_RECORDINGS_DIR="${ROOMGATE_RECORDINGS_DIR:-/var/lib/roomgate/recordings}"

	# The built-in configuration carries the example server_secret and
	# admin_key, which are public: the container never runs with them.
	missing=()
	[ -n "${ROOMGATE_SERVER_SECRET:-}" ] || missing+=(ROOMGATE_SERVER_SECRET)
	[ -n "${ROOMGATE_ADMIN_KEY:-}" ] || missing+=(ROOMGATE_ADMIN_KEY)
	if [ ${#missing[@]} -gt 0 ]; then
		host=${ROOMGATE_HTTP_LISTEN%:*}
		host=${host#[}
		host=${host%]}
		if ! is_loopback "$host"; then
			why="the server would listen on $ROOMGATE_HTTP_LISTEN (ROOMGATE_HTTP_LISTEN), which is not a loopback address"
		else
			why="without them the built-in configuration's example secrets, which are public, would be used (even on a loopback address a reverse proxy can expose them)"
		fi
		die "refusing to start: ${missing[*]} $([ ${#missing[@]} -gt 1 ] && echo are || echo is) not set, and $why." \
			"Set ROOMGATE_SERVER_SECRET (exactly 32 characters, e.g. from \`openssl rand -hex 16\`)" \
			"and ROOMGATE_ADMIN_KEY (16 to 256 characters, e.g. from \`openssl rand -hex 32\`)" \
			"in an env file (docker run --env-file) or as Docker secrets" \
			"(ROOMGATE_SERVER_SECRET_FILE, ROOMGATE_ADMIN_KEY_FILE), or mount a configuration" \
			"file at $CONFIG_FILE. See docs/deployment.md."
	fi
fi

if [ "${1:-}" = --check-config ]; then
	# Without FILE: the mounted file, or the reference copy of the built-in
	# configuration (identical to what the server uses without a file).
	[ $# -ge 2 ] || set -- --check-config "${config:-$REFERENCE_CONFIG}"
	exec "$BIN" "$@"
fi
if [ -n "$config" ]; then
	exec "$BIN" --config "$config"
fi
exec "$BIN"
