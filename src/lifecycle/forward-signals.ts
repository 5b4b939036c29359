// Foreground run/exec: signals tsrun receives go to the container process, as runc does.
// SIGWINCH is forwarded only when tsrun is not relaying a terminal (the relay resizes the pty).
const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE'];

/** Start forwarding; returns the function that stops it. */
export function forwardSignals(pid: number, withWinch: boolean): () => void {
  const sigs = withWinch ? [...FORWARDED, 'SIGWINCH' as NodeJS.Signals] : FORWARDED;
  const handlers = sigs.map((sig) => {
    const h = () => { try { process.kill(pid, sig); } catch { /* exited */ } };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => { for (const [sig, h] of handlers) process.removeListener(sig, h); };
}
