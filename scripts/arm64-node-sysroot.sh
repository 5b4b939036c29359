#!/usr/bin/env bash
# An arm64 Node for testing the arm64 prebuild under qemu-user on an x86_64 Debian host
# (test/e2e/clean-install.test.ts): Debian's nodejs:arm64 and its libraries, fetched with
# apt-get download and unpacked (dpkg -x) into a directory; nothing is installed. Needs
# `dpkg --add-architecture arm64 && apt-get update` first (.ci/run does it).
#   scripts/arm64-node-sysroot.sh [DIR]      (default: build-prebuild/arm64-node)
# Run as qemu-aarch64-static -L DIR DIR/usr/bin/node ...  (Debian 12: Node 18, N-API 8 loads)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath -m "${1:-build-prebuild/arm64-node}")
PKGS=(nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 libc6:arm64 libicu72:arm64
  libnghttp2-14:arm64 libssl3:arm64 libstdc++6:arm64 libgcc-s1:arm64 libuv1:arm64 zlib1g:arm64
  libseccomp2:arm64 node-acorn node-cjs-module-lexer node-undici)
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
(cd "$debs" && apt-get download -qq "${PKGS[@]}")
rm -rf "$DIR.tmp" && mkdir -p "$DIR.tmp"
for d in "$debs"/*.deb; do dpkg -x "$d" "$DIR.tmp"; done
rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
echo "arm64 node sysroot: $DIR ($(du -sh "$DIR" | cut -f1))"
