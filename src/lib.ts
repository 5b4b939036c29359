// The library: everything the CLI does, as typed async functions. Each call fails only with a
// TsrunError (a raw Node or addon error is wrapped: errors.ts toTsrunError).
import { throwsTsrunErrors as lib } from './errors';
import { create as createImpl } from './lifecycle/create';
import { start as startImpl } from './lifecycle/start';
import { kill as killImpl } from './lifecycle/kill';
import { wait as waitImpl } from './lifecycle/wait';
import { deleteContainer as deleteImpl } from './lifecycle/delete';
import { state as stateImpl, list as listImpl } from './lifecycle/query';
import { run as runImpl } from './lifecycle/run';
import { loadSpec as loadSpecImpl, parseSpec as parseSpecImpl } from './spec/load';
import { exec as execImpl } from './lifecycle/exec';
import { pause as pauseImpl, resume as resumeImpl, pids as pidsImpl } from './lifecycle/pause';
import { update as updateImpl } from './lifecycle/update';
import { stats as statsImpl } from './lifecycle/events';

export const create = lib(createImpl);
export const start = lib(startImpl);
export const kill = lib(killImpl);
export const wait = lib(waitImpl);
export const deleteContainer = lib(deleteImpl);
export const state = lib(stateImpl);
export const list = lib(listImpl);
export const run = lib(runImpl);
export const loadSpec = lib(loadSpecImpl);
export const parseSpec = lib(parseSpecImpl);
export const exec = lib(execImpl);
export const pause = lib(pauseImpl);
export const resume = lib(resumeImpl);
export const pids = lib(pidsImpl);
export const update = lib(updateImpl);
export const stats = lib(statsImpl);
export type { CreateOptions, Created } from './lifecycle/create';
export type { Started } from './lifecycle/start';
export type { ExitStatus, WaitOptions } from './lifecycle/wait';
export type { RunOptions } from './lifecycle/run';
export type { GlobalOptions } from './lifecycle/options';
export type { OciState, Status } from './state/status';
export * from './errors';
export { CorruptStateError, AbortedCreateError } from './state/store';
export { setLogger, type Logger, type Level, type Fields } from './log';
// every config.json type (Process, Mount, LinuxResources, ...): the spec as typed objects
export type * from './spec/config-types';
export { defaultSpec } from './spec/default-spec';
export type { ExecOptions } from './lifecycle/exec';
export { psTable } from './lifecycle/pause';
export { mergeResources, parseSize, type UpdateOptions } from './lifecycle/update';
export { events, streamEvents, type ContainerEvent, type EventsOptions } from './lifecycle/events';
