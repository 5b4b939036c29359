// cgroup v2 device control: a BPF_PROG_TYPE_CGROUP_DEVICE program built from the normalised
// rule list of ../device-rules.ts (deviceRules), the way runc 1.1 builds it
// (libcontainer/cgroups/ebpf/devicefilter + the cgroup v1 devices emulator):
//
//  1. The rules are replayed through the devices emulator shared with v1 (../device-rules.ts
//     DevicesEmulator: "a" resets, other rules add or remove exceptions, punching a hole in a
//     wildcard exception is refused in runc's words).
//  2. The program checks the remaining exceptions, sorted by (major, minor, type) with
//     wildcards first, and returns the non-default verdict on the first one that matches;
//     otherwise the default (deny for an allow-list, allow for a deny-list).
//
// An exception matches a request when the type is equal, major and minor are equal or
// wildcards, and *every* requested access bit is in the exception (an "rw" open against an
// "r" exception does not match). For rule lists that runc accepts this is "the last matching
// rule wins"; lists runc rejects throw ConfigError here too.
//
// Also here, for tests and debugging: evaluate() decides a request straight from the emulated
// state (no program), runDeviceFilter() interprets a program this module emits, and
// disassemble() prints one.
//
// The context the kernel passes (struct bpf_cgroup_dev_ctx) is { u32 access_type; u32 major;
// u32 minor }, access_type = device type (BPF_DEVCG_DEV_*) | access bits (BPF_DEVCG_ACC_*) << 16.

import { ConfigError } from '../../../errors';
import { DEVICES_FIELD, DevicesEmulator, permString, type DeviceRule } from '../device-rules';

export { ruleString } from '../device-rules';

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
/** License string passed to BPF_PROG_LOAD (runc's). */
export const DEVICE_FILTER_LICENSE = 'Apache';

const FIELD = DEVICES_FIELD;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
const MAX_U32 = 0xffffffff;

/** One access decision: what the kernel asks the program about. */
export interface DeviceRequest {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** Subset of "rwm" (may be empty). */
  access: string;
}

/** An exception of the emulated devices cgroup: type b/c, -1 = wildcard, access as bits. */
export interface DeviceException {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** BPF_DEVCG_ACC_* bits. */
  access: number;
}

/** The emulated devices cgroup after replaying a rule list. */
export interface EmulatedDevices {
  /** true = deny-list (everything allowed except the exceptions). */
  defaultAllow: boolean;
  /** Sorted by (major, minor, type), wildcards (-1) first: the program's check order. */
  exceptions: DeviceException[];
}

// ---------------------------------------------------------------------------------------------
// Rule helpers

export function accessBits(access: string, field = FIELD): number {
  let bits = 0;
  for (const ch of access) {
    if (ch === 'r') bits |= BPF_DEVCG_ACC_READ;
    else if (ch === 'w') bits |= BPF_DEVCG_ACC_WRITE;
    else if (ch === 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    else throw new ConfigError(field, `invalid device access ${JSON.stringify(access)} (a combination of "r", "w", "m")`);
  }
  return bits;
}

export function accessString(bits: number): string {
  return `${bits & BPF_DEVCG_ACC_READ ? 'r' : ''}${bits & BPF_DEVCG_ACC_WRITE ? 'w' : ''}${bits & BPF_DEVCG_ACC_MKNOD ? 'm' : ''}`;
}

/**
 * Replays `rules` (in order) through runc's emulation of the v1 devices cgroup, starting from
 * deny-all: the default, and the exceptions in the program's check order with their access as
 * BPF_DEVCG_ACC_* bits. Throws ConfigError for rules runc rejects.
 */
export function emulateDeviceRules(rules: readonly DeviceRule[]): EmulatedDevices {
  const e = DevicesEmulator.fromRules(rules);
  return {
    defaultAllow: e.defaultAllow,
    exceptions: e.ordered().map(({ meta, perms }) => ({ ...meta, access: accessBits(permString(perms)) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Reference evaluator

function requestBits(req: DeviceRequest): number {
  if (req.type !== 'b' && req.type !== 'c') throw new Error(`invalid device request type ${JSON.stringify(req.type)}`);
  if (!/^[rwm]*$/.test(req.access)) throw new Error(`invalid device request access ${JSON.stringify(req.access)}`);
  for (const [n, what] of [[req.major, 'major'], [req.minor, 'minor']] as const) {
    if (!Number.isInteger(n) || n < 0 || n > MAX_U32) throw new Error(`invalid device request ${what} ${n}`);
  }
  return accessBits(req.access);
}

/**
 * Would the filter for `rules` allow `req`? Decided from the emulated cgroup state, without
 * building a program: the non-default verdict if any exception covers the request.
 */
export function evaluate(rules: readonly DeviceRule[], req: DeviceRequest): boolean {
  const want = requestBits(req);
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  const hit = exceptions.some((e) => e.type === req.type
    && (e.major === -1 || e.major === req.major)
    && (e.minor === -1 || e.minor === req.minor)
    && (want & ~e.access) === 0);
  return hit ? !defaultAllow : defaultAllow;
}

// ---------------------------------------------------------------------------------------------
// Instructions (struct bpf_insn: u8 code; u8 dst:4, src:4; s16 off; s32 imm)

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcodes this module emits (and runDeviceFilter understands).
export const OP = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W      dst = *(u32 *)(src + off)
  AND32_IMM: 0x54, // BPF_ALU | BPF_AND | BPF_K      dst = (u32)(dst & imm)
  RSH32_IMM: 0x74, // BPF_ALU | BPF_RSH | BPF_K      dst = (u32)dst >> imm
  MOV32_IMM: 0xb4, // BPF_ALU | BPF_MOV | BPF_K      dst = (u32)imm
  MOV32_REG: 0xbc, // BPF_ALU | BPF_MOV | BPF_X      dst = (u32)src
  JNE_IMM: 0x55, //   BPF_JMP | BPF_JNE | BPF_K      if dst != (s64)imm goto pc+1+off
  JNE_REG: 0x5d, //   BPF_JMP | BPF_JNE | BPF_X      if dst != src goto pc+1+off
  EXIT: 0x95, //      BPF_JMP | BPF_EXIT             return r0
} as const;

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });

export function encodeInsns(insns: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm, i * 8 + 4);
  });
  return buf;
}

export function decodeInsns(program: Buffer): BpfInsn[] {
  if (program.length % 8 !== 0) throw new Error(`BPF program length ${program.length} is not a multiple of 8`);
  const out: BpfInsn[] = [];
  for (let o = 0; o < program.length; o += 8) {
    const regs = program.readUInt8(o + 1);
    out.push(insn(program.readUInt8(o), regs & 0xf, regs >> 4, program.readInt16LE(o + 2), program.readInt32LE(o + 4)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generator

/** The instructions of the device filter for `rules` (see deviceFilterProgram). */
export function deviceFilterInsns(rules: readonly DeviceRule[]): BpfInsn[] {
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  const out: BpfInsn[] = [
    insn(OP.LDX_MEM_W, R2, R1, 0, 0), // r2 = access_type
    insn(OP.AND32_IMM, R2, 0, 0, 0xffff), // r2 &= 0xffff          (device type)
    insn(OP.LDX_MEM_W, R3, R1, 0, 0), // r3 = access_type
    insn(OP.RSH32_IMM, R3, 0, 0, 16), // r3 >>= 16               (access bits)
    insn(OP.LDX_MEM_W, R4, R1, 4, 0), // r4 = major
    insn(OP.LDX_MEM_W, R5, R1, 8, 0), // r5 = minor
  ];
  const NEXT = 'next';
  for (const e of exceptions) {
    const block: Array<BpfInsn & { jump?: typeof NEXT }> = [];
    const jne = (dst: number, imm: number) => block.push({ ...insn(OP.JNE_IMM, dst, 0, 0, imm), jump: NEXT });
    jne(R2, e.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    if (e.access !== ACC_ALL) {
      // Every requested bit must be in the exception: (r3 & access) != r3 -> next. r1 (the
      // context pointer) is free after the loads above.
      block.push(insn(OP.MOV32_REG, R1, R3, 0, 0), insn(OP.AND32_IMM, R1, 0, 0, e.access), { ...insn(OP.JNE_REG, R1, R3, 0, 0), jump: NEXT });
    }
    for (const [reg, v] of [[R4, e.major], [R5, e.minor]] as const) {
      if (v === -1) continue;
      if (v <= 0x7fffffff) {
        jne(reg, v);
      } else {
        // A JMP immediate is sign-extended to 64 bits, so it can never equal a zero-extended
        // u32 >= 2^31 (runc's int32(major) has that flaw; no real device has such numbers, but
        // compare through a register so the program means what the rule says).
        block.push(insn(OP.MOV32_IMM, R1, 0, 0, v | 0), { ...insn(OP.JNE_REG, reg, R1, 0, 0), jump: NEXT });
      }
    }
    block.push(insn(OP.MOV32_IMM, R0, 0, 0, defaultAllow ? 0 : 1), insn(OP.EXIT, 0, 0, 0, 0));
    block.forEach(({ jump, ...x }, j) => out.push(jump ? { ...x, off: block.length - (j + 1) } : x));
  }
  out.push(insn(OP.MOV32_IMM, R0, 0, 0, defaultAllow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  if (out.length > 0x7fff) throw new ConfigError(FIELD, `too many device rules: the filter would need ${out.length} BPF instructions`);
  return out;
}

/**
 * The BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[], little-endian) enforcing
 * `rules` (v2DeviceRules() output), as runc 1.1 generates it. Load it with license
 * DEVICE_FILTER_LICENSE (the addon's attachDeviceFilter does). Returns 1 to allow, 0 to deny.
 */
export function deviceFilterProgram(rules: readonly DeviceRule[]): Buffer {
  return encodeInsns(deviceFilterInsns(rules));
}

// ---------------------------------------------------------------------------------------------
// Interpreter (only what the generator emits; strict, so a generator bug fails loudly)

type Reg = bigint | 'ctx' | undefined;
const U32 = 0xffffffffn;
const U64 = (1n << 64n) - 1n;

/** The u32 access_type the kernel puts in bpf_cgroup_dev_ctx for `req`. */
export function accessType(req: DeviceRequest): number {
  const bits = requestBits(req);
  return ((bits << 16) | (req.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK)) >>> 0;
}

/**
 * Runs `program` (a deviceFilterProgram() result) on the context for `req`, returning r0
 * (1 = allow, 0 = deny). Throws on anything the generator never emits, on reads of
 * uninitialised registers, out-of-bounds jumps or context reads, and on running off the end.
 */
export function runDeviceFilter(program: Buffer, req: DeviceRequest): number {
  const insns = decodeInsns(program);
  const ctx = [accessType(req), req.major >>> 0, req.minor >>> 0];
  const regs: Reg[] = new Array(11).fill(undefined);
  regs[R1] = 'ctx';
  const scalar = (r: number, pc: number): bigint => {
    const v = regs[r];
    if (typeof v !== 'bigint') throw new Error(`insn ${pc}: r${r} is ${v === undefined ? 'uninitialised' : 'the context pointer'}`);
    return v;
  };
  let pc = 0;
  for (let steps = 0; steps <= insns.length; steps++) {
    if (pc < 0 || pc >= insns.length) throw new Error(`pc ${pc} outside the program (${insns.length} instructions)`);
    const x = insns[pc];
    if (x.dst > 10 || x.src > 10) throw new Error(`insn ${pc}: bad register`);
    let next = pc + 1;
    switch (x.code) {
      case OP.LDX_MEM_W: {
        if (regs[x.src] !== 'ctx') throw new Error(`insn ${pc}: load through r${x.src}, not the context`);
        if (x.off < 0 || x.off > 8 || x.off % 4 !== 0) throw new Error(`insn ${pc}: context offset ${x.off}`);
        regs[x.dst] = BigInt(ctx[x.off / 4]);
        break;
      }
      case OP.AND32_IMM: regs[x.dst] = (scalar(x.dst, pc) & U32) & (BigInt(x.imm) & U32); break;
      case OP.RSH32_IMM:
        if (x.imm < 0 || x.imm > 31) throw new Error(`insn ${pc}: shift ${x.imm}`);
        regs[x.dst] = (scalar(x.dst, pc) & U32) >> BigInt(x.imm);
        break;
      case OP.MOV32_IMM: regs[x.dst] = BigInt(x.imm) & U32; break;
      case OP.MOV32_REG: regs[x.dst] = scalar(x.src, pc) & U32; break;
      case OP.JNE_IMM: if (scalar(x.dst, pc) !== (BigInt(x.imm) & U64)) next = pc + 1 + x.off; break;
      case OP.JNE_REG: if (scalar(x.dst, pc) !== scalar(x.src, pc)) next = pc + 1 + x.off; break;
      case OP.EXIT: return Number(scalar(R0, pc) & U32);
      default: throw new Error(`insn ${pc}: unsupported opcode 0x${x.code.toString(16)}`);
    }
    if (x.code === OP.JNE_IMM || x.code === OP.JNE_REG) {
      if (x.off < 0) throw new Error(`insn ${pc}: backward jump`);
    }
    pc = next;
  }
  throw new Error('program did not exit');
}

/** One line per instruction, in cilium/ebpf's asm notation (what runc's tests print). */
export function disassemble(program: Buffer): string[] {
  return decodeInsns(program).map((x, i) => {
    const name: Record<number, string> = {
      [OP.LDX_MEM_W]: `LdXMemW dst: r${x.dst} src: r${x.src} off: ${x.off} imm: ${x.imm}`,
      [OP.AND32_IMM]: `AndImm32 dst: r${x.dst} imm: ${x.imm}`,
      [OP.RSH32_IMM]: `RShImm32 dst: r${x.dst} imm: ${x.imm}`,
      [OP.MOV32_IMM]: `MovImm32 dst: r${x.dst} imm: ${x.imm}`,
      [OP.MOV32_REG]: `MovReg32 dst: r${x.dst} src: r${x.src}`,
      [OP.JNE_IMM]: `JNEImm dst: r${x.dst} off: ${x.off} imm: ${x.imm} <${i + 1 + x.off}>`,
      [OP.JNE_REG]: `JNEReg dst: r${x.dst} off: ${x.off} src: r${x.src} <${i + 1 + x.off}>`,
      [OP.EXIT]: 'Exit',
    };
    return `${i}: ${name[x.code] ?? `op 0x${x.code.toString(16)} dst: r${x.dst} src: r${x.src} off: ${x.off} imm: ${x.imm}`}`;
  });
}
