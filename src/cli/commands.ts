// The command and flag table: one source for the fast parser and for the yargs help text.
import type { FlagTable } from './argv';

export const GLOBAL_FLAGS: FlagTable = {
  debug: { type: 'bool', describe: 'enable debug logging' },
  log: { type: 'string', describe: 'set the log file to write tsrun logs to (default is stderr)' },
  'log-format': { type: 'string', describe: 'set the log format (text or json)', default: 'text' },
  root: { type: 'string', describe: 'root directory for storage of container state', default: '/run/tsrun' },
  criu: { type: 'string', describe: 'accepted for runc compatibility; checkpointing is not supported', hidden: true },
  'systemd-cgroup': { type: 'bool', describe: 'use systemd cgroup manager (cgroupsPath "slice:prefix:name")' },
  rootless: { type: 'string', describe: 'ignore cgroup permission errors (true, false or auto)', default: 'auto' },
  help: { type: 'bool', alias: ['h'], describe: 'show help' },
  version: { type: 'bool', alias: ['v'], describe: 'print the version' },
};

const CREATE_FLAGS: FlagTable = {
  bundle: { type: 'string', alias: ['b'], describe: 'path to the root of the bundle directory (default: current directory)' },
  'console-socket': { type: 'string', describe: 'path to an AF_UNIX socket which will receive the pty master fd' },
  'pid-file': { type: 'string', describe: 'file to write the container init pid to' },
  'no-pivot': { type: 'bool', describe: 'do not use pivot_root to jail the process inside the rootfs' },
  'no-new-keyring': { type: 'bool', describe: 'do not create a new session keyring for the container' },
  'preserve-fds': { type: 'int', describe: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)', default: 0 },
  'pidfd-socket': { type: 'string', describe: 'path to an AF_UNIX socket which will receive a pidfd of the container\'s init' },
};

export interface CommandSpec {
  usage: string;
  describe: string;
  flags: FlagTable;
  /** Positional arguments after which flag parsing stops (exec's command line). */
  stopAfterPositionals?: number;
}

export const COMMANDS: Record<string, CommandSpec> = {
  create: { usage: 'create [command options] <container-id>', describe: 'create a container', flags: CREATE_FLAGS },
  run: {
    usage: 'run [command options] <container-id>', describe: 'create and run a container',
    flags: {
      ...CREATE_FLAGS,
      detach: { type: 'bool', alias: ['d'], describe: 'detach from the container\'s process' },
      keep: { type: 'bool', describe: 'do not delete the container after it exits' },
      'no-subreaper': { type: 'bool', describe: 'disable the use of the subreaper used to reap reparented processes' },
    },
  },
  start: { usage: 'start <container-id>', describe: 'executes the user defined process in a created container', flags: {} },
  state: { usage: 'state <container-id>', describe: 'output the state of a container', flags: {} },
  kill: {
    usage: 'kill [command options] <container-id> [signal]', describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
    flags: { all: { type: 'bool', alias: ['a'], describe: 'send the specified signal to all processes inside the container' } },
  },
  delete: {
    usage: 'delete [command options] <container-id>', describe: 'delete any resources held by the container',
    flags: { force: { type: 'bool', alias: ['f'], describe: 'forcibly deletes the container if it is still running (uses SIGKILL)' } },
  },
  list: {
    usage: 'list [command options]', describe: 'lists containers started by tsrun with the given root',
    flags: {
      format: { type: 'string', alias: ['f'], describe: 'select one of: table or json', default: 'table' },
      quiet: { type: 'bool', alias: ['q'], describe: 'display only container IDs' },
    },
  },
  exec: {
    usage: 'exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>',
    describe: 'execute new process inside the container', stopAfterPositionals: 1,
    flags: {
      'console-socket': { type: 'string', describe: 'path to an AF_UNIX socket which will receive the pty master fd' },
      cwd: { type: 'string', describe: 'current working directory in the container' },
      env: { type: 'strings', alias: ['e'], describe: 'set environment variables' },
      tty: { type: 'bool', alias: ['t'], describe: 'allocate a pseudo-TTY' },
      user: { type: 'string', alias: ['u'], describe: 'UID (format: <uid>[:<gid>])' },
      'additional-gids': { type: 'strings', alias: ['g'], describe: 'additional gids' },
      process: { type: 'string', alias: ['p'], describe: 'path to the process.json' },
      detach: { type: 'bool', alias: ['d'], describe: 'detach from the container\'s process' },
      'pid-file': { type: 'string', describe: 'specify the file to write the process id to' },
      'process-label': { type: 'string', describe: 'set the asm process label for the process commonly used with selinux' },
      apparmor: { type: 'string', describe: 'set the apparmor profile for the process' },
      'no-new-privs': { type: 'bool', describe: 'set the no new privileges value for the process' },
      cap: { type: 'strings', alias: ['c'], describe: 'add a capability to the bounding set for the process' },
      'preserve-fds': { type: 'int', describe: 'pass N additional file descriptors to the container', default: 0 },
      'pidfd-socket': { type: 'string', describe: 'path to an AF_UNIX socket which will receive a pidfd of the process' },
      cgroup: { type: 'strings', describe: 'run the process in an (existing) sub-cgroup(s)' },
      'ignore-paused': { type: 'bool', describe: 'allow exec in a paused container' },
    },
  },
  ps: {
    usage: 'ps [command options] <container-id> [ps options]', describe: 'ps displays the processes running inside a container',
    stopAfterPositionals: 1,
    flags: { format: { type: 'string', alias: ['f'], describe: 'select one of: table or json', default: 'table' } },
  },
  pause: { usage: 'pause <container-id>', describe: 'pause suspends all processes inside the container', flags: {} },
  resume: { usage: 'resume <container-id>', describe: 'resumes all processes that have been previously paused', flags: {} },
  update: {
    usage: 'update [command options] <container-id>', describe: 'update container resource constraints',
    flags: {
      resources: { type: 'string', alias: ['r'], describe: 'path to a file with the resources to update (linux.resources JSON), or - for stdin' },
      'blkio-weight': { type: 'int', describe: 'specifies per cgroup weight, range is from 10 to 1000' },
      'cpu-period': { type: 'string', describe: 'CPU CFS period to be used for hardcapping (in usecs)' },
      'cpu-quota': { type: 'string', describe: 'CPU CFS hardcap limit (in usecs), -1 for no limit' },
      'cpu-burst': { type: 'string', describe: 'CPU CFS burst (in usecs)' },
      'cpu-share': { type: 'string', describe: 'CPU shares (relative weight vs. other containers)' },
      'cpu-rt-period': { type: 'string', describe: 'CPU realtime period to be used for hardcapping (in usecs)' },
      'cpu-rt-runtime': { type: 'string', describe: 'CPU realtime hardcap limit (in usecs)' },
      'cpu-idle': { type: 'string', describe: 'set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE' },
      'cpuset-cpus': { type: 'string', describe: 'CPU(s) to use' },
      'cpuset-mems': { type: 'string', describe: 'memory node(s) to use' },
      'kernel-memory': { type: 'string', describe: 'kernel memory limit (deprecated, ignored)', hidden: true },
      'kernel-memory-tcp': { type: 'string', describe: 'kernel memory limit for tcp buffer (deprecated, ignored)', hidden: true },
      memory: { type: 'string', describe: 'memory limit (in bytes, or with k/m/g)' },
      'memory-reservation': { type: 'string', describe: 'memory reservation or soft_limit (in bytes)' },
      'memory-swap': { type: 'string', describe: 'total memory usage (memory + swap); set -1 to enable unlimited swap' },
      'pids-limit': { type: 'int', describe: 'maximum number of pids allowed in the container' },
      'l3-cache-schema': { type: 'string', describe: 'the string of Intel RDT/CAT L3 cache schema' },
      'mem-bw-schema': { type: 'string', describe: 'the string of Intel RDT/MBA memory bandwidth schema' },
    },
  },
  events: {
    usage: 'events [command options] <container-id>', describe: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    flags: {
      interval: { type: 'string', describe: 'set the stats collection interval', default: '5s' },
      stats: { type: 'bool', describe: 'display the container\'s stats then exit' },
    },
  },
  features: { usage: 'features', describe: 'show the enabled features', flags: {} },
  spec: {
    usage: 'spec [command options]', describe: 'create a new specification file',
    flags: {
      bundle: { type: 'string', alias: ['b'], describe: 'path to the root of the bundle directory' },
      rootless: { type: 'bool', describe: 'generate a configuration for a rootless container' },
    },
  },
};
