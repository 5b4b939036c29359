// Foreground run/exec: signals tsrun receives go to the container process, as runc does.
// SIGWINCH is forwarded only when tsrun is not relaying a terminal (the relay resizes the pty).
// Ordering: exec catches them before the process is started (runc's newSignalHandler comes
// before Run), holds them until its pid is known, then delivers them in order: a signal sent
// once the process runs must reach it, never end tsrun (Node's default for SIGTERM).
const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE'];

/** Start forwarding; returns the function that stops it. */
export function forwardSignals(pid: number, withWinch: boolean): () => void {
  const f = signalForwarder(withWinch);
  f.to(pid);
  return f.stop;
}

/**
 * Catch the signals before the process exists (exec: it may run, and its caller signal us,
 * before the pid is known); those that arrive meanwhile are delivered once to() names it.
 */
export function signalForwarder(withWinch: boolean): { to(pid: number): void; stop(): void } {
  const sigs = withWinch ? [...FORWARDED, 'SIGWINCH' as NodeJS.Signals] : FORWARDED;
  let target = 0;
  const pending: NodeJS.Signals[] = [];
  const send = (sig: NodeJS.Signals) => { try { process.kill(target, sig); } catch { /* exited */ } };
  const handlers = sigs.map((sig) => {
    const h = () => { if (target > 0) send(sig); else pending.push(sig); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    to(pid: number) { target = pid; for (const sig of pending.splice(0)) send(sig); },
    stop() { for (const [sig, h] of handlers) process.removeListener(sig, h); },
  };
}
