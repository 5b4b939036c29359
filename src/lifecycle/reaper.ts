// Detached processes a library process exec'd into a container are its children: nothing else
// can reap them. Threat: their zombies piled up in a long-lived host, and a container whose
// init was killed stayed "running" for good, its init waiting in the kernel for a zombie of its
// pid namespace that only this process could reap (a pid namespace ends once every member is
// reaped). Polled on an unref'd timer: it never keeps a host, or the CLI, alive.
import { addon } from '../native/addon';

const POLL_MS = 100;
const adopted = new Set<number>();
let timer: NodeJS.Timeout | undefined;

/** Reap `pid`, a child of this process, once it has exited. */
export function reapWhenExited(pid: number): void {
  adopted.add(pid);
  timer ??= setInterval(poll, POLL_MS).unref();
}

/**
 * `pid` was reaped elsewhere (delete): forget it before its pid can be reused by another child
 * of this process, whose exit status would otherwise be taken here.
 */
export function reapedElsewhere(pid: number): void {
  adopted.delete(pid);
}

function poll(): void {
  for (const p of adopted) {
    try {
      if (addon().waitpid(p, true).pid === 0) continue; // still running
    } catch { /* ECHILD: not ours any more */ }
    adopted.delete(p);
  }
  if (!adopted.size && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}
