#!/bin/sh
# install-docs.sh [PREFIX]: the man pages and shell completion the build made (man/, completion/)
# into PREFIX (default /usr/local): `man tsrun`, `man tsrun-create`, ..., and completion of a
# tsrun on PATH in bash (bash-completion) and zsh.
set -eu
cd "$(dirname "$0")/.."
PREFIX=${1:-/usr/local}
[ -f man/tsrun.8 ] || { echo "install-docs.sh: man/tsrun.8 missing: run npm run build:docs" >&2; exit 1; }
install -d "$PREFIX/share/man/man8" "$PREFIX/share/bash-completion/completions" "$PREFIX/share/zsh/site-functions"
install -m 0644 man/*.8 "$PREFIX/share/man/man8/"
install -m 0644 completion/tsrun.bash "$PREFIX/share/bash-completion/completions/tsrun"
install -m 0644 completion/_tsrun "$PREFIX/share/zsh/site-functions/_tsrun"
