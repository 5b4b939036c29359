// A config without a mount namespace (neither new nor joined): the container runs chrooted in
// the runtime's own mount namespace. runc 1.1.5 refuses masked and read-only paths there
// (its message is kept); everything else that mounts it makes in the runtime's namespace
// (mounts, device nodes, the read-only remount of the rootfs) and it first sets that
// namespace's "/" to rslave, or to rootfsPropagation: all of that outlives the container and
// changes the host. tsrun refuses those fields instead, naming them; a config without them
// runs (tsrun-init then reaches exec.fifo through the runtime's /proc, checked to be procfs).
import type { Spec } from '../spec/config-types';
import { ConfigError } from '../errors';

const WHY = 'needs a mount namespace (add {"type": "mount"} to linux.namespaces): without one it would be made in the '
  + 'runtime\'s own mount namespace and outlive the container (runc 1.1.5 does that, and sets the runtime\'s "/" to rslave first)';

export function checkWithoutMountNs(spec: Spec): void {
  const linux = spec.linux ?? {};
  if (linux.maskedPaths?.length) throw new ConfigError('linux.maskedPaths', 'unable to restrict sys entries without a private MNT namespace');
  if (linux.readonlyPaths?.length) throw new ConfigError('linux.readonlyPaths', 'unable to restrict sys entries without a private MNT namespace');
  if (spec.mounts?.length) throw new ConfigError('mounts', WHY);
  if (spec.root?.readonly) throw new ConfigError('root.readonly', WHY);
  if (linux.devices?.length) throw new ConfigError('linux.devices', WHY);
  if (linux.rootfsPropagation) throw new ConfigError('linux.rootfsPropagation', WHY);
}
