// linux.netDevices: move host interfaces into the container's network namespace at create
// (renamed if asked) and back to the runtime's namespace on delete, with iproute2.
import fs = require('fs');
import type { Spec } from '../spec/config-types';
import { ConfigError, TsrunError } from '../errors';

function tool(name: string): string {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (fs.existsSync(`${d}/${name}`)) return `${d}/${name}`;
  throw new TsrunError(`linux.netDevices needs ${name} (iproute2/util-linux), which was not found`);
}

function run(args: string[], field: string): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new ConfigError(field, `${args.slice(-6).join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
}

/** Checks before anything is created: a new network namespace, and the devices exist here. */
export function checkNetDevices(spec: Spec): void {
  const devices = spec.linux?.netDevices ?? {};
  if (!Object.keys(devices).length) return;
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'network')) {
    throw new ConfigError('linux.netDevices', 'needs a network namespace for the container');
  }
  for (const name of Object.keys(devices)) {
    if (!fs.existsSync(`/sys/class/net/${name}`)) throw new ConfigError(`linux.netDevices["${name}"]`, 'no such network device on the host');
  }
}

export function moveNetDevicesIn(spec: Spec, initPid: number): void {
  for (const [host, d] of Object.entries(spec.linux?.netDevices ?? {})) {
    const field = `linux.netDevices["${host}"]`;
    run([tool('ip'), 'link', 'set', 'dev', host, 'netns', String(initPid)], field);
    if (d.name && d.name !== host) run([tool('nsenter'), '--target', String(initPid), '--net', '--', tool('ip'), 'link', 'set', 'dev', host, 'name', d.name], field);
  }
}

/** Back to tsrun's own network namespace under the host name; errors are returned, not thrown. */
export function moveNetDevicesOut(spec: Spec, initPid: number): string[] {
  const errors: string[] = [];
  for (const [host, d] of Object.entries(spec.linux?.netDevices ?? {})) {
    try {
      run([tool('nsenter'), '--target', String(initPid), '--net', '--', tool('ip'), 'link', 'set', 'dev', d.name || host, 'netns', String(process.pid)], `linux.netDevices["${host}"]`);
      if (d.name && d.name !== host) run([tool('ip'), 'link', 'set', 'dev', d.name, 'name', host], `linux.netDevices["${host}"]`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
