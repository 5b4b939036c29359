// The D-Bus wire format (little-endian), signature-driven: what the systemd cgroup driver needs
// to talk to systemd's Manager over a unix socket, and nothing else (no introspection, no fd
// passing). Values: y n q i u h d as numbers, x t as bigint (numbers accepted), b boolean,
// s o g strings, arrays as JS arrays, structs and dict entries as tuples, v as a Variant.
// Threat: strings from config.json (unit names, annotation values) reach the message; they are
// length-prefixed, never spliced into anything, and a NUL or a malformed object path is
// refused here rather than letting the bus drop the connection.

export class Variant {
  constructor(readonly sig: string, readonly value: unknown) {}
}

export class DBusWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DBusWireError';
  }
}

export type DType =
  | { k: 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 's' | 'o' | 'g' | 'v' | 'h' }
  | { k: 'a'; e: DType }
  | { k: '('; f: DType[] }
  | { k: '{'; key: DType; val: DType };

const BASIC = 'ybnqiuxtdsogh';

/** Parse a signature into its complete types ("sa(sv)" → [s, a(sv)]). */
export function parseSignature(sig: string): DType[] {
  let i = 0;
  const one = (depth: number): DType => {
    if (depth > 32) throw new DBusWireError(`signature ${JSON.stringify(sig)} nests too deeply`);
    const c = sig[i++];
    if (c === undefined) throw new DBusWireError(`signature ${JSON.stringify(sig)} ends early`);
    if (BASIC.includes(c) || c === 'v') return { k: c as 'y' };
    if (c === 'a') {
      if (sig[i] === '{') {
        i++;
        const key = one(depth + 1);
        if (!BASIC.includes(key.k)) throw new DBusWireError(`signature ${JSON.stringify(sig)}: dict key must be a basic type`);
        const val = one(depth + 1);
        if (sig[i++] !== '}') throw new DBusWireError(`signature ${JSON.stringify(sig)}: "}" expected`);
        return { k: 'a', e: { k: '{', key, val } };
      }
      return { k: 'a', e: one(depth + 1) };
    }
    if (c === '(') {
      const f: DType[] = [];
      while (sig[i] !== ')') {
        if (i >= sig.length) throw new DBusWireError(`signature ${JSON.stringify(sig)}: ")" expected`);
        f.push(one(depth + 1));
      }
      i++;
      if (!f.length) throw new DBusWireError(`signature ${JSON.stringify(sig)}: empty struct`);
      return { k: '(', f };
    }
    throw new DBusWireError(`signature ${JSON.stringify(sig)}: unexpected ${JSON.stringify(c)}`);
  };
  const out: DType[] = [];
  while (i < sig.length) out.push(one(0));
  return out;
}

function alignOf(t: DType): number {
  switch (t.k) {
    case 'y': case 'g': case 'v': return 1;
    case 'n': case 'q': return 2;
    case 'x': case 't': case 'd': case '(': case '{': return 8;
    default: return 4;
  }
}

const OBJECT_PATH = /^\/(?:[A-Za-z0-9_]+(?:\/[A-Za-z0-9_]+)*)?$/;

function intIn(v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new DBusWireError(`${what}: ${String(v)} is not an integer in [${lo}, ${hi}]`);
  return v;
}

function bigIn(v: unknown, signed: boolean): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else throw new DBusWireError(`${String(v)} is not a 64-bit integer`);
  const [lo, hi] = signed ? [-(1n << 63n), (1n << 63n) - 1n] : [0n, (1n << 64n) - 1n];
  if (b < lo || b > hi) throw new DBusWireError(`${b} is out of range for ${signed ? 'int64' : 'uint64'}`);
  return b;
}

export class Writer {
  private buf = Buffer.alloc(512);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  pad(a: number): void {
    const n = (a - (this.len % a)) % a;
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
  }

  u8(v: number): void { this.ensure(1); this.buf.writeUInt8(v, this.len); this.len += 1; }
  u32(v: number): void { this.pad(4); this.ensure(4); this.buf.writeUInt32LE(v, this.len); this.len += 4; }
  setU32(at: number, v: number): void { this.buf.writeUInt32LE(v, at); }
  bytes(b: Buffer): void { this.ensure(b.length); b.copy(this.buf, this.len); this.len += b.length; }

  private str(s: unknown, what: string): Buffer {
    if (typeof s !== 'string') throw new DBusWireError(`${what}: ${String(s)} is not a string`);
    if (s.includes('\0')) throw new DBusWireError(`${what}: ${JSON.stringify(s)} contains a NUL byte`);
    return Buffer.from(s, 'utf8');
  }

  write(t: DType, v: unknown): void {
    switch (t.k) {
      case 'y': this.u8(intIn(v, 0, 255, 'byte')); return;
      case 'b': if (typeof v !== 'boolean') throw new DBusWireError(`${String(v)} is not a boolean`); this.u32(v ? 1 : 0); return;
      case 'n': this.pad(2); this.ensure(2); this.buf.writeInt16LE(intIn(v, -32768, 32767, 'int16'), this.len); this.len += 2; return;
      case 'q': this.pad(2); this.ensure(2); this.buf.writeUInt16LE(intIn(v, 0, 65535, 'uint16'), this.len); this.len += 2; return;
      case 'i': this.pad(4); this.ensure(4); this.buf.writeInt32LE(intIn(v, -(2 ** 31), 2 ** 31 - 1, 'int32'), this.len); this.len += 4; return;
      case 'u': case 'h': this.u32(intIn(v, 0, 2 ** 32 - 1, 'uint32')); return;
      case 'x': this.pad(8); this.ensure(8); this.buf.writeBigInt64LE(bigIn(v, true), this.len); this.len += 8; return;
      case 't': this.pad(8); this.ensure(8); this.buf.writeBigUInt64LE(bigIn(v, false), this.len); this.len += 8; return;
      case 'd':
        if (typeof v !== 'number') throw new DBusWireError(`${String(v)} is not a double`);
        this.pad(8); this.ensure(8); this.buf.writeDoubleLE(v, this.len); this.len += 8; return;
      case 's': case 'o': {
        const b = this.str(v, t.k === 'o' ? 'object path' : 'string');
        if (t.k === 'o' && !OBJECT_PATH.test(v as string)) throw new DBusWireError(`invalid object path ${JSON.stringify(v)}`);
        this.u32(b.length); this.bytes(b); this.u8(0); return;
      }
      case 'g': {
        const b = this.str(v, 'signature');
        if (b.length > 255) throw new DBusWireError('signature longer than 255 bytes');
        parseSignature(v as string);
        this.u8(b.length); this.bytes(b); this.u8(0); return;
      }
      case 'v': {
        if (!(v instanceof Variant)) throw new DBusWireError(`${String(v)} is not a Variant`);
        const types = parseSignature(v.sig);
        if (types.length !== 1) throw new DBusWireError(`variant signature ${JSON.stringify(v.sig)} is not a single complete type`);
        this.write({ k: 'g' }, v.sig);
        this.write(types[0], v.value);
        return;
      }
      case 'a': {
        const items = v instanceof Map ? [...v.entries()] : v;
        if (!Array.isArray(items)) throw new DBusWireError(`${String(v)} is not an array`);
        this.u32(0);
        const at = this.len - 4;
        this.pad(alignOf(t.e));
        const start = this.len;
        for (const item of items) this.write(t.e, item);
        const n = this.len - start;
        if (n > 64 * 1024 * 1024) throw new DBusWireError('array longer than 64 MiB');
        this.setU32(at, n);
        return;
      }
      case '(': case '{': {
        const fields = t.k === '(' ? t.f : [t.key, t.val];
        if (!Array.isArray(v) || v.length !== fields.length) throw new DBusWireError(`expected a ${fields.length}-tuple, got ${JSON.stringify(v)}`);
        this.pad(8);
        fields.forEach((f, i) => this.write(f, v[i]));
        return;
      }
    }
  }

  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export class Reader {
  constructor(private readonly buf: Buffer, public pos = 0, private readonly end = buf.length) {}

  private need(n: number): void {
    if (this.pos + n > this.end) throw new DBusWireError('message truncated');
  }

  pad(a: number): void {
    this.pos += (a - (this.pos % a)) % a;
  }

  u8(): number { this.need(1); return this.buf.readUInt8(this.pos++); }
  u32(): number { this.pad(4); this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }

  read(t: DType, depth = 0): unknown {
    if (depth > 64) throw new DBusWireError('message nests too deeply');
    switch (t.k) {
      case 'y': return this.u8();
      case 'b': return this.u32() !== 0;
      case 'n': { this.pad(2); this.need(2); const v = this.buf.readInt16LE(this.pos); this.pos += 2; return v; }
      case 'q': { this.pad(2); this.need(2); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
      case 'i': { this.pad(4); this.need(4); const v = this.buf.readInt32LE(this.pos); this.pos += 4; return v; }
      case 'u': case 'h': return this.u32();
      case 'x': { this.pad(8); this.need(8); const v = this.buf.readBigInt64LE(this.pos); this.pos += 8; return v; }
      case 't': { this.pad(8); this.need(8); const v = this.buf.readBigUInt64LE(this.pos); this.pos += 8; return v; }
      case 'd': { this.pad(8); this.need(8); const v = this.buf.readDoubleLE(this.pos); this.pos += 8; return v; }
      case 's': case 'o': {
        const n = this.u32();
        this.need(n + 1);
        const s = this.buf.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'g': {
        const n = this.u8();
        this.need(n + 1);
        const s = this.buf.toString('latin1', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'v': {
        const sig = this.read({ k: 'g' }) as string;
        const types = parseSignature(sig);
        if (types.length !== 1) throw new DBusWireError(`variant signature ${JSON.stringify(sig)} is not a single complete type`);
        return new Variant(sig, this.read(types[0], depth + 1));
      }
      case 'a': {
        const n = this.u32();
        this.pad(alignOf(t.e));
        const end = this.pos + n;
        if (end > this.end) throw new DBusWireError('array runs past the message');
        const out: unknown[] = [];
        while (this.pos < end) out.push(this.read(t.e, depth + 1));
        if (this.pos !== end) throw new DBusWireError('array length does not match its elements');
        return out;
      }
      case '(': case '{': {
        this.pad(8);
        const fields = t.k === '(' ? t.f : [t.key, t.val];
        return fields.map((f) => this.read(f, depth + 1));
      }
    }
  }
}

// --- messages ---------------------------------------------------------------------------------

export const MSG_METHOD_CALL = 1;
export const MSG_METHOD_RETURN = 2;
export const MSG_ERROR = 3;
export const MSG_SIGNAL = 4;
export const FLAG_NO_REPLY_EXPECTED = 1;
export const FLAG_NO_AUTO_START = 2;

export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature?: string;
  body: unknown[];
}

const FIELDS: Array<[keyof Message, number, string]> = [
  ['path', 1, 'o'], ['interface', 2, 's'], ['member', 3, 's'], ['errorName', 4, 's'],
  ['replySerial', 5, 'u'], ['destination', 6, 's'], ['sender', 7, 's'], ['signature', 8, 'g'],
];
const HEADER_FIELDS: DType = parseSignature('a(yv)')[0];
/** The bus refuses messages above 128 MiB; systemd's replies here are a few hundred bytes. */
const MAX_MESSAGE = 128 * 1024 * 1024;

export function encodeMessage(m: Message): Buffer {
  const body = new Writer();
  const types = parseSignature(m.signature ?? '');
  if (types.length !== m.body.length) throw new DBusWireError(`signature ${JSON.stringify(m.signature ?? '')} has ${types.length} types for ${m.body.length} values`);
  types.forEach((t, i) => body.write(t, m.body[i]));
  const fields: Array<[number, Variant]> = [];
  for (const [key, code, sig] of FIELDS) {
    const v = m[key];
    if (v === undefined || (key === 'signature' && v === '')) continue;
    fields.push([code, new Variant(sig, v)]);
  }
  const w = new Writer();
  w.u8(0x6c); // 'l': little-endian
  w.u8(m.type);
  w.u8(m.flags);
  w.u8(1);
  w.u32(body.len);
  w.u32(m.serial);
  w.write(HEADER_FIELDS, fields);
  w.pad(8);
  w.bytes(body.result());
  return Buffer.from(w.result());
}

/**
 * Decode one message at the start of `buf`. undefined: not all of it has arrived yet.
 * Returns the message and how many bytes it took.
 */
export function decodeMessage(buf: Buffer): { msg: Message; size: number } | undefined {
  if (buf.length < 16) return undefined;
  const endian = buf[0];
  if (endian !== 0x6c) throw new DBusWireError(`unsupported byte order ${JSON.stringify(String.fromCharCode(endian))} (only little-endian peers)`);
  if (buf[3] !== 1) throw new DBusWireError(`unsupported protocol version ${buf[3]}`);
  const bodyLen = buf.readUInt32LE(4);
  const fieldsLen = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
  const size = headerEnd + bodyLen;
  if (size > MAX_MESSAGE) throw new DBusWireError(`message of ${size} bytes is too large`);
  if (buf.length < size) return undefined;
  const r = new Reader(buf, 12, 16 + fieldsLen);
  const fields = r.read(HEADER_FIELDS) as Array<[number, Variant]>;
  const msg: Message = { type: buf[1], flags: buf[2], serial: buf.readUInt32LE(8), body: [] };
  for (const [code, v] of fields) {
    const f = FIELDS.find(([, c]) => c === code);
    if (f) (msg as unknown as Record<string, unknown>)[f[0]] = v.value;
  }
  const types = parseSignature(msg.signature ?? '');
  const br = new Reader(buf.subarray(0, size), headerEnd, size);
  msg.body = types.map((t) => br.read(t));
  return { msg, size };
}
