// config.json mount options -> mount(2) flags, propagation flags and the data string.
import { MOUNT_ATTR as A, MS } from '../native/constants';
import type { RecursiveMountOption } from '../spec/mount-rules';

export interface ParsedOptions {
  flags: number;        // MS_* for the mount itself
  propagation: number;  // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC)
  bind: boolean;
  recursive: boolean;
  data: string[];       // fs-specific options passed through
  attrSet: number;      // recursive attributes (mount_setattr AT_RECURSIVE)
  attrClr: number;
  tmpcopyup: boolean;
  idmap: '' | 'idmap' | 'ridmap';
}

// r* options: [bits to set, bits to clear]; the atime ones replace the whole atime field.
export const RECURSIVE: Record<RecursiveMountOption, [number, number]> = {
  rro: [A.RDONLY, 0], rrw: [0, A.RDONLY], rnosuid: [A.NOSUID, 0], rsuid: [0, A.NOSUID],
  rnodev: [A.NODEV, 0], rdev: [0, A.NODEV], rnoexec: [A.NOEXEC, 0], rexec: [0, A.NOEXEC],
  rnodiratime: [A.NODIRATIME, 0], rdiratime: [0, A.NODIRATIME], rnosymfollow: [A.NOSYMFOLLOW, 0], rsymfollow: [0, A.NOSYMFOLLOW],
  rrelatime: [A.RELATIME, A.ATIME_MASK], rnorelatime: [0, A.ATIME_MASK], rnoatime: [A.NOATIME, A.ATIME_MASK],
  ratime: [0, A.ATIME_MASK], rstrictatime: [A.STRICTATIME, A.ATIME_MASK], rnostrictatime: [0, A.ATIME_MASK],
};

export const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS, dirsync: MS.DIRSYNC,
  mand: MS.MANDLOCK, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME, lazytime: MS.LAZYTIME, silent: MS.SILENT, iversion: MS.I_VERSION,
  nosymfollow: MS.NOSYMFOLLOW, remount: MS.REMOUNT,
};
export const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS, nomand: MS.MANDLOCK,
  atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME, nostrictatime: MS.STRICTATIME,
  nolazytime: MS.LAZYTIME, loud: MS.SILENT, noiversion: MS.I_VERSION, symfollow: MS.NOSYMFOLLOW, defaults: 0,
};
export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};
export function parseMountOptions(options: string[] | undefined): ParsedOptions {
  const out: ParsedOptions = { flags: 0, propagation: 0, bind: false, recursive: false, data: [], attrSet: 0, attrClr: 0, tmpcopyup: false, idmap: '' };
  (options ?? []).forEach((opt) => {
    if (opt === 'bind') out.bind = true;
    else if (opt === 'tmpcopyup') out.tmpcopyup = true;
    else if (opt === 'idmap' || opt === 'ridmap') out.idmap = opt;
    else if (opt === 'rbind') { out.bind = true; out.recursive = true; }
    else if (opt in SET) out.flags |= SET[opt];
    else if (opt in CLEAR) out.flags &= ~CLEAR[opt];
    else if (opt in PROPAGATION) out.propagation = PROPAGATION[opt];
    else if (opt in RECURSIVE) {
      const [set, clr] = RECURSIVE[opt as RecursiveMountOption];
      out.attrSet = (out.attrSet & ~clr & ~set) | set;
      out.attrClr = (out.attrClr & ~set) | clr;
    }
    else out.data.push(opt);
  });
  return out;
}
