// linux.netDevices: move host interfaces into the container's network namespace at create
// (renamed if asked) and back to the runtime's namespace on delete, with iproute2 (netlink).
//
// As runc 1.2+ (libcontainer/network_linux.go devChangeNetNamespace): the link's permanent
// addresses of global scope are read, it is set down, moved and renamed in one RTM_NEWLINK
// (no moment where its name collides on either side), those addresses are added again on the
// other side (the kernel drops them on a move) and the link is set up. The same on the way back.
// A device moved into a namespace the config joins by path stays there on delete: that
// namespace and what is in it belong to whoever made it.
// Existence is asked of netlink in tsrun's own network namespace (`ip link show`), not read
// from /sys/class/net, which shows the namespace of whoever mounted that sysfs.
import fs = require('fs');
import type { Spec } from '../spec/config-types';
import { ConfigError, TsrunError } from '../errors';

function tool(name: string): string {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (fs.existsSync(`${d}/${name}`)) return `${d}/${name}`;
  throw new TsrunError(`linux.netDevices needs ${name} (iproute2/util-linux), which was not found`);
}

interface Ran { status: number | null; stdout: string; stderr: string; error?: Error }

function spawn(args: string[]): Ran {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** `ip ARGS` in tsrun's network namespace (netnsOf undefined) or in that of a pid. */
function ip(netnsOf: number | undefined, args: string[], field: string): string {
  const argv = netnsOf === undefined ? [tool('ip'), ...args] : [tool('nsenter'), `--net=/proc/${netnsOf}/ns/net`, '--', tool('ip'), ...args];
  const r = spawn(argv);
  if (r.status !== 0) throw new ConfigError(field, `ip ${args.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return r.stdout;
}

const fieldOf = (host: string) => `linux.netDevices[${JSON.stringify(host)}]`;

/** Whether tsrun's network namespace has a link of that name (netlink, not sysfs). */
export function linkExists(name: string): boolean {
  return spawn([tool('ip'), '-o', 'link', 'show', 'dev', name]).status === 0;
}

/**
 * Before anything is created: the devices exist here (netlink, by `ip`: a host fact not in
 * plan/host-facts because it spawns a tool). That the container has a network namespace is
 * src/spec/semantic.ts's rule.
 */
export function checkNetDevices(spec: Spec): void {
  const devices = spec.linux?.netDevices ?? {};
  for (const name of Object.keys(devices)) {
    if (!linkExists(name)) throw new ConfigError(fieldOf(name), 'no such network device on the host');
  }
}

/** The addresses that move with a link: permanent ones of global scope, as `ip addr add` takes them. */
function movableAddresses(netnsOf: number | undefined, name: string, field: string): string[] {
  let links: { addr_info?: { local?: string; prefixlen?: number; scope?: string; dynamic?: boolean }[] }[];
  try {
    links = JSON.parse(ip(netnsOf, ['-j', 'addr', 'show', 'dev', name], field) || '[]');
  } catch (e) {
    if (e instanceof TsrunError) throw e;
    throw new ConfigError(field, `reading the addresses of ${name}: ${(e as Error).message}`);
  }
  return (links[0]?.addr_info ?? [])
    .filter((a) => a.scope === 'global' && !a.dynamic && a.local !== undefined && a.prefixlen !== undefined)
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * Moves `name` from the network namespace of `from` to that of `to` (undefined: tsrun's own),
 * renamed to `newName`, its permanent global addresses with it; `up`: set it up there (into
 * the container, as runc; a device handed back is left down, as the kernel returns one).
 */
function moveLink(from: number | undefined, to: number | undefined, name: string, newName: string, field: string, up: boolean): void {
  // read before the link goes down: taking it down flushes its IPv6 addresses (unless
  // keep_addr_on_down), which runc, reading after, loses
  const addrs = movableAddresses(from, name, field);
  ip(from, ['link', 'set', 'dev', name, 'down'], field);
  // one request: the namespace change and the new name together
  ip(from, ['link', 'set', 'dev', name, 'netns', String(to ?? process.pid), 'name', newName], field);
  for (const a of addrs) ip(to, ['addr', 'add', a, 'dev', newName], field);
  if (up) ip(to, ['link', 'set', 'dev', newName, 'up'], field);
}

export function moveNetDevicesIn(spec: Spec, initPid: number): void {
  for (const [host, d] of Object.entries(spec.linux?.netDevices ?? {})) {
    moveLink(undefined, initPid, host, d.name || host, fieldOf(host), true);
  }
}

/**
 * Back to tsrun's own network namespace under the host name, unless the container joined its
 * network namespace by path (the devices stay with that namespace's owner). Errors are
 * returned, not thrown.
 */
export function moveNetDevicesOut(spec: Spec, initPid: number): string[] {
  const errors: string[] = [];
  if ((spec.linux?.namespaces ?? []).some((n) => n.type === 'network' && n.path)) return errors;
  for (const [host, d] of Object.entries(spec.linux?.netDevices ?? {})) {
    try {
      moveLink(initPid, undefined, d.name || host, host, fieldOf(host), false);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
