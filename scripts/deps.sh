#!/usr/bin/env bash
# Install (as root) or list (otherwise) the Debian packages named in docker/packages-*.txt.
# Usage: scripts/deps.sh build|runtime|test ...
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
missing=()
for list in "$@"; do
  while read -r pkg; do
    pkg=${pkg%%#*}; pkg=$(echo "$pkg" | tr -d '[:space:]')
    [ -z "$pkg" ] && continue
    case "$pkg" in
      # a Node.js installed outside Debian (nodesource, nvm) serves as well
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < "$here/docker/packages-$list.txt"
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "deps: missing Debian packages; run as root:" >&2
  echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
