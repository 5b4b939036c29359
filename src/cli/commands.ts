// The command and flag table: the one source for the parser (argv.ts), --help (help.ts), and
// the man pages and shell completion generated at build time (scripts/build-docs.mjs).
import type { FlagTable } from './argv';

export const GLOBAL_FLAGS: FlagTable = {
  debug: { type: 'bool', describe: 'enable debug logging' },
  log: { type: 'string', describe: 'set the log file to write tsrun logs to (default is stderr); its directory must exist' },
  'log-format': { type: 'string', describe: 'set the log format (text or json)', default: 'text' },
  root: { type: 'string', describe: 'root directory for storage of container state (this should be located in tmpfs; not root: $XDG_RUNTIME_DIR/tsrun by default)', default: '/run/tsrun' },
  // go-runc passes --criu to every command when configured; it only names criu for checkpoint
  // and restore, which this tsrun does not have (those commands are refused)
  criu: { type: 'string', describe: 'path to criu (accepted for runc compatibility: checkpoint and restore are not supported)', hidden: true },
  'systemd-cgroup': { type: 'bool', describe: 'use the systemd cgroup manager (cgroupsPath "slice:prefix:name", a transient scope unit; needs systemd as PID 1)' },
  rootless: { type: 'string', describe: 'ignore cgroup permission errors (true, false or auto)', default: 'auto' },
  help: { type: 'bool', alias: ['h'], describe: 'show help' },
  version: { type: 'bool', alias: ['v'], describe: 'print the version' },
};

export const PROGRAM = {
  usage: '[global options] command [command options] [arguments...]',
  describe: 'Open Container Initiative runtime',
  description: `tsrun is a command line client for running applications packaged according to the Open
Container Initiative (OCI) format: a low-level runtime like runc and crun, with runc's commands,
flags, exit codes, state JSON and log lines, so that containerd, CRI-O, podman and Docker drive
it unchanged.

Containers are configured using bundles. A bundle for a container is a directory that includes
a specification file named "config.json" and a root filesystem.

To start a new instance of a container:

    # tsrun run [ -b bundle ] <container-id>

Where "<container-id>" is your name for the instance of the container that you are starting.
The name must be unique on your host. The default bundle is the current directory.`,
};

export const HELP_COMMAND = { names: ['help', 'h'], describe: 'Shows a list of commands or help for one command' };

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
  /** One line: the NAME section and the command list. */
  describe: string;
  flags: FlagTable;
  /** Positional arguments after which flag parsing stops (exec's command line). */
  stopAfterPositionals?: number;
  /** runc's checkArgs: how many positional arguments (a usage error otherwise, exit 1). */
  nargs: { min: number; max?: number };
  /** What the arguments are: printed under USAGE (runc's ArgsUsage text). */
  details?: string;
  /** The DESCRIPTION section of --help and of the man page. */
  description?: string;
}

const ID_ARG = 'Where "<container-id>" is the name for the instance of the container.';
const BUNDLE_TEXT = 'The bundle is a directory with a specification file named "config.json" and a root\n'
  + 'filesystem. The args parameter of the specification is the command run when the container\n'
  + 'is started: see "tsrun spec --help".';

export const COMMANDS: Record<string, CommandSpec> = {
  create: { usage: 'create [command options] <container-id>', describe: 'create a container',
    nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: `The create command creates an instance of a container for a bundle. ${BUNDLE_TEXT}\nThe container's process waits in tsrun-init until "tsrun start".`, flags: CREATE_FLAGS },
  run: {
    usage: 'run [command options] <container-id>', describe: 'create and run a container',
    nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: `The run command creates an instance of a container for a bundle and starts it. ${BUNDLE_TEXT}\nWithout --detach tsrun exits with the container's exit status (128+N when signal N killed it).`,
    flags: {
      ...CREATE_FLAGS,
      detach: { type: 'bool', alias: ['d'], describe: 'detach from the container\'s process' },
      keep: { type: 'bool', describe: 'do not delete the container after it exits' },
      // runc makes itself a subreaper unless told not to; tsrun never does (a container's orphans
      // are reaped by its own init or, without a pid namespace, by the host's): nothing to disable
      'no-subreaper': { type: 'bool', describe: 'do not use a subreaper for reparented processes (tsrun never uses one)' },
    },
  },
  start: {
    usage: 'start <container-id>', describe: 'executes the user defined process in a created container',
    nargs: { min: 1, max: 1 }, details: ID_ARG, description: 'The start command executes the user defined process in a created container.', flags: {},
  },
  state: {
    usage: 'state <container-id>', describe: 'output the state of a container', nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'The state command outputs current state information for the instance of a container\n(the OCI state JSON).', flags: {},
  },
  kill: {
    usage: 'kill [command options] <container-id> [signal]', describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
    nargs: { min: 1, max: 2 },
    details: 'Where "<container-id>" is the name for the instance of the container and\n"[signal]" is the signal to be sent to the init process (KILL, SIGKILL or 9).',
    description: 'For example, "tsrun kill ubuntu01 KILL" sends SIGKILL to the init process of the\ncontainer "ubuntu01".',
    flags: { all: { type: 'bool', alias: ['a'], describe: 'send the specified signal to all processes inside the container' } },
  },
  delete: {
    usage: 'delete [command options] <container-id>', describe: 'delete any resources held by the container',
    nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'Removes the processes, cgroups and state of a stopped container (with --force, of a running\none too). With --force a container that does not exist is not an error.',
    flags: { force: { type: 'bool', alias: ['f'], describe: 'forcibly deletes the container if it is still running (uses SIGKILL)' } },
  },
  list: {
    usage: 'list [command options]', describe: 'lists containers started by tsrun with the given root', nargs: { min: 0, max: 0 },
    details: 'Where the given root is specified via the global option "--root"\n(default: "/run/tsrun").',
    flags: {
      format: { type: 'string', alias: ['f'], describe: 'select one of: table or json', default: 'table' },
      quiet: { type: 'bool', alias: ['q'], describe: 'display only container IDs' },
    },
  },
  exec: {
    usage: 'exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>',
    describe: 'execute new process inside the container',
    nargs: { min: 1 },
    details: 'Where "<container-id>" is the name for the instance of the container and\n"<command>" is the command to be executed in the container.\n"<command>" can\'t be empty unless a "-p" flag provided. Everything after\n<container-id> belongs to <command>, -h and --help included.',
    description: 'For example, "tsrun exec <container-id> ps" lists the processes running in the container.\nExit status: the process\'s own, or 255 when tsrun could not run it.', stopAfterPositionals: 1,
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
    usage: 'ps [command options] <container-id> [ps options]', describe: 'ps displays the processes running inside a container', nargs: { min: 1 }, details: 'Where "[ps options]" are passed to ps(1) (table format only).',
    stopAfterPositionals: 1,
    flags: { format: { type: 'string', alias: ['f'], describe: 'select one of: table or json', default: 'table' } },
  },
  pause: {
    usage: 'pause <container-id>', describe: 'pause suspends all processes inside the container', nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'The pause command suspends all processes in the instance of the container (cgroup freezer).', flags: {},
  },
  resume: {
    usage: 'resume <container-id>', describe: 'resumes all processes that have been previously paused', nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'The resume command resumes all processes in the instance of the container.', flags: {},
  },
  update: {
    usage: 'update [command options] <container-id>', describe: 'update container resource constraints',
    nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'Changes the cgroup limits of a created, running or paused container, from the flags or from\na linux.resources JSON document (--resources).',
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
      'kernel-memory': { type: 'string', describe: 'kernel memory limit (obsolete: parsed, then ignored with runc\'s warning)', hidden: true },
      'kernel-memory-tcp': { type: 'string', describe: 'kernel memory limit for tcp buffer (obsolete: parsed, then ignored with runc\'s warning)', hidden: true },
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
    nargs: { min: 1, max: 1 }, details: ID_ARG,
    description: 'The events command displays information about the container. By default the\ninformation is displayed once every 5 seconds; --stats prints it once.',
    flags: {
      interval: { type: 'string', describe: 'set the stats collection interval', default: '5s' },
      stats: { type: 'bool', describe: 'display the container\'s stats then exit' },
    },
  },
  features: { usage: 'features', describe: 'show the enabled features',
    nargs: { min: 0, max: 0 },
    description: 'Shows the enabled features as JSON (runtime-spec features.md): only what works on this\nhost is listed. "tsrun check" explains each host feature with a verdict.', flags: {} },
  check: {
    usage: 'check [command options]', describe: 'report what this host supports for containers, with a verdict per feature', nargs: { min: 0, max: 0 },
    description: 'Probes the kernel and the host: cgroup version, driver and controllers, namespaces (time and\n'
      + 'user included), seccomp actions, the mount and fd syscalls tsrun uses (openat2, clone3,\n'
      + 'close_range, open_tree/move_mount, fsopen, mount_setattr), idmapped mounts, LSMs and overlayfs.\n'
      + 'Each line is "ok", "missing" (tsrun cannot create containers here) or "limited" (the config\n'
      + 'fields named need it). Exit status: 1 when something required is missing. "tsrun features"\n'
      + 'is built from the same probes.',
    flags: { format: { type: 'string', alias: ['f'], describe: 'select one of: text or json', default: 'text' } },
  },
  spec: {
    usage: 'spec [command options]', describe: 'create a new specification file',
    nargs: { min: 0, max: 0 },
    description: 'The spec command creates a new specification file named "config.json" in the bundle\ndirectory: runc\'s default config (edit process.args for your image). --rootless makes one\nfor a rootless container.',
    flags: {
      bundle: { type: 'string', alias: ['b'], describe: 'path to the root of the bundle directory' },
      rootless: { type: 'bool', describe: 'generate a configuration for a rootless container' },
    },
  },
};
