import { floorDouble, lossy, parseJson } from '../../src/spec/json-int64';

describe('int64-exact JSON', () => {
  test('integers beyond 2^53 survive exactly as bigint', () => {
    const doc = parseJson('{"linux":{"resources":{"memory":{"limit":9223372036854775807,"swap":-9223372036854775808}}},"r":[18446744073709551615, 1.5, 12]}') as any;
    expect(doc.linux.resources.memory.limit).toBe(9223372036854775807n);
    expect(doc.linux.resources.memory.swap).toBe(-9223372036854775808n);
    expect(doc.r).toEqual([18446744073709551615n, 1.5, 12]);
  });
  test('documents without big integers parse like JSON.parse', () => {
    const text = '{"a":[1,2,{"b":"x\\"y"}],"c":null,"d":true,"e":1e3}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });
  test('strings that look like numbers stay strings; escapes are decoded', () => {
    const doc = parseJson('{"s":"99999999999999999999","n":99999999999999999999,"u":"\\u00e9"}') as any;
    expect(doc).toEqual({ s: '99999999999999999999', n: 99999999999999999999n, u: 'é' });
  });
  test('invalid JSON is rejected with a position', () => {
    expect(() => parseJson('{"n":99999999999999999999,}')).toThrow(/position/);
  });
  test('lossy() gives the validator plain numbers, bigints rounded toward -infinity', () => {
    expect(lossy({ a: [10n, { b: 2n ** 63n - 1n }] })).toEqual({ a: [10, { b: 2 ** 63 - 1024 }] });
  });
  test('floorDouble: the largest double <= the integer (issue 11 #14: 2^63-1 and 2^63 stay apart)', () => {
    const cases: [bigint, number][] = [
      [2n ** 63n - 1n, 2 ** 63 - 1024], [2n ** 63n, 2 ** 63], [2n ** 63n + 1n, 2 ** 63],
      [2n ** 64n - 1n, 2 ** 64 - 2048], [2n ** 64n, 2 ** 64],
      [-(2n ** 63n), -(2 ** 63)], [-(2n ** 63n) - 1n, -(2 ** 63) - 2048], [-(2n ** 63n) + 1n, -(2 ** 63)],
      [2n ** 53n + 1n, 2 ** 53], [-(2n ** 53n) - 1n, -(2 ** 53) - 2],
      [10n ** 400n, Number.MAX_VALUE], [-(10n ** 400n), -Number.MAX_VALUE],
    ];
    for (const [b, d] of cases) {
      expect([b, floorDouble(b)]).toEqual([b, d]);
      if (Math.abs(d) !== Number.MAX_VALUE) expect(BigInt(d) <= b).toBe(true);
    }
  });
});

describe('stringifyJson', () => {
  test('round-trips bigints exactly', () => {
    const { stringifyJson } = require('../../src/spec/json-int64');
    const v = { a: 18446744073709551615n, b: [1, -9223372036854775808n], s: 'x' };
    const text = stringifyJson(v);
    expect(text).toBe('{"a":18446744073709551615,"b":[1,-9223372036854775808],"s":"x"}');
    expect(parseJson(text)).toEqual(v);
  });
});

describe('"__proto__" keys (issue 11 #10): an own property on every parser path, never the prototype', () => {
  const caps = '{"__proto__": {"effective": ["CAP_SYS_ADMIN"], "bounding": ["CAP_SYS_ADMIN"]}}';
  const fast = `{"process": {"capabilities": ${caps}}, "n": 1}`;
  const slow = `{"process": {"capabilities": ${caps}}, "n": 18446744073709551615}`;

  test.each([['JSON.parse path', fast], ['int64 path', slow]])('%s', (_, text) => {
    const doc = parseJson(text) as any;
    const c = doc.process.capabilities;
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__']);
    expect(c.effective).toBeUndefined();
    expect(c.bounding).toBeUndefined();
    expect(({} as any).effective).toBeUndefined(); // nothing polluted Object.prototype either
  });

  test('both paths give the same object for the same text', () => {
    const a = parseJson(fast) as any;
    const b = parseJson(slow) as any;
    expect(b.n).toBe(18446744073709551615n);
    b.n = 1;
    expect(b).toStrictEqual(a);
    expect(a).toStrictEqual(JSON.parse(fast));
  });

  test('lossy() keeps "__proto__" an own property too (the copy the schema sees)', () => {
    const l = lossy(parseJson(slow)) as any;
    expect(Object.getPrototypeOf(l.process.capabilities)).toBe(Object.prototype);
    expect(Object.keys(l.process.capabilities)).toEqual(['__proto__']);
    expect(l.process.capabilities.effective).toBeUndefined();
  });

  test('a repeated "__proto__" key: the last one wins, as with JSON.parse', () => {
    const text = '{"__proto__": {"a": 1}, "__proto__": {"b": 2}, "n": 18446744073709551615}';
    const doc = parseJson(text) as any;
    expect(Object.getOwnPropertyDescriptor(doc, '__proto__')?.value).toEqual({ b: 2 });
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
  });
});
