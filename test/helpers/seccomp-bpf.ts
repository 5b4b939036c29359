// A classic-BPF interpreter for seccomp programs (struct sock_filter[], host byte order), so
// unit tests can ask what a built filter answers for a syscall on any architecture without
// loading it. Only what seccomp filters use: ld/ldx/st/alu/jmp/ret/misc with constants.

export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028 } as const;
export const X32_BIT = 0x40000000;

export const RET = { KILL_PROCESS: 0x80000000, KILL: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000, NOTIFY: 0x7fc00000 };

export interface SeccompData { nr: number; arch: number; ip?: bigint; args?: bigint[] }

function dataWord(d: SeccompData, off: number): number {
  const buf = Buffer.alloc(64);
  buf.writeInt32LE(d.nr, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  buf.writeBigUInt64LE(d.ip ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  if (off < 0 || off + 4 > 64 || off % 4) throw new Error(`load outside seccomp_data at ${off}`);
  return buf.readUInt32LE(off);
}

/** The 32-bit return value of `program` for `d` (throws on a malformed program). */
export function runSeccomp(program: Buffer, d: SeccompData): number {
  if (program.length % 8 !== 0 || program.length === 0) throw new Error(`program length ${program.length}`);
  const n = program.length / 8;
  let A = 0, X = 0;
  const M = new Array<number>(16).fill(0);
  for (let pc = 0, steps = 0; pc < n; pc++) {
    if (++steps > 100_000) throw new Error('no return');
    const code = program.readUInt16LE(pc * 8), jt = program[pc * 8 + 2], jf = program[pc * 8 + 3], k = program.readUInt32LE(pc * 8 + 4);
    const cls = code & 0x07, size = code & 0x18, mode = code & 0xe0, op = code & 0xf0, src = code & 0x08;
    switch (cls) {
      case 0x00: // LD
        if (mode === 0x20 && size === 0x00) A = dataWord(d, k); // BPF_ABS|BPF_W
        else if (mode === 0x00) A = k >>> 0; // BPF_IMM
        else if (mode === 0x60) A = M[k]; // BPF_MEM
        else throw new Error(`ld ${code.toString(16)} at ${pc}`);
        break;
      case 0x01: // LDX
        if (mode === 0x00) X = k >>> 0; else if (mode === 0x60) X = M[k]; else throw new Error(`ldx ${code.toString(16)} at ${pc}`);
        break;
      case 0x02: M[k] = A; break; // ST
      case 0x03: M[k] = X; break; // STX
      case 0x04: { // ALU
        const v = src ? X : k;
        switch (op) {
          case 0x00: A = (A + v) >>> 0; break;
          case 0x10: A = (A - v) >>> 0; break;
          case 0x40: A = (A | v) >>> 0; break;
          case 0x50: A = (A & v) >>> 0; break;
          case 0x60: A = (A << v) >>> 0; break;
          case 0x70: A = A >>> v; break;
          case 0x80: A = (-A) >>> 0; break;
          case 0xa0: A = (A ^ v) >>> 0; break;
          default: throw new Error(`alu ${code.toString(16)} at ${pc}`);
        }
        break;
      }
      case 0x05: { // JMP
        if (op === 0x00) { pc += k; break; } // JA
        const v = src ? X : k;
        let cond: boolean;
        switch (op) {
          case 0x10: cond = A === v; break;
          case 0x20: cond = A > v; break;
          case 0x30: cond = A >= v; break;
          case 0x40: cond = ((A & v) >>> 0) !== 0; break;
          default: throw new Error(`jmp ${code.toString(16)} at ${pc}`);
        }
        pc += cond ? jt : jf;
        break;
      }
      case 0x06: return (code & 0x18) === 0x10 ? A : k >>> 0; // RET A / RET K
      case 0x07: if (op === 0x00) X = A; else A = X; break; // MISC TAX / TXA
    }
  }
  throw new Error('ran off the end of the program');
}

/** "ENOSYS"-style names for the answers tests compare. */
export function describeRet(r: number): string {
  const action = (r & 0xffff0000) >>> 0;
  if (action === RET.ERRNO) return `errno ${r & 0xffff}`;
  const name = Object.entries(RET).find(([, v]) => v === action)?.[0];
  return name ?? `0x${r.toString(16)}`;
}
