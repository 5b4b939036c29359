import fs = require('fs');
// state and list: the OCI state of one container, or of all under --root.
import { ociState, type OciState } from '../state/status';
import { listIds } from '../state/store';
import { Container } from './container';
import { GlobalOptions, rootOf } from './options';

/** The container's OCI state (status, pid, bundle, annotations, ...), as `tsrun state` prints it. */
export async function state(id: string, opts: GlobalOptions = {}): Promise<OciState> {
  const c = new Container(id, opts, false);
  return ociState(c.state, c.status());
}

/** All containers under --root; like runc's list, owner is the state dir's owner. */
export async function list(opts: GlobalOptions = {}): Promise<OciState[]> {
  const out: OciState[] = [];
  for (const id of listIds(rootOf(opts))) {
    try {
      const c = new Container(id, opts, false);
      out.push(ociState(c.state, c.status(), userName(fs.statSync(c.sd.dir).uid)));
    } catch { /* removed meanwhile */ }
  }
  return out;
}

function userName(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid)) return f[0];
    }
  } catch { /* no passwd */ }
  return `#${uid}`;
}
