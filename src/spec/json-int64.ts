// JSON parsing that keeps 64-bit integers exact: integers beyond 2^53 become bigint
// (memory limits such as 9223372036854775807, rlimits such as 18446744073709551615).
// Everything else parses as JSON.parse would, down to the objects: a "__proto__" key is an own
// data property (as JSON.parse makes it), never the prototype, so the same text gives the same
// object on both paths and no key can reach an object's prototype chain past the schema.

const BIG = /(?:^|[\s,:[])-?\d{16,}(?=[\s,\]}]|$)/;

export function parseJson(text: string): unknown {
  if (!BIG.test(text)) return JSON.parse(text);
  return new Parser(text).document();
}

/** Sets out[k] = v as an own data property, also for k "__proto__" (what JSON.parse does). */
export function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  else out[k] = v;
}

/**
 * The value with every bigint turned into a number for the schema validators: rounded toward
 * -infinity to the nearest double (floorDouble). With the schema's 64-bit ranges written as
 * [min, exclusiveMaximum) with bounds that are doubles (-2^63, 2^63, 2^64; see
 * schemas/defs-types.json) that rounding keeps every range check exact: 2^63-1 becomes
 * 2^63-1024 (< 2^63, accepted), 2^63 stays 2^63 (refused), -2^63-1 goes below -2^63 (refused).
 * Rounding to nearest, as Number() does, made 2^63 and 2^63-1 the same double.
 */
export function lossy(value: unknown): unknown {
  if (typeof value === 'bigint') return floorDouble(value);
  if (Array.isArray(value)) return value.map(lossy);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, lossy(v));
    return out;
  }
  return value;
}

/** The largest double <= b; +-Number.MAX_VALUE beyond the double range (out of every schema range). */
export function floorDouble(b: bigint): number {
  const n = Number(b);
  if (!Number.isFinite(n)) return n > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  if (BigInt(n) <= b) return n;
  // Number() rounded up: step one unit in the last place toward -infinity (|n| >= 2^53, so n != 0).
  const f = new Float64Array([n]);
  const bits = new BigUint64Array(f.buffer);
  bits[0] += n > 0 ? -1n : 1n;
  return f[0];
}

/** A JSON number at lastIndex, of any length. */
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) { this.i += word.length; return v; }
    }
    return this.fail('unexpected token');
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') { this.i++; return out; }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a property name');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected ":"');
      setOwn(out, k, this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') { this.i++; return out; }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') { this.i++; return JSON.parse(this.s.slice(start, this.i)) as string; }
      else this.i++;
    }
    return this.fail('unterminated string');
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail('bad number');
    this.i += m[0].length;
    if (!m[2] && !m[3]) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  }
}

const BIG_TAG = '\u0000bigint:';

/** JSON.stringify that writes bigints as exact integer literals (parseJson reads them back). */
export function stringifyJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? BIG_TAG + v.toString() : v), space);
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
