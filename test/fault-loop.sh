#!/bin/bash
# The fault suite N times in a row (issue 13: it must pass 20 times in a row on a loaded host),
# optionally under a CPU hog: one busy loop pinned to each CPU (taskset), started before the
# first run and stopped after the last. Prints one line per run and the totals; the jest output
# of a failed run is kept in the log directory. Run as root from the repository, after a build.
#
#   test/fault-loop.sh [-n RUNS] [--hog] [--logs DIR] [-- JEST ARGS...]
#   npm run test:fault-loop -- -n 20 --hog
set -u
runs=20 hog=0 logs=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    --hog) hog=1; shift ;;
    --logs) logs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-n RUNS] [--hog] [--logs DIR] [-- JEST ARGS...]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.." || exit 1
logs=${logs:-$(mktemp -d /tmp/fault-loop.XXXXXX)}
mkdir -p "$logs"

hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; hogs=(); }
trap 'stop_hogs' EXIT
trap 'exit 130' INT TERM
if [ "$hog" = 1 ]; then
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    hogs+=($!)
  done
fi

unset NODE_EXTRA_CA_CERTS
passed=0 t0=$(date +%s)
for i in $(seq 1 "$runs"); do
  s=$(date +%s)
  log="$logs/run-$i.log"
  npx jest --runInBand test/e2e/fault.test.ts "$@" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - s))
  tests=$(grep -E '^Tests:' "$log" | tail -1)
  deletes=$(grep -o 'fault suite: .*' "$log" | tail -1)
  if [ $rc = 0 ]; then
    passed=$((passed + 1)); rm -f "$log"
    echo "run $i/$runs: pass ${took}s ($tests) $deletes"
  else
    echo "run $i/$runs: FAIL ${took}s ($tests) log $log"
    grep -E '^\s+✕' "$log" | sed 's/^/    /'
  fi
done
echo "fault loop: $passed/$runs passed in $(($(date +%s) - t0))s$([ "$hog" = 1 ] && echo " under a CPU hog ($(nproc) busy loops)")"
[ "$passed" = "$runs" ]
