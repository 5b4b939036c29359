// A seeded generator of mutated config.json documents (test/unit/fuzz-config.test.ts over the
// spec-fixtures, test/e2e/fuzz-create.test.ts over a runnable config).

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

export const WEIRD: unknown[] = [null, true, false, 0, -1, 1.5, 9223372036854775807, -9223372036854775808, 18446744073709551615, '', '/', '..', '../../etc',
  'a'.repeat(5000), '\u0000', 'ro', 'CAP_SYS_ADMIN', 'RLIMIT_NOFILE', 'SCMP_ACT_ERRNO', [], {}, [1, 2], { a: 1 }, '/proc/self/fd/3'];

export function mutate(v: unknown, r: () => number, depth = 0): unknown {
  if (r() < 0.08 || depth > 6) return WEIRD[Math.floor(r() * WEIRD.length)];
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.3 ? mutate(x, r, depth + 1) : x)).filter(() => r() > 0.05);
    if (r() < 0.1) out.push(mutate(v[0] ?? {}, r, depth + 1));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (r() < 0.05) continue;
      out[k] = r() < 0.35 ? mutate(x, r, depth + 1) : x;
    }
    if (r() < 0.05) out[`extra${Math.floor(r() * 100)}`] = mutate({}, r, depth + 1);
    return out;
  }
  return r() < 0.5 ? WEIRD[Math.floor(r() * WEIRD.length)] : v;
}
