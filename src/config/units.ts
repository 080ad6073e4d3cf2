import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '30s', '5m', '250ms', '1h', '7d' or a number of milliseconds → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = DURATION.exec(value.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 30s, 5m, 250ms (got ${JSON.stringify(v)})`,
    });
    return z.NEVER;
  }
  return ms;
});

const SIZE = /^(\d+)([KMG]?)(i?B)?$/i;
const UNIT_BYTES: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** '512M', '64K', '1G', '4096' or a number of bytes → bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE.exec(value.trim());
  if (m === null) return undefined;
  return Number(m[1]) * UNIT_BYTES[m[2]!.toUpperCase()]!;
}

export const sizeSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a size like 512M, 64K, 1G (got ${JSON.stringify(v)})`,
    });
    return z.NEVER;
  }
  return n;
});
