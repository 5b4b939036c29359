// config.json's int64/uint64 values (number | bigint, as parseJson reads them) as bigint, for
// the cgroup writers. The schema has range-checked every config.json and library spec; these
// also take `update`'s resources, so a value that is not an integer is a ConfigError naming
// the field (runc: Go's JSON decoding refuses it).
import { ConfigError } from '../errors';
import type { Int64 } from './config-types';

export const MAX_UINT64 = (1n << 64n) - 1n;

/** An integer field as bigint. */
export function big(v: Int64, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(field, `must be an integer, got ${JSON.stringify(v) ?? String(v)}`);
  return BigInt(v);
}

/** An optional int64 field: 0 when unset (runc's zero value). */
export function bigOr0(v: Int64 | undefined, field: string): bigint {
  return v === undefined || v === null ? 0n : big(v, field);
}

/** A uint64 field (negative values refused, as Go's JSON decoding refuses them). */
export function ubig(v: Int64, field: string): bigint {
  const b = big(v, field);
  if (b < 0n || b > MAX_UINT64) throw new ConfigError(field, `must be an unsigned 64-bit integer, got ${b}`);
  return b;
}

/** An optional uint64 field: 0 when unset. */
export function ubigOr0(v: Int64 | undefined, field: string): bigint {
  return v === undefined || v === null ? 0n : ubig(v, field);
}
