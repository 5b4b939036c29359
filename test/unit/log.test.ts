// src/log.ts: the lines containerd (go-runc reads the --log file's JSON: level, msg, time) and
// podman and CRI-O (runc's stderr: logrus text) parse. Expected lines are runc 1.1.5's own,
// captured on this host (`runc kill ID 'SIG"X<newline><tab><é U+2028&'`, text and json).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

type LogModule = typeof import('../../src/log');
/** A fresh copy of the module (it keeps the format, the fd and --debug in module state). */
function freshLog(): LogModule {
  let m!: LogModule;
  jest.isolateModules(() => { m = require('../../src/log'); });
  return m;
}

const T = new Date('2026-11-26T14:20:04Z');
// the fs object log.ts writes through (spied on: `import * as` gives a frozen namespace)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsObj: typeof fs = require('fs');

describe('formatLine: logrus as runc configures it', () => {
  // the host's zone decides the offset (logrus prints local time): pinned to UTC, then +02:00
  let offset: jest.SpyInstance;
  beforeEach(() => { offset = jest.spyOn(Date.prototype, 'getTimezoneOffset').mockReturnValue(0); });
  afterEach(() => offset.mockRestore());

  // runc's message (it %q's the signal itself): what a runc line decodes to
  const RUNC_MSG = 'unknown signal "SIG\\"X\\n\\t<é\\u2028"';
  test.each([
    ['text: runc\'s line, byte for byte', 'text', RUNC_MSG, {}, 'time="2026-11-26T14:20:04Z" level=error msg="unknown signal \\"SIG\\\\\\"X\\\\n\\\\t<é\\\\u2028\\""\n'],
    ['json: runc\'s line, byte for byte (<, > and & escaped as Go does)', 'json', `${RUNC_MSG.slice(0, -1)}&"`, {},
      '{"level":"error","msg":"unknown signal \\"SIG\\\\\\"X\\\\n\\\\t\\u003cé\\\\u2028\\u0026\\"","time":"2026-11-26T14:20:04Z"}\n'],
    ['text: a bare word is not quoted (logrus needsQuoting)', 'text', 'a-b.c/d@e^f+g_0', {}, 'time="2026-11-26T14:20:04Z" level=error msg=a-b.c/d@e^f+g_0\n'],
    ['text: raw control characters are escaped as Go\'s strconv.Quote, never a raw newline', 'text', 'a\nb\tc\x00d\x7fe\u2028f\u{1F600}g\u{E0001}', {},
      'time="2026-11-26T14:20:04Z" level=error msg="a\\nb\\tc\\x00d\\x7fe\\u2028f\u{1F600}g\\U000e0001"\n'],
    ['json: U+2028/U+2029 escaped (Go\'s encoding/json)', 'json', 'a\u2028b\u2029', {}, '{"level":"error","msg":"a\\u2028b\\u2029","time":"2026-11-26T14:20:04Z"}\n'],
    ['text: fields sorted after msg, quoted when needed; time/level/msg cannot be overridden', 'text', 'm', { z: 1, a: 'two words', time: 'x', ok: true },
      'time="2026-11-26T14:20:04Z" level=error msg=m a="two words" ok=true z=1\n'],
    ['json: keys sorted, fields typed', 'json', 'm', { z: 1, a: 'x', ok: true }, '{"a":"x","level":"error","msg":"m","ok":true,"time":"2026-11-26T14:20:04Z","z":1}\n'],
  ] as [string, string, string, Record<string, string | number | boolean>, string][])('%s', (_what, format, msg, fields, want) => {
    const log = freshLog();
    log.setLogFormat(format);
    expect(log.formatLine('error', msg, T, fields)).toBe(want);
  });

  test('the time is RFC 3339 in local time with its offset, as logrus prints it', () => {
    offset.mockReturnValue(-120);
    const log = freshLog();
    expect(log.formatLine('warning', 'w', T)).toBe('time="2026-11-26T16:20:04+02:00" level=warning msg=w\n');
    offset.mockReturnValue(330);
    expect(log.formatLine('warning', 'w', T)).toBe('time="2026-11-26T08:50:04-05:30" level=warning msg=w\n');
  });
});

describe('log, fatal: where the lines go', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-log-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--log FILE: lines appended in the format asked for; debug only with --debug; fatal\'s bare message to stderr too', () => {
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, 'earlier\n');
    const log = freshLog();
    const real = fsObj.writeSync.bind(fsObj) as (...a: any[]) => number;
    const stderr = jest.spyOn(fsObj, 'writeSync').mockImplementation(((fd: number, ...rest: any[]) => (fd === 2 ? Buffer.from(rest[0]).length : real(fd, ...rest))) as any);
    try {
      log.configureLog({ log: file, logFormat: 'json', debug: false });
      log.log('debug', 'hidden');
      log.log('warning', 'careful', { id: 'c1' });
      log.fatal('boom');
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines[0]).toBe('earlier');
      expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual([
        { level: 'warning', msg: 'careful', id: 'c1', time: expect.any(String) },
        { level: 'error', msg: 'boom', time: expect.any(String) },
      ]);
      // stderr: only the bare message of the fatal error (runc's fatal with --log)
      const toStderr = stderr.mock.calls.filter((c) => c[0] === 2).map((c) => Buffer.from(c[1] as any).toString());
      expect(toStderr).toEqual(['boom\n']);
      expect(log.debugEnabled()).toBe(false);
    } finally {
      stderr.mockRestore();
    }
  });

  test('without --log: the formatted line to stderr; --debug lets debug lines through', () => {
    const log = freshLog();
    const stderr = jest.spyOn(fsObj, 'writeSync').mockImplementation(((_fd: number, b: any) => Buffer.from(b).length) as any);
    try {
      log.configureLog({ logFormat: 'text', debug: true });
      log.log('debug', 'shown');
      log.fatal('bad "thing"');
      const out = stderr.mock.calls.filter((c) => c[0] === 2).map((c) => Buffer.from(c[1] as any).toString());
      expect(out).toEqual([expect.stringMatching(/^time="[^"]+" level=debug msg=shown\n$/), expect.stringMatching(/^time="[^"]+" level=error msg="bad \\"thing\\""\n$/)]);
    } finally {
      stderr.mockRestore();
    }
  });
});
