#!/usr/bin/env bash
# The README's first command: install what tsrun needs on Debian 12 (as root), build it,
# install its man pages and shell completion, and run a demo container from an embedded
# default bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PKGS=(busybox-static runc crun libseccomp-dev containerd podman conmon build-essential python3 strace iproute2 procps util-linux bsdutils man-db uidmap)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
scripts/install-docs.sh /usr/local   # man pages and bash/zsh completion: `man tsrun`
node scripts/demo.mjs
