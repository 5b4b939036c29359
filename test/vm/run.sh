#!/usr/bin/env bash
# test/vm/run.sh [options] [JEST ARGS...]
#
# Runs a jest selection (default: the whole suite, unit + e2e) inside a throw-away guest that is
# a pure cgroup v2 host with systemd as PID 1 (the v2vm tooling of ../shared/v2vm: user-mode
# Linux by default, QEMU with --qemu), as root, with this checkout's build. Nothing is built in
# the guest: build on the host first (npm run build). The checkout is snapshotted (node_modules
# hard-linked) under the guest's shared directory, so the host may keep editing and rebuilding
# while the guest runs, and a checkout under /tmp (hidden from the guest) works too.
#
# Skips (exit 0, "SKIP: <reason>" on stderr) when the guest cannot be had: no v2vm tooling
# installed in /tmp/v2vm and none in $TSRUN_V2VM (default ../shared/v2vm) to install from,
# not root, or the guest cannot boot (e.g. no /dev/shm for user-mode Linux). --require turns
# these into failures (exit 2).
#
# TSRUN_SHARED: the ../shared directory to show the guest next to the snapshot (default:
# ../shared next to this checkout), for the client flows of clients.test.ts.
# Options:
#   --qemu             QEMU guest (all controllers incl. cpuset/hugetlb, PSI, time namespaces; ~30x slower)
#   -t SECONDS         kill the guest after this long (default 3000)
#   --keep             keep the snapshot and results directory
#   --require          fail instead of skipping when no guest is available
#   --install          install the v2vm tooling (apt packages, guest kernel) when missing (root)
# Results: <dir>/results.json (jest --json), <dir>/jest.log; a summary is printed, with every
# skipped test and the reason in its name. Exit status: jest's.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
V2VM=/tmp/v2vm
SRC=${TSRUN_V2VM:-$ROOT/../shared/v2vm}
BACKEND=--uml; TMO=3000; KEEP=0; REQUIRE=0; INSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --qemu) BACKEND=--qemu; shift;;
    --uml) BACKEND=--uml; shift;;
    -t) TMO=$2; shift 2;;
    --keep) KEEP=1; shift;;
    --require) REQUIRE=1; shift;;
    --install) INSTALL=1; shift;;
    -h|--help) awk 'NR>1 && /^#/{sub(/^# ?/,""); print; next} NR>1{exit}' "$0"; exit 0;;
    --) shift; break;;
    *) break;;
  esac
done
JEST_ARGS=("$@")

skip() {
  echo "SKIP: guest tests not run: $*" >&2
  [ $REQUIRE = 1 ] && exit 2
  exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root (the guest runs as an ordinary process, but its job runs containers as root and the tooling installs packages)"
if [ ! -x $V2VM/run-in-v2.sh ] || [ ! -f $V2VM/uml/initramfs-uml.cpio.gz ]; then
  if [ -x "$SRC/install.sh" ] && [ $INSTALL = 1 ]; then
    echo "[vm] installing the v2vm guest tooling from $SRC" >&2
    "$SRC/install.sh" >&2 || skip "installing the v2vm tooling from $SRC failed (see above)"
  elif [ -x "$SRC/install.sh" ]; then
    skip "the v2vm tooling is not installed in $V2VM (run $SRC/install.sh, or this script with --install)"
  else
    skip "no v2vm tooling: $V2VM/run-in-v2.sh is missing and $SRC (set TSRUN_V2VM) has no install.sh"
  fi
fi
[ $BACKEND = --uml ] && { [ -x /usr/bin/linux.uml ] || skip "user-mode Linux (/usr/bin/linux.uml) is not installed"; [ -d /dev/shm ] && [ -w /dev/shm ] || skip "/dev/shm is missing or read-only (user-mode Linux keeps guest memory there)"; }
[ $BACKEND = --qemu ] && { command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"; }
[ -f "$ROOT/build/Release/tsrun.node" ] && [ -f "$ROOT/dist/tsrun.js" ] || { echo "[vm] not built: run npm run build first" >&2; exit 2; }

ID=$(date +%Y%m%d-%H%M%S)-$$
RUN=$V2VM/tsrun-vm/$ID
TREE=$RUN/tree
mkdir -p "$TREE"
cleanup() { [ $KEEP = 1 ] && { echo "[vm] kept $RUN" >&2; return; }; rm -rf "$RUN"; }
trap cleanup EXIT
# Snapshot: everything but .git and node_modules copied, node_modules hard-linked (same
# filesystem) or copied.
T0=$(date +%s.%N)
tar -C "$ROOT" --exclude=./.git --exclude=./node_modules -cf - . | tar -C "$TREE" -xf - || { echo "[vm] snapshot failed" >&2; exit 2; }
cp -al "$ROOT/node_modules" "$TREE/node_modules" 2>/dev/null || cp -a "$ROOT/node_modules" "$TREE/node_modules" || { echo "[vm] snapshot of node_modules failed" >&2; exit 2; }
printf '[vm] snapshot of %s in %.1fs\n' "$ROOT" "$(echo "$(date +%s.%N) - $T0" | bc)" >&2
# ../shared next to the snapshot (the client flows of clients.test.ts), as next to the checkout
SHARED=${TSRUN_SHARED:-$ROOT/../shared}
[ -d "$SHARED" ] && ln -s "$(readlink -f "$SHARED")" "$RUN/shared"

# The guest's job: jest as root, per-test timeout raised (fork/exec is ~5x slower under UML,
# ~30x under QEMU), jest's transform cache kept across runs in the shared directory.
ARGS=$(printf '%q ' "${JEST_ARGS[@]}")
CACHE=$V2VM/tsrun-vm/jest-cache
mkdir -p "$CACHE"
cat > "$RUN/job.sh" <<EOF
set -u
cd $(printf %q "$TREE")
unset NODE_EXTRA_CA_CERTS
export TSRUN_GUEST=v2vm CI=\${CI:-}
echo "[guest] \$(uname -r), pid 1: \$(ps -p 1 -o comm=), cgroup: \$(stat -f -c %T /sys/fs/cgroup) controllers: \$(cat /sys/fs/cgroup/cgroup.controllers), systemd: \$(systemctl is-system-running 2>&1)"
T0=\$(date +%s)
npx jest --runInBand --testTimeout=600000 --cacheDirectory $(printf %q "$CACHE") --json --outputFile=$(printf %q "$RUN/results.json") $ARGS > $(printf %q "$RUN/jest.log") 2>&1
rc=\$?
echo "[guest] jest exit status \$rc after \$((\$(date +%s) - T0))s"
exit \$rc
EOF
echo "[vm] booting the guest ($BACKEND); jest ${JEST_ARGS[*]:-(whole suite)}" >&2
T1=$(date +%s)
$V2VM/run-in-v2.sh $BACKEND -t "$TMO" "bash $RUN/job.sh"
RC=$?
T2=$(date +%s)
if [ ! -s "$RUN/results.json" ]; then
  tail -n 60 "$RUN/jest.log" 2>/dev/null >&2
  if [ $RC = 124 ]; then echo "[vm] the guest timed out or did not boot (exit 124)" >&2; fi
  [ $RC = 0 ] && RC=1
  [ -f "$RUN/jest.log" ] || { [ $REQUIRE = 1 ] && exit 2; echo "SKIP: guest tests not run: the guest did not run the job (run-in-v2.sh exit $RC)" >&2; exit 0; }
  exit $RC
fi
node - "$RUN/results.json" "$RC" "$((T2 - T1))" <<'EOF'
const fs = require('fs');
const [file, rc, wall] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const rel = (p) => p.replace(/^.*\/tree\//, '');
const skipped = [];
const failed = [];
for (const f of r.testResults) {
  for (const t of f.assertionResults) {
    const name = `${rel(f.name)} › ${t.fullName}`;
    if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') skipped.push(name);
    else if (t.status === 'failed') failed.push(name);
  }
  if (f.status === 'failed' && !f.assertionResults.some((t) => t.status === 'failed')) failed.push(`${rel(f.name)}: ${(f.message || '').split('\n').find((l) => l.trim()) || 'failed to run'}`);
}
const secs = (f) => ((f.endTime - f.startTime) / 1000).toFixed(1);
console.log('[vm] slowest files in the guest:');
for (const f of [...r.testResults].sort((a, b) => (b.endTime - b.startTime) - (a.endTime - a.startTime)).slice(0, 8)) console.log(`  ${secs(f).padStart(7)}s  ${rel(f.name)}`);
console.log(`[vm] skipped in the guest (${skipped.length}), each with its reason in the name:`);
for (const s of skipped) console.log(`  - ${s}`);
if (failed.length) { console.log(`[vm] FAILED in the guest (${failed.length}):`); for (const s of failed) console.log(`  x ${s}`); }
console.log(`[vm] guest suite: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped of ${r.numTotalTests} in ${r.numTotalTestSuites} files; wall ${wall}s (boot included); jest exit ${rc}`);
EOF
[ $RC != 0 ] && { grep -a -E '●' -A 25 "$RUN/jest.log" | head -n 300 >&2; }
exit $RC
