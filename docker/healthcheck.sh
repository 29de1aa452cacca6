#!/bin/bash
# HEALTHCHECK of the roomgate container image (docker/Dockerfile), installed as
# /usr/local/bin/roomgate-healthcheck. Sends GET /healthz to the server's HTTP
# port and exits 0 on "200" with "status":"ok", 1 otherwise. Uses bash's
# /dev/tcp, so the image needs no HTTP client.
#
# The address comes from ROOMGATE_HTTP_LISTEN, else from "listen" in the
# mounted /etc/roomgate/roomgate.jsonc, else the container default
# 0.0.0.0:8080. A wildcard host (0.0.0.0, ::) is probed on loopback.
set -u

listen=${ROOMGATE_HTTP_LISTEN:-}
if [ -z "$listen" ] && [ -f /etc/roomgate/roomgate.jsonc ]; then
	listen=$(sed -n 's/.*"listen"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
		/etc/roomgate/roomgate.jsonc | head -n 1)
fi
listen=${listen:-0.0.0.0:8080}
port=${listen##*:}
host=${listen%:*}
host=${host#[}
host=${host%]}
case "$host" in
"" | 0.0.0.0) host=127.0.0.1 ;;
::) host=::1 ;;
esac

if ! exec 3<>"/dev/tcp/$host/$port"; then
	echo "healthcheck: cannot connect to $host:$port" >&2
	exit 1
fi
printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
response=$(timeout 5 cat <&3)
exec 3<&-
status=${response%%$'\r'*}
case "$status" in
"HTTP/1."?" 200 "*) ;;
*)
	echo "healthcheck: GET http://$host:$port/healthz: ${status:-no response}" >&2
	exit 1
	;;
esac
case "$response" in
*'"status":"ok"'*) exit 0 ;;
*)
	echo "healthcheck: /healthz did not report \"status\":\"ok\"" >&2
	exit 1
	;;
esac
