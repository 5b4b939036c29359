// /proc/PID/mountinfo lines (proc(5)), parsed once for everyone who reads the table: the cgroup
// layout (cgroups/detect.ts) and the plan's rootfs parent and --no-pivot facts (plan/mountinfo.ts).
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   id parent dev root point options [optional...] - fstype source superOptions

export interface MountinfoLine {
  id: string;
  parent: string;
  /** The root of the mount within its filesystem, unescaped. */
  root: string;
  /** Unescaped. */
  mountPoint: string;
  /** shared:N, master:N, propagate_from:N, unbindable. */
  optional: string[];
  fsType: string;
  superOpts: string[];
}

/** Undo mountinfo's octal escaping (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every well-formed line, in the file's order (later lines are mounted over earlier ones). */
export function parseMountinfoLines(text: string): MountinfoLine[] {
  const out: MountinfoLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 6 || post.length < 3) continue;
    out.push({
      id: pre[0],
      parent: pre[1],
      root: unescapeMountinfo(pre[3]),
      mountPoint: unescapeMountinfo(pre[4]),
      optional: pre.slice(6),
      fsType: post[0],
      superOpts: post[2].split(','),
    });
  }
  return out;
}
