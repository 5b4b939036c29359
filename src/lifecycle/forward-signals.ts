// Foreground run/exec: signals tsrun receives go to the container process, as runc does.
// SIGWINCH is forwarded only when tsrun is not relaying a terminal (the relay resizes the pty).
const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE'];

export interface SignalForwarder {
  /** Forward to `pid` from now on, and what arrived before, in order. */
  target(pid: number): void;
  stop(): void;
}

/**
 * Handlers installed now, before the process exists (runc's order): a signal that arrives while
 * it is being started (exec: it may already run and print before its pid is known here) is held
 * and delivered once target() names it, instead of killing tsrun and orphaning the process.
 */
export function signalForwarder(withWinch: boolean): SignalForwarder {
  const sigs = withWinch ? [...FORWARDED, 'SIGWINCH' as NodeJS.Signals] : FORWARDED;
  let pid = 0;
  const held: NodeJS.Signals[] = [];
  const send = (sig: NodeJS.Signals) => { try { process.kill(pid, sig); } catch { /* exited */ } };
  const handlers = sigs.map((sig) => {
    const h = () => { if (pid > 0) send(sig); else held.push(sig); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    target(p: number) {
      pid = p;
      for (const sig of held.splice(0)) send(sig);
    },
    stop() { for (const [sig, h] of handlers) process.removeListener(sig, h); },
  };
}

/** Start forwarding to `pid`; returns the function that stops it. */
export function forwardSignals(pid: number, withWinch: boolean): () => void {
  const f = signalForwarder(withWinch);
  f.target(pid);
  return f.stop;
}
