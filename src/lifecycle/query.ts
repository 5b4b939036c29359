// state and list: the OCI state of one container, or of all under --root.
import { ociState, type OciState } from '../state/status';
import { listIds } from '../state/store';
import { Container } from './container';
import { GlobalOptions, rootOf } from './options';

export async function state(id: string, opts: GlobalOptions = {}): Promise<OciState> {
  const c = new Container(id, opts, false);
  return ociState(c.state, c.status());
}

export async function list(opts: GlobalOptions = {}): Promise<OciState[]> {
  const out: OciState[] = [];
  for (const id of listIds(rootOf(opts))) {
    try { out.push(await state(id, opts)); } catch { /* removed meanwhile */ }
  }
  return out;
}
