// The library: everything the CLI does, as typed async functions.
export { create, type CreateOptions, type Created } from './lifecycle/create';
export { start, type Started } from './lifecycle/start';
export { kill } from './lifecycle/kill';
export { wait, type ExitStatus, type WaitOptions } from './lifecycle/wait';
export { deleteContainer } from './lifecycle/delete';
export { state, list } from './lifecycle/query';
export { run, type RunOptions } from './lifecycle/run';
export type { GlobalOptions } from './lifecycle/options';
export type { OciState, Status } from './state/status';
export { loadSpec, parseSpec } from './spec/load';
export * from './errors';
export { CorruptStateError, AbortedCreateError } from './state/store';
export { setLogger, type Logger, type Level, type Fields } from './log';
// every config.json type (Process, Mount, LinuxResources, ...): the spec as typed objects
export type * from './spec/config-types';
export { defaultSpec } from './spec/default-spec';
export { exec, type ExecOptions } from './lifecycle/exec';
export { pause, resume, pids, psTable } from './lifecycle/pause';
export { update, mergeResources, parseSize, type UpdateOptions } from './lifecycle/update';
export { stats, events, streamEvents, type ContainerEvent, type EventsOptions } from './lifecycle/events';
