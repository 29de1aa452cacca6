#!/bin/sh
# Entrypoint of the SIP test phone image (docker/Dockerfile.sipphone): writes a
# baresip configuration to a temporary directory and calls SIPPHONE_TARGET,
# sending a 440 Hz tone; received audio is discarded. Environment:
#   SIPPHONE_TARGET     SIP URI to call (default sip:r1@127.0.0.1:5060)
#   SIPPHONE_LISTEN     the phone's own SIP address (default 127.0.0.1:5070;
#                       not 5060, which is roomgate's SIP port on the same host)
#   SIPPHONE_USER       user part of the phone's SIP address (default sipphone)
#   SIPPHONE_RTP_PORTS  the phone's RTP ports (default 10000-10099, outside
#                       roomgate's range)
#   SIPPHONE_SECONDS    hang up and exit after this many seconds (default: stay)
# The phone dials once and does not register.
set -eu

target=${SIPPHONE_TARGET:-sip:r1@127.0.0.1:5060}
listen=${SIPPHONE_LISTEN:-127.0.0.1:5070}
user=${SIPPHONE_USER:-sipphone}
rtp_ports=${SIPPHONE_RTP_PORTS:-10000-10099}
case "$target" in
sip:*@*) ;;
*)
	echo "sipphone: SIPPHONE_TARGET must be a SIP URI such as sip:ROOM@HOST:5060 (got \"$target\")" >&2
	exit 1
	;;
esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/sipphone.XXXXXX")
cat >"$dir/config" <<CONF
poll_method	epoll
sip_listen	$listen
sip_trans_def	udp
rtp_ports	$rtp_ports
audio_path	/usr/share/baresip
audio_source	ausine,440
ausrc_srate	48000
ausrc_channels	2
module_path	/usr/lib/baresip/modules
module	g711.so
module	opus.so
module	ausine.so
module_app	account.so
module_app	menu.so
CONF
printf '<sip:%s@%s>;regint=0\n' "$user" "$listen" >"$dir/accounts"
: >"$dir/contacts"

echo "sipphone: calling $target from sip:$user@$listen"
set -- -f "$dir" -e "/dial $target"
if [ -n "${SIPPHONE_SECONDS:-}" ]; then
	set -- "$@" -t "$SIPPHONE_SECONDS"
fi
exec baresip "$@"
