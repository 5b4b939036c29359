// A turn of the event loop between the synchronous steps of create and exec (config, plan,
// cgroups, clone): each step blocks for a few milliseconds, and without a turn between them
// the caller's timers, I/O and other creates wait for all of them at once (issue 16).
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
