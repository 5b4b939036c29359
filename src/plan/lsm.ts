// AppArmor and SELinux: what the host offers. Until labels are applied (through a verified
// procfs handle), a config that asks for one on a host without the LSM fails clearly here.
import fs = require('fs');
import type { Process } from '../spec/config-types';
import { ConfigError } from '../errors';

export function apparmorEnabled(): boolean {
  try { return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { return false; }
}

export function selinuxEnabled(): boolean {
  try { return fs.statfsSync('/sys/fs/selinux').type === 0xf97cff8c; } catch { return false; }
}

export function checkLsm(proc: Process, base = 'process'): void {
  if (proc.apparmorProfile && !apparmorEnabled()) {
    throw new ConfigError(`${base}.apparmorProfile`, 'apparmor is not enabled on this host: remove the profile or enable AppArmor');
  }
  if (proc.apparmorProfile) {
    throw new ConfigError(`${base}.apparmorProfile`, 'applying AppArmor profiles is not supported by this tsrun version yet');
  }
  if (proc.selinuxLabel && !selinuxEnabled()) {
    throw new ConfigError(`${base}.selinuxLabel`, 'selinux label is specified in config, but selinux is disabled or not supported');
  }
  if (proc.selinuxLabel) {
    throw new ConfigError(`${base}.selinuxLabel`, 'applying SELinux labels is not supported by this tsrun version yet');
  }
}
