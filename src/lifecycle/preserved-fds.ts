// --preserve-fds N (and LISTEN_FDS): fds 3..3+N-1 of this process go to the container. Only fds
// the caller really passed may go (issue 11, item 2). A caller that passes fewer than N leaves
// the rest of the range to whatever this process opened first: Node's event loop (its epoll
// fd, eventfds and self-pipes, opened before any of our code runs) and then tsrun's own fds
// (the cgroup.procs writer, the state dir's lock, cgroup directories). Handing those over gives
// the container a host directory or the container's own state lock. Refused here:
// - an fd that is not open (runc: "unable to stat preserved-fd");
// - in the CLI, an fd that was not open when the launcher started (bin/tsrun snapshots the fd
//   table before it opens anything: globalThis.__tsrunFdsAtStart);
// - Node's event-loop fds: an epoll or eventfd, or a pipe this process holds both ends of.
// Node marks every inherited fd close-on-exec at startup, so that flag tells nothing.
import fs = require('fs');
import { TsrunError } from '../errors';

declare global {
  // fd -> what /proc/self/fd/N named when bin/tsrun started (the CLI only)
  // eslint-disable-next-line no-var
  var __tsrunFdsAtStart: Map<number, string> | undefined;
}

function fdTable(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try { out.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`)); } catch { /* the readdir's own fd */ }
  }
  return out;
}

export function checkPreservedFds(listenFds: number, preserveFds: number): void {
  const total = listenFds + preserveFds;
  if (total <= 0) return;
  const now = fdTable();
  const atStart = globalThis.__tsrunFdsAtStart;
  const targets = [...now.values()];
  for (let fd = 3; fd < 3 + total; fd++) {
    const flag = fd < 3 + listenFds ? `LISTEN_FDS=${listenFds}` : `--preserve-fds ${preserveFds}`;
    const fail = (why: string) => new TsrunError(`${flag}: file descriptor ${fd} ${why}`,
      { field: fd < 3 + listenFds ? 'LISTEN_FDS' : '--preserve-fds' });
    const link = now.get(fd);
    if (link === undefined) throw fail(`is not open (unable to stat preserved-fd ${fd}): pass as many fds as you preserve`);
    const ours = (atStart && atStart.get(fd) !== link)
      || link === 'anon_inode:[eventpoll]' || link === 'anon_inode:[eventfd]'
      || (link.startsWith('pipe:') && targets.filter((t) => t === link).length > 1);
    if (ours) throw fail(`(${link}) was opened by tsrun, not passed to it: pass as many fds as you preserve`);
  }
}
