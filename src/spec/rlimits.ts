// The one table of rlimit names: config.json's process.rlimits[].type -> the RLIMIT_* resource
// number prlimit64 takes (getrlimit(2), asm-generic: the same on every Linux architecture
// tsrun builds for). runc refuses a name it does not know ("unknown rlimit type"), as tsrun does.

/** Linux rlimit resource names -> RLIMIT_* numbers. */
export const LINUX_RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** RLIMIT_NOFILE for 7 (trace output); the number itself for one the table lacks. */
export function rlimitName(resource: number): string {
  return Object.keys(LINUX_RLIMITS).find((k) => LINUX_RLIMITS[k] === resource) ?? String(resource);
}
