// GVariant text format (what runc's org.systemd.property.* annotations hold, parsed there by
// godbus's ParseVariant): `uint64 123`, `'inactive-or-failed'`, `true`, `[1, 2]`, `@as []`,
// `("a", 1)`. The subset covers every value type systemd's unit properties take: basic types,
// arrays and structs. Untyped integers are int32 and untyped reals double, as in GLib.
import { parseSignature, Variant, type DType } from './dbus-wire';

export class GVariantError extends Error {}

const KEYWORDS: Record<string, string> = {
  boolean: 'b', byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't',
  handle: 'h', double: 'd', string: 's', objectpath: 'o', signature: 'g',
};

const INT_RANGE: Record<string, [bigint, bigint]> = {
  y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-(2n ** 31n), 2n ** 31n - 1n], u: [0n, 2n ** 32n - 1n],
  h: [-(2n ** 31n), 2n ** 31n - 1n], x: [-(2n ** 63n), 2n ** 63n - 1n], t: [0n, 2n ** 64n - 1n],
};

function sigOf(t: DType): string {
  switch (t.k) {
    case 'a': return 'a' + sigOf(t.e);
    case '(': return '(' + t.f.map(sigOf).join('') + ')';
    case '{': return '{' + sigOf(t.key) + sigOf(t.val) + '}';
    default: return t.k;
  }
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new GVariantError(`${what} at offset ${this.i} of ${JSON.stringify(this.s)}`);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  word(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    return m ? m[0] : '';
  }

  /** A value, of type `want` when given; returns its signature and JS value (for Writer). */
  value(want?: DType): { sig: string; v: unknown } {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('value expected');
    if (c === '@') {
      this.i++;
      const m = /^[a-z(){}]+/.exec(this.s.slice(this.i));
      if (!m) this.fail('type expected after "@"');
      let sig = '';
      // the longest prefix that is one complete type
      for (let n = m[0].length; n > 0 && !sig; n--) {
        try { if (parseSignature(m[0].slice(0, n)).length === 1) sig = m[0].slice(0, n); } catch { /* shorter */ }
      }
      if (!sig) this.fail(`invalid type "${m[0]}"`);
      this.i += sig.length;
      return this.value(parseSignature(sig)[0]);
    }
    const w = this.word();
    if (w && KEYWORDS[w]) {
      this.i += w.length;
      return this.value({ k: KEYWORDS[w] as 'y' });
    }
    if (w === 'true' || w === 'false') {
      this.i += w.length;
      if (want && want.k !== 'b') this.fail(`boolean where ${sigOf(want)} is expected`);
      return { sig: 'b', v: w === 'true' };
    }
    if (c === '\'' || c === '"') return this.string(want);
    if (c === '[') return this.array(want);
    if (c === '(') return this.tuple(want);
    if (/[-+0-9.]/.test(c)) return this.number(want);
    this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  string(want?: DType): { sig: string; v: unknown } {
    const q = this.s[this.i++];
    let out = '';
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail('unterminated string');
      if (c === q) break;
      if (c !== '\\') { out += c; continue; }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '\\': '\\', '\'': '\'', '"': '"' };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail('bad unicode escape');
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += n;
      } else this.fail('bad escape');
    }
    const k = want?.k ?? 's';
    if (k !== 's' && k !== 'o' && k !== 'g') this.fail(`string where ${sigOf(want!)} is expected`);
    return { sig: k, v: out };
  }

  number(want?: DType): { sig: string; v: unknown } {
    const m = /^[-+]?(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/.exec(this.s.slice(this.i));
    if (!m) this.fail('number expected');
    this.i += m[0].length;
    const text = m[0];
    const isReal = !/^[-+]?0[xX]/.test(text) && /[.eE]/.test(text);
    const k = want?.k ?? (isReal ? 'd' : 'i');
    if (k === 'd') return { sig: 'd', v: Number(text) };
    if (isReal || !INT_RANGE[k]) this.fail(`${text} is not a valid ${sigOf(want ?? { k: 'i' })}`);
    const neg = text.startsWith('-');
    const digits = text.replace(/^[-+]/, '');
    const b = (neg ? -1n : 1n) * BigInt(digits);
    const [lo, hi] = INT_RANGE[k];
    if (b < lo || b > hi) this.fail(`${text} is out of range for ${k}`);
    return { sig: k, v: k === 'x' || k === 't' ? b : Number(b) };
  }

  array(want?: DType): { sig: string; v: unknown } {
    if (want && want.k !== 'a') this.fail(`array where ${sigOf(want)} is expected`);
    this.i++;
    let elem: DType | undefined = want?.k === 'a' ? want.e : undefined;
    const items: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      if (!elem) this.fail('the type of an empty array must be given (e.g. "@as []")');
      return { sig: 'a' + sigOf(elem), v: items };
    }
    for (;;) {
      const { sig, v } = this.value(elem);
      if (!elem) elem = parseSignature(sig)[0];
      else if (sig !== sigOf(elem)) this.fail(`array elements of different types (${sigOf(elem)}, ${sig})`);
      items.push(v);
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') break;
      if (c !== ',') this.fail('"," or "]" expected');
    }
    return { sig: 'a' + sigOf(elem), v: items };
  }

  tuple(want?: DType): { sig: string; v: unknown } {
    if (want && want.k !== '(') this.fail(`tuple where ${sigOf(want)} is expected`);
    this.i++;
    const sigs: string[] = [];
    const vals: unknown[] = [];
    for (let n = 0; ; n++) {
      this.ws();
      if (this.s[this.i] === ')') { this.i++; break; }
      if (n > 0) {
        if (this.s[this.i] !== ',') this.fail('"," or ")" expected');
        this.i++;
      }
      const f = want?.k === '(' ? want.f[n] : undefined;
      if (want?.k === '(' && !f) this.fail('too many tuple fields');
      const { sig, v } = this.value(f);
      sigs.push(sig);
      vals.push(v);
    }
    if (!vals.length) this.fail('empty tuple');
    if (want?.k === '(' && want.f.length !== vals.length) this.fail('too few tuple fields');
    return { sig: `(${sigs.join('')})`, v: vals };
  }
}

/** Parse GVariant text into a D-Bus Variant. Throws GVariantError naming the offset. */
export function parseGVariant(text: string): Variant {
  const p = new Parser(text);
  const { sig, v } = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('trailing text');
  return new Variant(sig, v);
}
