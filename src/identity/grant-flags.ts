import { newId } from '../core/index.ts';
import { IdentityError } from './errors.ts';
import { parseGrant } from './grants.ts';
import type { ArgConstraint, Grant } from './types.ts';

export interface GrantFlags {
  /** `--tool 'fs.read_*'` (server, dot, tool pattern), repeatable. */
  readonly tools: readonly string[];
  /**
   * `--arg 'server.tool.param=VALUE'`, repeatable; repeated keys of the same kind are united.
   * VALUE: `/abs/path[/*|/**]` or `path:/…` · `host:a.example.com,*.example.org` ·
   * `enum:a,b,c` or `enum:["a",1,true]` · `range:MIN..MAX` or `int:MIN..MAX` (either end may be empty).
   */
  readonly args?: readonly string[];
  /** Absolute expiry (epoch ms) of the grant. */
  readonly expiresAt: number;
  readonly id?: string;
}

/** Turns CLI grant flags into a validated Grant; every error names the flag, never a secret. */
export function parseGrantFlags(flags: GrantFlags): Grant {
  const tools = Object.create(null) as Record<string, string[]>;
  for (const t of flags.tools) {
    const dot = t.indexOf('.');
    if (dot <= 0 || dot === t.length - 1) throw flagError(`--tool ${t}: expected server.tool_pattern`);
    const server = t.slice(0, dot);
    (tools[server] ??= []).push(t.slice(dot + 1));
  }
  if (Object.keys(tools).length === 0) throw flagError('a grant needs at least one --tool');
  const args = Object.create(null) as Record<string, Record<string, ArgConstraint>>;
  for (const a of flags.args ?? []) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? '' : a.slice(0, eq);
    const last = key.lastIndexOf('.');
    if (eq < 0 || last <= 0 || key.indexOf('.') === last)
      throw flagError(`--arg ${key || a}: expected server.tool.param=VALUE`);
    const toolKey = key.slice(0, last);
    const param = key.slice(last + 1);
    const c = parseConstraint(a.slice(eq + 1), key);
    const params = (args[toolKey] ??= Object.create(null) as Record<string, ArgConstraint>);
    params[param] = Object.hasOwn(params, param) ? unite(params[param]!, c, key) : c;
  }
  return parseGrant({
    id: flags.id ?? newId('grt_'),
    tools,
    ...(Object.keys(args).length > 0 ? { args } : {}),
    expiresAt: flags.expiresAt,
  });
}

function parseConstraint(value: string, key: string): ArgConstraint {
  if (value.startsWith('/')) return { kind: 'path', globs: [value] };
  const colon = value.indexOf(':');
  const kind = colon < 0 ? '' : value.slice(0, colon);
  const body = value.slice(colon + 1);
  switch (kind) {
    case 'path':
      return { kind: 'path', globs: [body] };
    case 'host':
      return { kind: 'host', hosts: body.split(',').map((h) => h.trim().toLowerCase()) };
    case 'enum':
      return { kind: 'enum', values: body.startsWith('[') ? jsonScalars(body, key) : body.split(',') };
    case 'range':
    case 'int': {
      const m = /^(-?[0-9.e+]*)\.\.(-?[0-9.e+]*)$/.exec(body);
      if (m === null) throw flagError(`--arg ${key}: expected ${kind}:MIN..MAX`);
      return {
        kind: 'range',
        ...(m[1] === '' ? {} : { min: num(m[1]!, key) }),
        ...(m[2] === '' ? {} : { max: num(m[2]!, key) }),
        ...(kind === 'int' ? { integer: true } : {}),
      };
    }
    default:
      throw flagError(`--arg ${key}: VALUE is /path, path:, host:, enum:, range: or int:`);
  }
}

function unite(a: ArgConstraint, b: ArgConstraint, key: string): ArgConstraint {
  if (a.kind === 'path' && b.kind === 'path') return { kind: 'path', globs: [...a.globs, ...b.globs] };
  if (a.kind === 'host' && b.kind === 'host') return { kind: 'host', hosts: [...a.hosts, ...b.hosts] };
  if (a.kind === 'enum' && b.kind === 'enum') return { kind: 'enum', values: [...a.values, ...b.values] };
  throw flagError(`--arg ${key}: repeated with a different or non-combinable kind`);
}

function jsonScalars(body: string, key: string): (string | number | boolean)[] {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw flagError(`--arg ${key}: enum JSON does not parse`);
  }
  if (!Array.isArray(v) || !v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) {
    throw flagError(`--arg ${key}: enum JSON must be an array of strings, numbers or booleans`);
  }
  return v as (string | number | boolean)[];
}

function num(s: string, key: string): number {
  const n = Number(s);
  if (!Number.isFinite(n)) throw flagError(`--arg ${key}: ${s} is not a number`);
  return n;
}

function flagError(message: string): IdentityError {
  return new IdentityError('ERR_GRANT_INVALID', message);
}

/** `--ttl` values: `90`, `90s`, `15m`, `1h` → seconds (positive integer). */
export function parseTtl(text: string): number {
  const m = /^([1-9][0-9]{0,6})(s|m|h)?$/.exec(text.trim());
  if (m === null)
    throw flagError(`--ttl ${text.slice(0, 20)}: expected a number with an optional s, m or h suffix`);
  const n = Number(m[1]);
  return m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : n;
}
