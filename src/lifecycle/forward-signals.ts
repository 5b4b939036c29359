// Foreground run/exec: signals tsrun receives go to the container process, as runc does.
// SIGWINCH is forwarded only when tsrun is not relaying a terminal (the relay resizes the pty).
// Ordering: exec catches them before the process is started (runc's newSignalHandler comes
// before Run), holds them until its pid is known, then delivers them in order: a signal sent
// once the process runs must reach it, never end tsrun (Node's default for SIGTERM).
const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE'];

export interface SignalForwarder {
  /** Deliver the held signals to `pid`, then forward as they come. */
  attach(pid: number): void;
  stop(): void;
}

/** Catch the forwarded signals from now on; they are held until attach(). */
export function signalForwarder(withWinch: boolean): SignalForwarder {
  const sigs = withWinch ? [...FORWARDED, 'SIGWINCH' as NodeJS.Signals] : FORWARDED;
  let target = 0;
  const held: NodeJS.Signals[] = [];
  const send = (sig: NodeJS.Signals) => { try { process.kill(target, sig); } catch { /* exited */ } };
  const handlers = sigs.map((sig) => {
    const h = () => { if (target) send(sig); else held.push(sig); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    attach(pid: number) {
      target = pid;
      for (const sig of held.splice(0)) send(sig);
    },
    stop() { for (const [sig, h] of handlers) process.removeListener(sig, h); },
  };
}

/** Start forwarding to `pid`; returns the function that stops it. */
export function forwardSignals(pid: number, withWinch: boolean): () => void {
  const f = signalForwarder(withWinch);
  f.attach(pid);
  return () => f.stop();
}
