#!/usr/bin/env bash
# `make docker-check`: verifies docker/Dockerfile without a Docker engine.
# docs/deployment.md ("Checking the image without Docker") explains it.
#
#   1. Package lists: every package in the lists the Dockerfiles install (COPY
#      docker/packages-*.txt + scripts/deps.sh) exists in this machine's APT
#      sources; no RUN installs packages by name.
#   2. Recipe: base images, non-root USER, EXPOSE, VOLUME, HEALTHCHECK,
#      ENTRYPOINT of the runtime stage.
#   3. Build stage: the files its COPY instructions take from the build context
#      (after .dockerignore) are enough to configure and build roomgate.
#   4. Runtime root filesystem: debootstrap --variant=minbase of the base
#      image's suite with the runtime package list, from the Debian mirror of
#      this machine's APT sources (cached as a tarball keyed by suite, mirror and
#      package list); then the runtime stage's instructions are replayed on it:
#      COPY (COPY --from=build takes BUILD_DIR/roomgate, stripped as the build
#      stage strips it), RUN (in a chroot), ENV, WORKDIR, USER.
#   5. Container run: the ENTRYPOINT runs in that root filesystem in new mount
#      and PID namespaces, on the host network, as the image's USER, configured
#      by environment variables only; checks /healthz, the admin API, a token
#      login over WebSocket, the HEALTHCHECK command, a clean stop, and that
#      the entrypoint refuses 0.0.0.0 without secrets.
#
# Options (environment):
#   DOCKER_CHECK_MIRROR=URL     Debian mirror for debootstrap (default: from /etc/apt)
#   DOCKER_CHECK_BUILD_STAGE=1  also replay the build stage in a debootstrapped
#                               root with docker/packages-build.txt and use its
#                               binary instead of BUILD_DIR/roomgate
#   DOCKER_CHECK_SIPPHONE=1     also replay docker/Dockerfile.sipphone and check
#                               that the phone sends a SIP INVITE
#
# Usage (as root): docker/check.sh [BUILD_DIR]    (default: build)
# Work files live in BUILD_DIR/docker-check; nothing outside it is written or
# deleted. Every mount is made inside a private mount namespace and disappears
# with it.
set -euo pipefail

t_start=$SECONDS
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) # the Docker build context
dockerfile=$src/docker/Dockerfile
sipfile=$src/docker/Dockerfile.sipphone
helper() { node "$src/docker/check-helper.js" "$@"; }

n_ok=0
say() { printf 'docker-check: %s\n' "$*"; }
ok() {
	n_ok=$((n_ok + 1))
	printf '  ok  %s\n' "$*"
}
fail() {
	printf 'docker-check: FAILED: %s\n' "$*" >&2
	exit 1
}
section() { printf "\n[%s] %s (at %d s)\n" "$1" "$2" $((SECONDS - t_start)); }

# ---- preconditions ----------------------------------------------------------

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot and unshare need it)"
build_arg=${1:-build}
[ -d "$build_arg" ] || fail "build directory $build_arg not found (run \`make build\`)"
build_dir=$(cd "$build_arg" && pwd -P)
bin=$build_dir/roomgate
[ -x "$bin" ] || fail "$bin not found (run \`make build\`)"
for c in debootstrap unshare chroot node curl apt-cache strip sha256sum tar awk pgrep; do
	command -v "$c" >/dev/null || fail "\`$c\` not found (run \`make deps-test\`)"
done
[ -f "$dockerfile" ] || fail "$dockerfile not found"

work=$build_dir/docker-check
cache=$work/cache
mkdir -p "$work" "$cache"

# Mount points at or below $1, as seen from this (the host's) mount namespace.
mounts_under() {
	awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
		/proc/self/mountinfo
}

# Deletes a directory of ours: only below $work, never across a mount point.
safe_rm() {
	local d=$1
	case "$d" in
	"$work"/?*) ;;
	*) fail "internal error: refusing to delete $d (outside $work)" ;;
	esac
	[ -e "$d" ] || [ -L "$d" ] || return 0
	local m
	m=$(mounts_under "$d")
	[ -z "$m" ] || fail "$d has mounts: $(echo $m); unmount them (umount -R), then run again"
	rm -rf --one-file-system -- "$d"
}

# Every unshare we start is recorded in $pidfile (also from subshells) and, if
# still running, killed on exit together with its child, the PID 1 of its
# PID namespace (killing that ends every process in the namespace). The
# parent-death signal of `unshare --kill-child` cannot be relied on: it is lost
# when setpriv changes credentials, and some kernels do not deliver it.
pidfile=$work/pids
: >"$pidfile"
kill_tree() { kill -KILL $(pgrep -P "$1") "$1" 2>/dev/null || true; }
# bg CMD...: starts CMD in the background, records it; PID in $bg_pid.
bg() {
	"$@" &
	bg_pid=$!
	echo "$bg_pid" >>"$pidfile"
}
# wait_for PID SECONDS: waits for a process started with bg, killing it after
# SECONDS; returns its exit status.
wait_for() {
	local p=$1 deadline=$((SECONDS + $2))
	while alive "$p"; do
		if [ $SECONDS -ge "$deadline" ]; then
			echo "docker-check: killing a process that ran longer than $2 s: $(tr '\0\n' '  ' 2>/dev/null <"/proc/$p/cmdline" | sed 's/.*ns-init //' | cut -c1-200)" >&2
			kill_tree "$p"
		fi
		sleep 0.05
	done
	wait "$p"
}
alive() { # PID: running (not exited, not a zombie)
	local st=
	read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" || return 1
	[ "$st" != Z ]
}
cleanup() {
	local rc=$? p
	while read -r p; do
		[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || continue
		# only our own processes: an unshare whose arguments name $work
		tr '\0\n' '  ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^unshare .*$work" || continue
		kill_tree "$p"
		wait "$p" 2>/dev/null || true
	done <"$pidfile"
	local m
	m=$(mounts_under "$work")
	if [ -n "$m" ]; then
		printf 'docker-check: FAILED: mounts left under %s: %s\n' "$work" "$(echo $m)" >&2
		rc=1
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- running processes in a root filesystem, container-style -----------------

# ns_run ROOT [--ro VOLUMES] CMD...: runs CMD chrooted into ROOT in new mount
# and PID namespaces (CMD is PID 1), with /proc, a minimal /dev and the host's
# network. With --ro, like `docker run --read-only`: ROOT is read-only except
# the VOLUMES (colon-separated paths) and a tmpfs on /tmp. The mounts exist
# only in the new mount namespace (private propagation) and vanish with it.
readonly ns_init='set -e
r=$1; shift
ro=
if [ "$1" = --ro ]; then ro=$2; shift 2; mount --bind "$r" "$r"; fi
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount -t tmpfs -o nosuid,noexec,mode=0755,size=256k rg-dev "$r/dev"
for n in null zero full random urandom tty; do
	[ -e "/dev/$n" ] || continue
	: > "$r/dev/$n"
	mount --bind "/dev/$n" "$r/dev/$n"
done
mkdir -m 1777 "$r/dev/shm"
mount -t tmpfs -o nosuid,nodev,noexec,mode=1777 rg-shm "$r/dev/shm"
mkdir "$r/dev/pts"
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
if [ -n "$ro" ]; then
	IFS=:
	for v in $ro; do mount --bind "$r$v" "$r$v"; done
	unset IFS
	mount -o remount,bind,ro "$r"
	mount -t tmpfs -o nosuid,nodev,mode=1777 rg-tmp "$r/tmp"
fi
exec chroot "$r" "$@"'
ns_run() {
	bg unshare --mount --propagation private --pid --fork --kill-child -- bash -c "$ns_init" ns-init "$@"
	wait_for "$bg_pid" 120
}

# container_cmd ROOT USER WORKDIR ENV_NAME CMD...: sets the array ic_cmd to the
# command that starts CMD as Docker would: as USER (name[:group] or
# uid[:gid], resolved in ROOT; no supplementary groups when a group is given),
# in WORKDIR, with exactly PATH, HOSTNAME, HOME and the variables in the array
# named ENV_NAME; read-only but for the image's volumes if ic_ro lists them.
# in_container runs it.
container_cmd() {
	local r=$1 spec=$2 wd=$3 envname=$4
	shift 4
	local -n envref=$envname
	local u=${spec%%:*} g= uid gid home
	[[ $spec == *:* ]] && g=${spec#*:}
	[ -n "$u" ] || u=root
	local pw
	pw=$(awk -F: -v u="$u" '$1 == u || $3 == u { print; exit }' "$r/etc/passwd")
	if [ -z "$pw" ]; then
		[[ $u =~ ^[0-9]+$ ]] || fail "USER $spec: no user $u in the image"
		uid=$u gid=${g:-$u} home=/
	else
		uid=$(cut -d: -f3 <<<"$pw") gid=$(cut -d: -f4 <<<"$pw") home=$(cut -d: -f6 <<<"$pw")
	fi
	if [ -n "$g" ]; then
		gid=$(awk -F: -v g="$g" '$1 == g || $3 == g { print $3; exit }' "$r/etc/group")
		if [ -z "$gid" ]; then
			[[ $g =~ ^[0-9]+$ ]] || fail "USER $spec: no group $g in the image"
			gid=$g
		fi
	fi
	local drop=()
	if [ "$uid" != 0 ]; then
		# --pdeathsig keep: changing credentials clears the parent-death
		# signal that --kill-child set; without it the process would outlive us.
		drop=(/usr/bin/setpriv "--reuid=$uid" "--regid=$gid" --pdeathsig keep)
		if [ -n "$g" ]; then drop+=(--clear-groups); else drop+=(--init-groups); fi
	fi
	local ro=()
	[ -z "${ic_ro:-}" ] || ro=(--ro "$ic_ro")
	ic_cmd=(unshare --mount --propagation private --pid --fork --kill-child -- bash -c "$ns_init" ns-init "$r"
		"${ro[@]}" "${drop[@]}" /usr/bin/env -i "--chdir=$wd"
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=roomgate-check "HOME=$home"
		"${envref[@]}" "$@")
}
# in_container [--timeout S] ROOT USER WORKDIR ENV_NAME CMD...: runs it
# (killed after S seconds, default 60) and returns its exit status.
in_container() {
	local t=60
	if [ "$1" = --timeout ]; then
		t=$2
		shift 2
	fi
	container_cmd "$@"
	bg "${ic_cmd[@]}"
	wait_for "$bg_pid" "$t"
}

# ---- Dockerfile replay ----------------------------------------------------------

# `df` receives the instructions printed by `check-helper.js plan`. It records
# the image configuration in df_* variables and, when df_root is set, applies
# COPY and RUN to that root filesystem. df_from_root[STAGE] is the root
# filesystem COPY --from=STAGE reads.
declare -A df_from_root=()
df_reset() {
	df_stage= df_stage_name= df_image= df_workdir=/ df_user=root
	df_env=() df_expose=() df_volumes=() df_entrypoint=() df_cmd=() df_health=() df_health_opts=
	df_copied_lists=() df_runs=() df_n=0 df_root= df_copy_only=
}
df_reset
df_setenv() {
	local k=$1 v=$2 i
	for i in "${!df_env[@]}"; do
		[[ ${df_env[$i]} == "$k="* ]] && { df_env[$i]="$k=$v"; return; }
	done
	df_env+=("$k=$v")
}
df() {
	local ins=$1
	shift
	df_n=$((df_n + 1))
	case "$ins" in
	STAGE) df_stage=$1 df_stage_name=$2 df_image=$3 ;;
	ENV) while [ $# -ge 2 ]; do df_setenv "$1" "$2"; shift 2; done ;;
	LABEL | STOPSIGNAL) ;;
	WORKDIR)
		case "$1" in /*) df_workdir=$1 ;; *) df_workdir=${df_workdir%/}/$1 ;; esac
		[ -z "$df_root" ] || helper mkdir "$df_root" "$df_workdir"
		;;
	USER) df_user=$1 ;;
	EXPOSE) df_expose+=("$@") ;;
	VOLUME)
		df_volumes+=("$@")
		[ -z "$df_root" ] || [ -n "$df_copy_only" ] || helper mkdir "$df_root" "$@"
		;;
	ENTRYPOINT_EXEC) df_entrypoint=("$@") ;;
	ENTRYPOINT_SHELL) df_entrypoint=(/bin/sh -c "$1") ;;
	CMD_EXEC) df_cmd=("$@") ;;
	CMD_SHELL) df_cmd=(/bin/sh -c "$1") ;;
	HEALTHCHECK_EXEC) df_health_opts=$1 && shift && df_health=("$@") ;;
	HEALTHCHECK_SHELL) df_health_opts=$1 && df_health=(/bin/sh -c "$2") ;;
	HEALTHCHECK_NONE) df_health=() ;;
	COPY)
		local from=$1 chown=$2 chmod=$3
		shift 3
		local dest=${*: -1} srcs=("${@:1:$#-1}") s
		for s in "${srcs[@]}"; do
			[[ $s == docker/packages-*.txt ]] && df_copied_lists+=("$(basename "$s" .txt | sed 's/^packages-//')")
		done
		[ -n "$df_root" ] || return 0
		[ -z "$chown$chmod" ] || fail "$df_image stage $df_stage: COPY --chown/--chmod is not emulated; extend docker/check.sh"
		local ctx=$src
		if [ -n "$from" ]; then
			[ -z "$df_copy_only" ] || return 0
			ctx=${df_from_root[$from]:-}
			[ -n "$ctx" ] || fail "COPY --from=$from: no emulated stage \"$from\""
		fi
		helper copy "$ctx" "$df_root" "$df_workdir" "$dest" "${srcs[@]}" >/dev/null ||
			fail "COPY ${srcs[*]} $dest failed"
		;;
	RUN_SHELL | RUN_EXEC)
		df_runs+=("$*")
		[ -n "$df_root" ] && [ -z "$df_copy_only" ] || return 0
		local cmd=("$@")
		[ "$ins" = RUN_EXEC ] || cmd=(/bin/sh -c "$1")
		local -a run_env=("${df_env[@]}")
		in_container --timeout 600 "$df_root" "$df_user" "$df_workdir" run_env "${cmd[@]}" >"$work/run.log" 2>&1 ||
			{ tail -n 30 "$work/run.log" >&2; fail "RUN failed in the emulated image: $*"; }
		;;
	UNSUPPORTED) fail "$2: instruction $1 is not emulated by docker/check.sh; extend it" ;;
	*) fail "internal error: unknown plan word $ins" ;;
	esac
}

# df_load DOCKERFILE STAGE: reads a stage (records only, unless df_root is set).
df_load() {
	local plan
	plan=$(helper plan "$1" "$2") || fail "cannot parse $1"
	eval "$plan"
}

# Package names of a list (docker/packages-NAME.txt), parsed like scripts/deps.sh.
pkgs_of() {
	local f=$src/docker/packages-$1.txt
	[ -f "$f" ] || fail "$f not found"
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$f" | grep -v '^$' || true
}

# ---- Debian root filesystems ---------------------------------------------------

suite_of() { # debian:bookworm-slim -> bookworm
	[[ $1 =~ ^(docker\.io/)?(library/)?debian:([a-z]+)(-slim)?(@sha256:[0-9a-f]+)?$ ]] ||
		fail "base image $1: only debian:SUITE[-slim] images can be emulated"
	echo "${BASH_REMATCH[3]}"
}

# apt_uri SUITE: the URI this machine's APT uses for SUITE (deb822 .sources
# files first, then one-line .list files); empty if none.
apt_uri() {
	local suite=$1 f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{ t = u = su = ""; en = "yes"
			  for (i = 1; i <= NF; i++) {
			    if ($i ~ /^Types:/) t = " " substr($i, 7) " "
			    else if ($i ~ /^URIs:/) u = substr($i, 6)
			    else if ($i ~ /^Suites:/) su = " " substr($i, 8) " "
			    else if ($i ~ /^Enabled:/) en = substr($i, 9) }
			  gsub(/[ \t]+/, " ", t); gsub(/[ \t]+/, " ", su); gsub(/[ \t]/, "", en); sub(/^[ \t]+/, "", u)
			  split(u, us, /[ \t]+/)
			  if (t ~ / deb / && su ~ (" " s " ") && en != "no") { print us[1]; exit } }' "$f")
		[ -z "$uri" ] || break
	done
	if [ -z "$uri" ]; then
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			uri=$(awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) { print $i; exit } }' "$f")
			[ -z "$uri" ] || break
		done
	fi
	echo "${uri%/}"
}

# make_base SUITE: sets base_tar to a tarball of `debootstrap --variant=minbase
# SUITE` whose APT sources are those of the debian:SUITE image (SUITE,
# SUITE-updates, SUITE-security) on the mirrors this machine's APT uses.
# Built once, then cached.
make_base() {
	local suite=$1 arch mirror sec sources key
	arch=$(dpkg --print-architecture)
	mirror=${DOCKER_CHECK_MIRROR:-$(apt_uri "$suite")}
	[ -n "$mirror" ] || fail "no APT source for $suite in /etc/apt; set DOCKER_CHECK_MIRROR"
	sec=$(apt_uri "$suite-security")
	sources="# written by docker/check.sh like debian:$suite's own file
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
	[ -z "$sec" ] || sources+="
Types: deb
URIs: $sec
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
	key=$(printf '%s\n' base-v1 "$suite" "$arch" "$mirror" minbase "$sources" | sha256sum | cut -c1-16)
	base_key=$key
	base_tar=$cache/base-$suite-$key.tar
	base_state=cached
	[ -f "$base_tar" ] && return 0
	base_state="debootstrapped from $mirror"
	local tmp=$work/base.debootstrap
	safe_rm "$tmp"
	say "debootstrap --variant=minbase $suite from $mirror (log: $work/debootstrap.log)"
	# In private mount and PID namespaces: debootstrap's own /proc and /sys
	# mounts in the target cannot outlive it, nor can its processes.
	if ! {
		bg unshare --mount --propagation private --pid --fork --kill-child -- debootstrap --variant=minbase \
			--arch="$arch" "$suite" "$tmp" "$mirror" >"$work/debootstrap.log" 2>&1
		wait_for "$bg_pid" 1800
	}; then
		cp -f "$tmp/debootstrap/debootstrap.log" "$work/debootstrap.target.log" 2>/dev/null || true
		tail -n 20 "$work/debootstrap.log" >&2
		safe_rm "$tmp"
		fail "debootstrap failed (logs: $work/debootstrap.log, $work/debootstrap.target.log)"
	fi
	rm -f "$tmp/etc/apt/sources.list"
	printf '%s' "$sources" >"$tmp/etc/apt/sources.list.d/debian.sources"
	rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*_Packages
	tar --numeric-owner -C "$tmp" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
	safe_rm "$tmp"
	local old
	for old in "$cache"/base-"$suite"-*.tar; do
		[ "$old" = "$base_tar" ] || rm -f -- "$old"
	done
}

# COPY's contribution to a layer key: what it would copy, by content.
copy_key() {
	shift # COPY
	local from=$1 ctx=$src
	shift 3
	[ -z "$from" ] || ctx=${df_from_root[$from]:-/nonexistent}
	helper hash "$ctx" "${@:1:$#-1}" 2>/dev/null || echo "unhashable"
}

# replay DOCKERFILE STAGE NAME: builds the root filesystem $work/NAME by
# replaying STAGE on the base, like `docker build`: every RUN's result is
# cached as a tarball keyed by the base and everything before it (instructions
# and the content of copied files), and the build resumes after the last
# cached RUN. Leaves the image configuration in df_*.
replay() {
	local file=$1 stage=$2 name=$3 dir=$work/$3 lines keys=() key i start=-1
	mapfile -t lines < <(helper plan "$file" "$stage")
	[ ${#lines[@]} -gt 0 ] || fail "cannot parse $file"
	df_reset
	eval "${lines[0]}" # STAGE: the base image
	make_base "$(suite_of "$df_image")"
	key=$base_key
	for i in "${!lines[@]}"; do
		local extra=
		if [[ ${lines[$i]} == "df 'COPY' "* ]]; then extra=$(eval "copy_key ${lines[$i]#df }"); fi
		key=$(printf '%s\n%s\n%s\n' "$key" "${lines[$i]}" "$extra" | sha256sum | cut -c1-16)
		keys[$i]=$key
		if [[ ${lines[$i]} == "df 'RUN_"* ]] && [ -f "$cache/layer-$name-$key.tar" ]; then start=$i; fi
	done
	safe_rm "$dir"
	mkdir -p "$dir"
	if [ $start -ge 0 ]; then
		tar --numeric-owner -C "$dir" -xf "$cache/layer-$name-${keys[$start]}.tar"
		replay_state="base $base_state; RUN layers cached"
	else
		tar --numeric-owner -C "$dir" -xf "$base_tar"
		replay_state="base $base_state; RUN layers built"
	fi
	rm -f "$dir/etc/resolv.conf" # like Docker: the host's resolver configuration
	cat /etc/resolv.conf >"$dir/etc/resolv.conf"
	df_reset
	replay_runs=0
	for i in "${!lines[@]}"; do
		if [ "$i" -le $start ]; then df_root=; else df_root=$dir; fi
		eval "${lines[$i]}"
		if [ "$i" -gt $start ] && [[ ${lines[$i]} == "df 'RUN_"* ]]; then
			replay_runs=$((replay_runs + 1))
			tar --numeric-owner -C "$dir" -cf "$cache/layer-$name-${keys[$i]}.tar.part" . &&
				mv "$cache/layer-$name-${keys[$i]}.tar.part" "$cache/layer-$name-${keys[$i]}.tar"
		fi
	done
	df_root=$dir
	# Keep only the layers of this build.
	local f k keep
	for f in "$cache/layer-$name-"*.tar; do
		[ -f "$f" ] || continue
		keep=
		for k in "${keys[@]}"; do [ "$f" = "$cache/layer-$name-$k.tar" ] && keep=1; done
		[ -n "$keep" ] || rm -f -- "$f"
	done
	# Every package of the lists the stage installs is installed.
	local p missing=()
	for p in $(for l in "${df_copied_lists[@]}"; do pkgs_of "$l"; done); do
		chroot "$dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] || fail "$name: packages not installed after the replay: ${missing[*]}"
}

http_code() { # URL [curl args...] -> prints the status; body in $work/body
	curl -sS -o "$work/body" -w '%{http_code}' --max-time 5 "$@" || echo 000
}
rand_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# ==== 1. package lists ===========================================================

say "Dockerfile docker/Dockerfile, build context $src, binary $bin"
section 1/6 "package lists"
dockerfiles=("$dockerfile")
[ -f "$sipfile" ] && dockerfiles+=("$sipfile")
declare -A list_users=()
for f in "${dockerfiles[@]}"; do
	rel=${f#"$src"/}
	while IFS='|' read -r idx name image; do
		df_reset
		df_load "$f" "$idx"
		for r in "${df_runs[@]}"; do
			if grep -Eq '(apt-get|apt|aptitude)[[:space:]]+(-[^[:space:]]+[[:space:]]+)*install' <<<"$r"; then
				fail "$rel stage ${name:-$idx}: RUN installs packages directly; use scripts/deps.sh with a docker/packages-*.txt list: $r"
			fi
		done
		for l in "${df_copied_lists[@]}"; do
			printf '%s\n' "${df_runs[@]}" | grep -Eq "deps\.sh[[:space:]]+([a-z]+[[:space:]]+)*$l([[:space:]]|$)" ||
				fail "$rel stage ${name:-$idx}: copies docker/packages-$l.txt but no RUN installs it with scripts/deps.sh"
			list_users[$l]+="$rel:${name:-$idx} "
		done
	done < <(helper stages "$f")
done
[ ${#list_users[@]} -gt 0 ] || fail "the Dockerfiles install no docker/packages-*.txt list"
ok "no RUN installs packages by name; lists installed with scripts/deps.sh:$(for l in "${!list_users[@]}"; do printf ' %s (%s)' "packages-$l.txt" "${list_users[$l]% }"; done)"

if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then apt-get update -qq; fi
# One apt-cache call for all packages (each call reads the whole cache).
all_pkgs=()
for l in "${!list_users[@]}"; do mapfile -t -O ${#all_pkgs[@]} all_pkgs < <(pkgs_of "$l"); done
policy=$(apt-cache policy "${all_pkgs[@]}" 2>/dev/null)
for l in $(printf '%s\n' "${!list_users[@]}" | sort); do
	for p in $(pkgs_of "$l"); do
		pol=$(awk -v p="$p:" '/^[^ ]/ { on = ($0 == p) } on' <<<"$policy")
		cand=$(awk '/Candidate:/ { print $2; exit }' <<<"$pol")
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			fail "docker/packages-$l.txt: package $p does not exist here (apt-cache policy $p: no candidate)"
		fi
		grep -Eq '[[:space:]](bookworm|bookworm-updates|bookworm-security)/main[[:space:]]' <<<"$pol" ||
			fail "docker/packages-$l.txt: $p $cand is not in Debian bookworm main (apt-cache policy $p)"
	done
	ok "docker/packages-$l.txt ($(pkgs_of "$l" | wc -l)): $(echo $(pkgs_of "$l")): all have a candidate in Debian bookworm main"
done
apt-cache show --no-all-versions "${all_pkgs[@]}" >/dev/null 2>&1 || fail "apt-cache show ${all_pkgs[*]} failed"
ok "apt-cache show finds all ${#all_pkgs[@]} packages"

# ==== 2. the recipe ================================================================

section 2/6 "recipe"
mapfile -t stage_lines < <(helper stages "$dockerfile")
[ ${#stage_lines[@]} -ge 2 ] || fail "docker/Dockerfile is not multi-stage"
for line in "${stage_lines[@]}"; do
	IFS='|' read -r idx name image <<<"$line"
	[ "$image" = debian:bookworm-slim ] || fail "stage ${name:-$idx} is FROM $image, expected debian:bookworm-slim"
done
build_stage=$(cut -d"|" -f2 <<<"${stage_lines[0]}")
[ -n "$build_stage" ] || fail "the first stage has no name (FROM ... AS build)"
ok "multi-stage: ${#stage_lines[@]} stages, all FROM debian:bookworm-slim (build stage \"$build_stage\")"
df_reset
df_load "$dockerfile" ""
runtime_lists=("${df_copied_lists[@]}")
[[ " ${runtime_lists[*]} " == *" runtime "* ]] || fail "the runtime stage does not install docker/packages-runtime.txt"
[[ " ${runtime_lists[*]} " != *" build "* ]] || fail "the runtime stage installs the build package list"
[ "$df_user" != root ] && [ "${df_user%%:*}" != 0 ] && [ -n "$df_user" ] || fail "the runtime stage runs as root (USER)"
ok "runtime stage: package lists ${runtime_lists[*]}; USER $df_user"
for want in 8080/tcp 5060/udp 5060/tcp 20000-20999/udp; do
	[[ " ${df_expose[*]} " == *" $want "* ]] || fail "EXPOSE lacks $want (has: ${df_expose[*]})"
done
ok "EXPOSE ${df_expose[*]}"
for want in /var/lib/roomgate/recordings /etc/roomgate; do
	[[ " ${df_volumes[*]} " == *" $want "* ]] || fail "VOLUME lacks $want (has: ${df_volumes[*]})"
done
ok "VOLUME ${df_volumes[*]}"
[ ${#df_health[@]} -gt 0 ] || fail "no HEALTHCHECK"
ok "HEALTHCHECK $df_health_opts CMD ${df_health[*]}"
[ ${#df_entrypoint[@]} -gt 0 ] || fail "no ENTRYPOINT"
ok "ENTRYPOINT ${df_entrypoint[*]}${df_cmd[*]:+ CMD ${df_cmd[*]}}"
suite=$(suite_of "$df_image")
vars=$( (grep -o '"ROOMGATE_[A-Z_]*"' "$src/gateway/core/config.c" | tr -d '"'
	grep -o 'ROOMGATE_[A-Z_]*_FILE' "$src/docker/entrypoint.sh") | sort -u)
for v in $vars; do
	grep -q "\b$v\b" "$src/docs/deployment.md" 2>/dev/null || fail "docs/deployment.md does not describe $v"
done
ok "docs/deployment.md describes all $(echo "$vars" | wc -l) variables (gateway/core/config.c, docker/entrypoint.sh)"

# ==== 3. build stage ===============================================================

section 3/6 "build stage"
bs_root=$work/build-context
safe_rm "$bs_root"
mkdir -p "$bs_root"
df_reset
df_root=$bs_root df_copy_only=1
df_load "$dockerfile" "$build_stage"
bs_workdir=$df_workdir
bs_flags=$(printf '%s\n' "${df_runs[@]}" | grep -o -- '-D[A-Z_]*=[^[:space:]]*' | tr '\n' ' ')
[[ " $bs_flags " == *" -DROOMGATE_TESTS=OFF "* ]] || fail "the build stage does not configure with -DROOMGATE_TESTS=OFF"
t0=$SECONDS
if ! { cmake -S "$bs_root$bs_workdir" -B "$work/build-context.out" $bs_flags &&
	cmake --build "$work/build-context.out" -j"$(nproc)"; } >"$work/build-context.log" 2>&1; then
	tail -n 30 "$work/build-context.log" >&2
	fail "roomgate does not build from the files the build stage COPYs (log: $work/build-context.log)"
fi
"$work/build-context.out/roomgate" --version >/dev/null || fail "the build-context binary does not run"
ok "the build stage's COPY set ($(cd "$bs_root$bs_workdir" && find . -type f | wc -l) files after .dockerignore) builds roomgate with $bs_flags($((SECONDS - t0)) s)"
safe_rm "$work/build-context.out"
safe_rm "$bs_root"

# ==== 4. runtime root filesystem ===================================================

section 4/6 "runtime root filesystem"
t0=$SECONDS
if [ "${DOCKER_CHECK_BUILD_STAGE:-0}" = 1 ]; then
	replay "$dockerfile" "$build_stage" build-stage
	[ -x "$work/build-stage/src/build/roomgate" ] || fail "the replayed build stage produced no /src/build/roomgate"
	ok "build stage replayed in a chroot with docker/packages-build.txt ($replay_state; $replay_runs RUN executed; $((SECONDS - t0)) s)"
	df_from_root[$build_stage]=$work/build-stage
	bin_note="from the replayed build stage"
else
	# COPY --from=build reads /src/build/roomgate: BUILD_DIR/roomgate, stripped
	# as the build stage strips it.
	from=$work/from-build
	safe_rm "$from"
	mkdir -p "$from/src/build"
	strip --strip-unneeded -o "$from/src/build/roomgate" "$bin"
	df_from_root[$build_stage]=$from
	bin_note="$bin, stripped"
fi

t0=$SECONDS
replay "$dockerfile" "" rootfs
root=$work/rootfs
ok "runtime stage replayed on debootstrap --variant=minbase $suite: $df_n instructions ($replay_state; $replay_runs RUN executed in a chroot; binary: $bin_note; $((SECONDS - t0)) s)"
ok "packages installed by scripts/deps.sh in the image: $(for l in "${df_copied_lists[@]}"; do echo $(pkgs_of "$l"); done)"

ep=${df_entrypoint[0]}
[ -x "$root$ep" ] || fail "ENTRYPOINT $ep is not an executable file in the image"
[ -x "$root/usr/local/bin/roomgate" ] || fail "/usr/local/bin/roomgate missing in the image"
[ -n "$(find "$root/usr/share/roomgate/web" -maxdepth 0 -type d 2>/dev/null)" ] || fail "/usr/share/roomgate/web missing"
cmp -s "$src/config/roomgate.jsonc" "$root/usr/share/roomgate/roomgate.jsonc" || fail "/usr/share/roomgate/roomgate.jsonc differs from config/roomgate.jsonc"
if [ -z "$(ls -A "$root/etc/roomgate")" ]; then :; else fail "/etc/roomgate is not empty in the image (it is the config volume)"; fi
ok "files in place: /usr/local/bin/roomgate, $ep, /usr/share/roomgate/{web/,roomgate.jsonc}, empty /etc/roomgate"
ldd_out=$(ns_run "$root" /usr/bin/ldd /usr/local/bin/roomgate 2>&1) || fail "ldd failed in the image: $ldd_out"
! grep -q 'not found' <<<"$ldd_out" || fail "libraries missing in the image: $(grep 'not found' <<<"$ldd_out" | tr '\n' ' ')"
ok "ldd: all $(grep -c '=>' <<<"$ldd_out") shared libraries of roomgate resolve inside the image"
user_line=$(awk -F: -v u="${df_user%%:*}" '$1 == u || $3 == u' "$root/etc/passwd")
run_uid=$(cut -d: -f3 <<<"$user_line")
[ -n "$run_uid" ] && [ "$run_uid" != 0 ] || fail "USER $df_user does not resolve to a non-root user in the image"
ok "USER $df_user is $user_line"
size_all=$(du -sm --one-file-system "$root" | cut -f1)
size_docs=$(du -smc "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/usr/share/info" 2>/dev/null | tail -n 1 | cut -f1)
ok "image size estimate: ${size_all} MB (minbase; $((size_all - size_docs)) MB without docs, man pages and locales, which -slim omits)"

# ==== 5. container run ================================================================

section 5/6 "container (entrypoint, environment only)"
if [ ! -f "$src/tests/integration/node_modules/ws/package.json" ]; then
	say "installing the WebSocket client for the login check (cd tests/integration && npm ci)"
	(cd "$src/tests/integration" && npm ci --no-audit --no-fund --loglevel=error) >/dev/null ||
		fail "npm ci in tests/integration failed"
fi
image_env=("${df_env[@]}")
run_env() { # NAME VAR=VALUE...: the image's ENV plus `docker run -e` variables
	local -n run_env_dest=$1
	shift
	run_env_dest=("${image_env[@]}" "$@")
}
port=$(helper free-port)
secret=$(rand_hex 16)
admin_key=$(rand_hex 24)
app_id=424242
url=http://127.0.0.1:$port

# Refusal: 0.0.0.0 without secrets.
run_env env_noauth "ROOMGATE_HTTP_LISTEN=0.0.0.0:$port"
if out=$(in_container --timeout 20 "$root" "$df_user" "$df_workdir" env_noauth "${df_entrypoint[@]}" "${df_cmd[@]}" 2>&1); then
	fail "the entrypoint started with ROOMGATE_HTTP_LISTEN=0.0.0.0:$port and no secrets: $out"
fi
grep -q 'ROOMGATE_SERVER_SECRET' <<<"$out" && grep -q 'ROOMGATE_ADMIN_KEY' <<<"$out" ||
	fail "0.0.0.0 without secrets failed, but without naming ROOMGATE_SERVER_SECRET and ROOMGATE_ADMIN_KEY: $out"
ok "0.0.0.0 without secrets is refused: $(head -c 120 <<<"$out")..."

# Refusal on loopback too: the built-in configuration's example secrets are public.
run_env env_loop "ROOMGATE_HTTP_LISTEN=127.0.0.1:$port" "ROOMGATE_ADMIN_KEY=$admin_key"
if out=$(in_container --timeout 20 "$root" "$df_user" "$df_workdir" env_loop "${df_entrypoint[@]}" "${df_cmd[@]}" 2>&1); then
	fail "the entrypoint started without ROOMGATE_SERVER_SECRET on 127.0.0.1: $out"
fi
grep -q 'ROOMGATE_SERVER_SECRET is not set' <<<"$out" || fail "127.0.0.1 without ROOMGATE_SERVER_SECRET: unexpected output: $out"
ok "127.0.0.1 without ROOMGATE_SERVER_SECRET is refused as well"

# Refusal by the server: the example values of config/roomgate.jsonc.
run_env env_example "ROOMGATE_HTTP_LISTEN=0.0.0.0:$port" ROOMGATE_SERVER_SECRET=0123456789abcdef0123456789abcdef \
	"ROOMGATE_ADMIN_KEY=$admin_key"
if out=$(in_container --timeout 20 "$root" "$df_user" "$df_workdir" env_example "${df_entrypoint[@]}" "${df_cmd[@]}" 2>&1); then
	fail "the server started on 0.0.0.0 with the example server_secret: $out"
fi
grep -q 'server_secret: still the example value' <<<"$out" || fail "example secret on 0.0.0.0: unexpected output: $out"
ok "0.0.0.0 with the example server_secret is refused by roomgate"

# The configuration the checks below use: environment variables only, the admin
# key as a Docker secret file.
helper mkdir "$root" /run/secrets
printf '%s\n' "$admin_key" >"$root/run/secrets/roomgate_admin_key"
chown "$run_uid" "$root/run/secrets/roomgate_admin_key"
chmod 0400 "$root/run/secrets/roomgate_admin_key"
run_env env_main "ROOMGATE_HTTP_LISTEN=127.0.0.1:$port" "ROOMGATE_APP_ID=$app_id" \
	"ROOMGATE_SERVER_SECRET=$secret" ROOMGATE_ADMIN_KEY_FILE=/run/secrets/roomgate_admin_key \
	ROOMGATE_MEDIA_ADDRESS=127.0.0.1 ROOMGATE_PUBLIC_ADDRESS=203.0.113.10 ROOMGATE_RTP_PORTS=20000-20999 \
	ROOMGATE_MEDIA_WORKERS=1 ROOMGATE_LOG_LEVEL=info,http=info ROOMGATE_LEGACY_CBC_TOKENS=false

out=$(in_container "$root" "$df_user" "$df_workdir" env_main "${df_entrypoint[@]}" --check-config 2>&1) ||
	fail "entrypoint --check-config: $out"
ok "entrypoint --check-config (environment only): $out"

out=$(in_container "$root" "$df_user" "$df_workdir" env_main "${df_entrypoint[@]}" token --app-id "$app_id" \
	--secret "$secret" --user u2 --room r1 2>&1) || fail "entrypoint token: $out"
[[ $out == 04* ]] || fail "entrypoint token printed $out"
ok "entrypoint token ... prints a Token04 token"

# A mounted configuration file is picked up (then removed again).
cat >"$root/etc/roomgate/roomgate.jsonc" <<EOF
// written by docker/check.sh
{ "app_id": $app_id, "server_secret": "$secret", "admin_key": "$admin_key",
  "http": { "listen": "0.0.0.0:$port" } }
EOF
run_env env_file
out=$(in_container "$root" "$df_user" "$df_workdir" env_file "${df_entrypoint[@]}" --check-config 2>&1) ||
	fail "entrypoint --check-config with /etc/roomgate/roomgate.jsonc: $out"
grep -q '^/etc/roomgate/roomgate.jsonc: configuration OK' <<<"$out" || fail "config file not used: $out"
rm -f "$root/etc/roomgate/roomgate.jsonc"
ok "a file mounted at /etc/roomgate/roomgate.jsonc is used: $out"

# The server, from here on with a read-only root filesystem (docker run
# --read-only, as in docker/compose.yaml): only the volumes and /tmp are writable.
ic_ro=$(IFS=:; echo "${df_volumes[*]}")
container_cmd "$root" "$df_user" "$df_workdir" env_main "${df_entrypoint[@]}" "${df_cmd[@]}"
bg "${ic_cmd[@]}" >"$work/server.log" 2>&1
ns_pid=$bg_pid # unshare; its only child is the container's PID 1
srv_pid=
for _ in $(seq 100); do
	alive "$ns_pid" || { cat "$work/server.log" >&2; fail "the container exited at start"; }
	[ -n "$srv_pid" ] || srv_pid=$(pgrep -P "$ns_pid" | head -n 1 || true)
	[ "$(http_code "$url/healthz" 2>/dev/null)" = 200 ] && break
	sleep 0.1
done
[ "$(http_code "$url/healthz")" = 200 ] || { cat "$work/server.log" >&2; fail "GET /healthz: no 200 within 10 s"; }
grep -q '"status":"ok"' "$work/body" || fail "GET /healthz: $(cat "$work/body")"
ok "GET /healthz: 200 $(cat "$work/body")"

[ -n "$srv_pid" ] || fail "cannot find the container's PID 1"
exe=$(readlink "/proc/$srv_pid/exe")
[ "$exe" = "$root/usr/local/bin/roomgate" ] || fail "PID 1 of the container is $exe, not roomgate (the entrypoint must exec it)"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$srv_pid/status")
[ "$uids" = "$run_uid $run_uid $run_uid $run_uid" ] || fail "roomgate runs with uids $uids, expected $run_uid"
ok "PID 1 is /usr/local/bin/roomgate (exec'd by the entrypoint), uid $run_uid, no root"
grep -q "listening on http://127.0.0.1:$port (config <built-in" "$work/server.log" ||
	fail "server log lacks the expected start line: $(head -n 5 "$work/server.log")"
grep -q "app_id $app_id" "$work/server.log" || fail "ROOMGATE_APP_ID not applied: $(head -n 5 "$work/server.log")"

code=$(http_code "$url/v1/rooms")
[ "$code" = 401 ] || fail "GET /v1/rooms without the admin key: $code, expected 401"
code=$(http_code "$url/v1/rooms" -H "Authorization: Bearer $admin_key")
[ "$code" = 200 ] || fail "GET /v1/rooms with the admin key (from ROOMGATE_ADMIN_KEY_FILE): $code $(cat "$work/body")"
ok "GET /v1/rooms: 401 without the key, 200 with the key from ROOMGATE_ADMIN_KEY_FILE: $(cat "$work/body")"

code=$(http_code "$url/v1/tokens" -X POST -H "Authorization: Bearer $admin_key" \
	-H 'Content-Type: application/json' -d '{"user_id":"u1","room_id":"r1","ttl_s":300}')
[ "$code" = 200 ] || fail "POST /v1/tokens: $code $(cat "$work/body")"
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$work/body")
[ -n "$token" ] || fail "POST /v1/tokens: no token in $(cat "$work/body")"
ok "POST /v1/tokens: 200, token for u1 in r1"
out=$(helper ws-login "$url" "$admin_key" r1 u1 "$token") || fail "WebSocket login: $out"
ok "WebSocket /ws: $out"

code=$(http_code "$url/metrics")
[ "$code" = 200 ] && grep -q '^roomgate_rooms ' "$work/body" || fail "GET /metrics: $code"
grep -q '^roomgate_logins_total{result="ok"} 1' "$work/body" || fail "GET /metrics: no successful login counted"
ok "GET /metrics: 200, roomgate_logins_total{result=\"ok\"} 1"
code=$(http_code "$url/dev/token?user_id=u9")
[ "$code" = 404 ] || fail "GET /dev/token: $code; the container default must disable it"
ok "GET /dev/token: 404 (ROOMGATE_DEV_TOKEN_ENDPOINT=false by default)"

static=$(cd "$root/usr/share/roomgate/web" && find sdk demo -type f ! -path '*/.*' 2>/dev/null | grep -E '^[A-Za-z0-9/._-]+$' | sort | head -n 1 || true)
if [ -n "$static" ]; then
	code=$(http_code "$url/$static")
	[ "$code" = 200 ] && cmp -s "$work/body" "$src/web/$static" || fail "GET /$static: $code or different content"
	ok "GET /$static: 200, same bytes as web/$static (ROOMGATE_WEB_ROOT default)"
else
	ok "static files: web/ has no files under sdk/ or demo/ yet; GET skipped"
fi

probe_env=()
out=$(in_container "$root" "$df_user" "$df_workdir" probe_env /bin/sh -c \
	'p=/var/lib/roomgate/recordings/.docker-check; echo x > "$p" && rm "$p" && echo x > /tmp/probe' 2>&1) ||
	fail "read-only root: the recordings volume or /tmp is not writable by $df_user: $out"
out=$(in_container "$root" root / probe_env /bin/sh -c 'touch /usr/share/roomgate/probe' 2>&1) &&
	fail "read-only root: root could write /usr/share/roomgate"
grep -q 'Read-only file system' <<<"$out" || fail "read-only root: unexpected error: $out"
ok "read-only root filesystem (as in docker/compose.yaml): roomgate runs; /var/lib/roomgate/recordings and /tmp are writable by $df_user; other paths give EROFS"

out=$(in_container "$root" "$df_user" "$df_workdir" env_main "${df_health[@]}" 2>&1) ||
	fail "HEALTHCHECK ${df_health[*]} failed while the server runs: $out"
ok "HEALTHCHECK command exits 0 while the server runs"

kill -TERM "$srv_pid"
t0=$SECONDS
rc=0
wait_for "$ns_pid" 15 2>/dev/null || rc=$?
[ $((SECONDS - t0)) -lt 15 ] || fail "the server did not stop within 15 s of SIGTERM"
[ "$rc" = 0 ] || { tail -n 20 "$work/server.log" >&2; fail "the server exited with status $rc after SIGTERM"; }
grep -q 'stopped' "$work/server.log" || fail "no \"stopped\" line in the server log"
ok "SIGTERM to PID 1: roomgate stopped cleanly (exit 0)"
if out=$(in_container "$root" "$df_user" "$df_workdir" env_main "${df_health[@]}" 2>&1); then
	fail "HEALTHCHECK succeeded with the server stopped"
fi
ok "HEALTHCHECK command fails once the server is stopped: $(tail -n 1 <<<"$out")"

ic_ro=

# ==== optional: the SIP test phone ==================================================

if [ "${DOCKER_CHECK_SIPPHONE:-0}" = 1 ]; then
	section "5b/6" "SIP test phone (docker/Dockerfile.sipphone)"
	t0=$SECONDS
	replay "$sipfile" "" sipphone
	ok "sipphone image replayed: $(for l in "${df_copied_lists[@]}"; do echo $(pkgs_of "$l"); done) ($replay_state; $((SECONDS - t0)) s)"
	sip_port=$(helper free-port)
	helper sip-listen "$sip_port" 15 >"$work/sip.out" 2>&1 &
	listen_pid=$! # exits by itself within 15 s
	sleep 0.3
	sip_env=("${df_env[@]}" "SIPPHONE_TARGET=sip:r1@127.0.0.1:$sip_port" SIPPHONE_SECONDS=10)
	container_cmd "$work/sipphone" "$df_user" "$df_workdir" sip_env "${df_entrypoint[@]}" "${df_cmd[@]}"
	bg "${ic_cmd[@]}" >"$work/sipphone.log" 2>&1
	phone_pid=$bg_pid
	wait "$listen_pid" || { tail -n 30 "$work/sipphone.log" >&2; fail "the SIP phone sent no request: $(cat "$work/sip.out")"; }
	kill_tree "$phone_pid"
	wait "$phone_pid" 2>/dev/null || true
	grep -q "^INVITE sip:r1@127.0.0.1:$sip_port SIP/2.0" "$work/sip.out" ||
		fail "the SIP phone sent $(cat "$work/sip.out"), expected an INVITE"
	ok "the phone dials: $(cat "$work/sip.out")"
	safe_rm "$work/sipphone"
fi

# ==== 6. cleanup =====================================================================

section 6/6 cleanup
m=$(mounts_under "$work")
[ -z "$m" ] || fail "mounts left under $work: $m"
ok "no mounts under $work (all were made in private mount namespaces)"
safe_rm "$root"
safe_rm "$work/build-stage"
safe_rm "$work/from-build"
rm -f "$work/body"
ok "removed the root filesystem; cached tarballs kept in $cache ($(du -sh "$cache" | cut -f1))"
say "PASSED: $n_ok checks in $((SECONDS - t_start)) s"
