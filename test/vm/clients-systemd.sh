#!/usr/bin/env bash
# test/vm/clients-systemd.sh RUNTIME [WORKDIR]
#
# The real-client flows of ../shared/clients (containerd 1.6 + ctr, podman 4.3 + conmon) with the
# systemd cgroup driver switched on, as a node configured the default way runs them:
#   ctr:    `ctr run --runc-systemd-cgroup --cgroup system.slice:ctr:<name>` (the shim passes
#           --systemd-cgroup to the runtime: containerd's SystemdCgroup = true)
#   podman: `--cgroup-manager systemd` (cgroupsPath machine.slice:libpod:<id>; conmon in its own scope)
# Run inside a guest with systemd as PID 1 (test/vm/run-clients.sh does that). The flow scripts are
# used unchanged apart from those switches (copies edited with sed). Exit status: 0 if both passed.
set -u
RT=${1:?usage: clients-systemd.sh RUNTIME [WORKDIR]}
WORK=${2:-$(mktemp -d /tmp/clients-systemd.XXXXXX)}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLIENTS=${TSRUN_CLIENTS:-$ROOT/../shared/clients}
[ -x "$CLIENTS/ctr-flow.sh" ] || { echo "SKIP: no client flows in $CLIENTS (set TSRUN_CLIENTS)"; exit 0; }
[ -d /run/systemd/system ] || { echo "SKIP: systemd is not PID 1 here"; exit 0; }
mkdir -p "$WORK/flows"
# the copies still find argv-logger.sh and make-rootfs.sh in the original directory
sed -e "s#^HERE=.*#HERE=$CLIENTS#" \
    -e 's#"\${RUNOPTS\[@\]}" "\$ROOTFS" \(c-[a-z]*\)#"${RUNOPTS[@]}" --runc-systemd-cgroup --cgroup system.slice:ctr:\1 "$ROOTFS" \1#' \
    "$CLIENTS/ctr-flow.sh" > "$WORK/flows/ctr-flow.sh"
sed -e "s#^HERE=.*#HERE=$CLIENTS#" -e 's#--cgroup-manager cgroupfs#--cgroup-manager systemd#' \
    "$CLIENTS/podman-flow.sh" > "$WORK/flows/podman-flow.sh"
grep -q -- '--runc-systemd-cgroup' "$WORK/flows/ctr-flow.sh" || { echo "could not switch ctr-flow.sh to the systemd driver"; exit 1; }
grep -q -- '--cgroup-manager systemd' "$WORK/flows/podman-flow.sh" || { echo "could not switch podman-flow.sh to the systemd driver"; exit 1; }
FAILS=0
for f in ctr podman; do
  if command -v "$([ $f = ctr ] && echo containerd || echo podman)" >/dev/null; then
    echo "===== $f flow, systemd cgroup driver"
    PODMAN_ULIMITS="" bash "$WORK/flows/$f-flow.sh" "$RT" "$WORK/$f" || FAILS=$((FAILS + 1))
    grep -h -- '--systemd-cgroup\|create ' "$WORK/$f/argv.log" 2>/dev/null | head -3 | sed 's/^/  argv: /'
  else
    echo "SKIP: $f flow: not installed"
  fi
done
echo "clients with the systemd driver: $([ $FAILS = 0 ] && echo OK || echo "$FAILS flow(s) FAILED")"
exit $FAILS
