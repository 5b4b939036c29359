// The parent's side of the sync protocol (src/lifecycle/sync.ts) against a fake socket: the
// exchanges create and exec go through, and every record out of place -- another type, a type
// nobody defined, an fd too many or too few, the socket's end too early, a record after the
// last -- is an error naming the state at once (before, the loop skipped unknown types and a
// drift became a 60 s timeout, or a success with the wrong pid).
import { MSG } from '../../src/native/contract';
import type { NativePlan, SyncMsg } from '../../src/native/addon';
import { runSync, syncFlow, syncStates, SyncProtocolError, type SyncFlow, type SyncHandlers } from '../../src/lifecycle/sync';

type Rec = { type: number; pid?: number; fd?: number } | null; // null: EOF

const rec = (type: number, extra: { pid?: number; fd?: number } = {}): SyncMsg => ({ type, step: 0, errno: 0, pid: extra.pid ?? 0, index: -1, detail: '', fd: extra.fd });

/** Runs the exchange over a scripted socket; what the parent sent, closed and did, or the error. */
async function exchange(flow: Partial<SyncFlow>, script: Rec[]) {
  const sent: string[] = [];
  const closed: number[] = [];
  const did: string[] = [];
  const doing: string[] = [];
  const queue = [...script];
  const t = {
    async recv(d: string): Promise<SyncMsg | null> {
      doing.push(d);
      if (!queue.length) throw new Error('timed out'); // the child sends nothing more
      const r = queue.shift()!;
      return r && rec(r.type, r);
    },
    send(type: number, index?: number, fd?: number) {
      const name = Object.entries(MSG).find(([, v]) => v === type)![0];
      sent.push(index === undefined ? name : `${name}(${index}, fd ${fd})`);
    },
    close(fd: number) { closed.push(fd); },
  };
  const h: SyncHandlers = {
    userns: (pid) => { did.push(`maps ${pid}`); },
    pid: (pid) => { did.push(`pid ${pid}`); },
    mountSources: (nsFd, send) => { did.push(`sources in ns fd ${nsFd}`); send(3, 42); closed.push(nsFd); },
    hooks: () => { did.push('hooks'); },
    seccomp: (fd) => { did.push(`listener gets fd ${fd}`); closed.push(fd); },
    error: (m) => new Error(`child error at step ${m.step}`),
  };
  const full: SyncFlow = { usernsMaps: false, initPid: false, mountSources: false, hooks: false, seccompNotify: false, stubPid: false, ...flow };
  let error: Error | undefined;
  try {
    await runSync(full, t, h, 'start');
  } catch (e) {
    error = e as Error;
  }
  return { sent, closed, did, doing, error, left: queue.length };
}

const EOF = null;
const { USERNS, PID, HOOKS, ERROR, SECCOMP, MOUNTSOURCES, GO, SOURCE } = MSG;

describe('sync protocol: the exchanges that complete', () => {
  test.each<[string, Partial<SyncFlow>, Rec[], string[], string[]]>([
    ['create, one stage, nothing to wait for', {}, [EOF], ['GO'], []],
    ['create, one stage, everything', { mountSources: true, hooks: true, seccompNotify: true },
      [{ type: MOUNTSOURCES, fd: 7 }, { type: HOOKS }, { type: SECCOMP, fd: 8 }, EOF],
      ['GO', 'SOURCE(3, fd 42)', 'GO', 'GO', 'GO'], ['sources in ns fd 7', 'hooks', 'listener gets fd 8']],
    ['create, two stages, a new user namespace', { usernsMaps: true, initPid: true, mountSources: true, hooks: true },
      [{ type: USERNS, pid: 10 }, { type: PID, pid: 11 }, { type: MOUNTSOURCES, fd: 7 }, { type: HOOKS }, EOF],
      ['GO', 'GO', 'GO', 'SOURCE(3, fd 42)', 'GO', 'GO'], ['maps 10', 'pid 11', 'sources in ns fd 7', 'hooks']],
    ['create, two stages, joined namespaces only', { initPid: true }, [{ type: PID, pid: 11 }, EOF], ['GO', 'GO'], ['pid 11']],
    ['exec', { stubPid: true }, [{ type: PID, pid: 12 }, EOF], ['GO'], ['pid 12']],
    ['exec with a seccomp listener', { stubPid: true, seccompNotify: true }, [{ type: SECCOMP, fd: 8 }, { type: PID, pid: 12 }, EOF],
      ['GO', 'GO'], ['listener gets fd 8', 'pid 12']],
  ])('%s', async (_, flow, script, sent, did) => {
    const r = await exchange(flow, script);
    expect(r.error).toBeUndefined();
    expect(r.sent).toEqual(sent);
    expect(r.did).toEqual(did);
    expect(r.left).toBe(0);
  });

  test('a timeout names what the child was doing after the last answer', async () => {
    const r = await exchange({ hooks: true }, [{ type: HOOKS }]);
    expect(r.error?.message).toBe('timed out');
    expect(r.doing).toEqual(['start', 'enter the rootfs, set its credentials and exec tsrun-init (after the prestart, createRuntime and createContainer hooks)']);
  });

  test('the states are the table of sync.ts, in order', () => {
    const all = { usernsMaps: true, initPid: true, mountSources: true, hooks: true, seccompNotify: true, stubPid: false };
    expect(syncStates(all).map((s) => `${s.name}:${s.expect}`)).toEqual(
      ['userns-maps:USERNS', 'init-pid:PID', 'mount-sources:MOUNTSOURCES', 'hooks:HOOKS', 'seccomp-listener:SECCOMP', 'exec-init:EOF']);
    expect(syncStates({ ...all, usernsMaps: false, initPid: false, mountSources: false, hooks: false, stubPid: true }).map((s) => s.name))
      .toEqual(['seccomp-listener', 'exec-pid', 'exec-init']);
  });
});

describe('sync protocol: a record out of place is an error naming the state, at once', () => {
  test.each<[string, Partial<SyncFlow>, Rec[], RegExp, number[]]>([
    ['another type than the state waits for', { hooks: true, seccompNotify: true }, [{ type: SECCOMP, fd: 8 }],
      /^sync state "hooks": the container's child sent SECCOMP with an fd while the runtime waited for HOOKS$/, [8]],
    ['a type nobody defined', { hooks: true }, [{ type: 77 }], /^sync state "hooks": the container's child sent unknown record type 77 while the runtime waited for HOOKS$/, []],
    ['a parent\'s record from the child', {}, [{ type: GO }], /sent GO \(a record only the parent sends\) while the runtime waited for the end of the exchange/, []],
    ['a SOURCE from the child, with its fd', { mountSources: true }, [{ type: SOURCE, fd: 9 }], /^sync state "mount-sources": .*sent SOURCE \(a record only the parent sends\) with an fd/, [9]],
    ['a record after the last', {}, [{ type: HOOKS }], /^sync state "exec-init": the container's child sent HOOKS while the runtime waited for the end of the exchange \(the exec of tsrun-init\)$/, []],
    ['the init\'s record before stage 1\'s PID', { initPid: true, hooks: true }, [{ type: HOOKS }], /^sync state "init-pid": .*sent HOOKS while the runtime waited for PID$/, []],
    ['PID before the maps', { usernsMaps: true, initPid: true }, [{ type: PID, pid: 11 }], /^sync state "userns-maps": .*sent PID while the runtime waited for USERNS$/, []],
    ['a second PID on exec', { stubPid: true }, [{ type: PID, pid: 12 }, { type: PID, pid: 13 }], /^sync state "exec-init": .*sent PID/, []],
    ['the socket closed before a record that was due', { hooks: true }, [EOF],
      /^sync state "hooks": the container's child closed the socket while the runtime waited for HOOKS: it exited without an error record/, []],
    ['exec: tsrun-init gone before its PID', { stubPid: true }, [EOF], /^sync state "exec-pid": .*closed the socket while the runtime waited for PID/, []],
    ['a record without the fd it carries', { seccompNotify: true }, [{ type: SECCOMP }], /^sync state "seccomp-listener": .*sent SECCOMP, without the fd it carries$/, []],
    ['mount sources without the namespace fd', { mountSources: true }, [{ type: MOUNTSOURCES }], /without the fd it carries/, []],
    ['an fd on a record that carries none', { initPid: true }, [{ type: PID, pid: 11, fd: 5 }], /^sync state "init-pid": .*sent PID with an fd, which carries none$/, [5]],
  ])('%s', async (_, flow, script, message, closed) => {
    const r = await exchange(flow, script);
    expect(r.error).toBeInstanceOf(SyncProtocolError);
    expect(r.error!.message).toMatch(message);
    expect(r.closed).toEqual(closed); // an fd that came with a refused record is closed, not leaked
    expect(r.did).toEqual(r.did.filter((d) => d.startsWith('pid'))); // no handler ran for the refused record
    expect(r.left).toBe(0); // nothing was waited for after it
  });

  test.each<[string, Partial<SyncFlow>, Rec[]]>([
    ['create, before anything', { hooks: true }, [{ type: ERROR }]],
    ['create, after the hooks', { hooks: true }, [{ type: HOOKS }, { type: ERROR }]],
    ['exec, tsrun-init\'s clone failed', { stubPid: true }, [{ type: ERROR }]],
  ])('a failure record ends the exchange with the child\'s error: %s', async (_, flow, script) => {
    const r = await exchange(flow, script);
    expect(r.error?.message).toBe('child error at step 0');
    expect(r.left).toBe(0);
  });
});

describe('sync protocol: the flow the plan implies', () => {
  const base = { twoStage: false, usernsSync: false, hooksSync: false } as NativePlan;
  const program = Buffer.alloc(16);
  test.each<[string, Partial<NativePlan>, Partial<SyncFlow>]>([
    ['one stage', {}, { usernsMaps: false, initPid: false, stubPid: false }],
    ['two stages with a new user namespace', { twoStage: true, usernsSync: true }, { usernsMaps: true, initPid: true }],
    ['usernsSync without two stages: the child ignores it', { usernsSync: true }, { usernsMaps: false }],
    ['exec', { twoStage: true, forkInStub: true }, { initPid: false, stubPid: true }],
    ['a notify filter the child loads', { seccompProgram: program, seccompInChild: true, seccompNotify: true }, { seccompNotify: true }],
    ['a notify filter tsrun-init loads (no_new_privs)', { seccompProgram: program, seccompInChild: false, seccompNotify: true }, { seccompNotify: false }],
    ['no instruction in the program', { seccompProgram: Buffer.alloc(4), seccompInChild: true, seccompNotify: true }, { seccompNotify: false }],
    ['hooks and mount sources', { hooksSync: true, mountSources: true }, { hooks: true, mountSources: true }],
  ])('%s', (_, plan, flow) => {
    expect(syncFlow({ ...base, ...plan })).toMatchObject(flow);
  });
});
