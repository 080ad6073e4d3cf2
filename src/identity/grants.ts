import { IdentityError } from './errors.ts';
import {
  hostMatches,
  hostPatternWithin,
  normalizePath,
  parseHostPattern,
  parsePathGlob,
  pathGlobMatches,
  pathGlobWithin,
  toolPatternMatches,
  toolPatternWithin,
  urlAuthority,
} from './matchers.ts';
import { grantSchema } from './schema.ts';
import type { ArgConstraint, Grant } from './types.ts';

export type ArgCheck =
  { readonly ok: true } | { readonly ok: false; readonly param: string; readonly reason: string };

/** Parses and validates an untrusted grant (token claim, HTTP body, CLI); returns it deeply frozen. */
export function parseGrant(input: unknown): Grant {
  if (hasReservedKey(input, 0))
    throw new IdentityError('ERR_GRANT_INVALID', 'invalid grant: reserved key name');
  const r = grantSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new IdentityError(
      'ERR_GRANT_INVALID',
      `invalid grant at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    );
  }
  const g = r.data as Grant;
  for (const [key, params] of entries(g.args ?? {})) {
    for (const [param, c] of entries(params)) {
      const why = constraintProblem(c);
      if (why !== null)
        throw new IdentityError('ERR_GRANT_INVALID', `invalid constraint on ${key}.${param}: ${why}`);
    }
  }
  return deepFreeze(g);
}

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** zod drops `__proto__` keys silently; a grant naming one is refused loudly instead. */
function hasReservedKey(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object' || depth > 6) return false;
  for (const k of Object.keys(v)) {
    if (RESERVED_KEYS.has(k) || hasReservedKey((v as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

function constraintProblem(c: ArgConstraint): string | null {
  switch (c.kind) {
    case 'path':
      return c.globs.every((x) => parsePathGlob(x) !== null)
        ? null
        : 'a path glob is absolute and normal, ending at most in /* or /**';
    case 'host':
      return c.hosts.every((x) => parseHostPattern(x) !== null)
        ? null
        : 'a host is lower-case ASCII, optionally *.domain.tld and :port';
    case 'enum':
      return null;
    case 'range':
      return c.min !== undefined && c.max !== undefined && c.min > c.max ? 'min is above max' : null;
  }
}

/** Whether the grant names this tool (expiry is the token's business; pass `now` to check it too). */
export function toolAllowed(grant: Grant, server: string, tool: string, now?: number): boolean {
  if (now !== undefined && now >= grant.expiresAt) return false;
  const patterns = own(grant.tools, server);
  return patterns !== undefined && patterns.some((p) => toolPatternMatches(p, tool));
}

/**
 * Checks a call's arguments against the grant's constraints for `server.tool`. A constrained
 * parameter that is missing is refused. Unconstrained parameters pass. Reasons never echo values.
 */
export function checkArgs(grant: Grant, server: string, tool: string, args: unknown): ArgCheck {
  const constraints = own(grant.args ?? {}, `${server}.${tool}`);
  if (constraints === undefined) return { ok: true };
  const obj =
    args !== null && typeof args === 'object' && !Array.isArray(args)
      ? (args as Record<string, unknown>)
      : {};
  for (const [param, c] of entries(constraints)) {
    if (!Object.hasOwn(obj, param)) return { ok: false, param, reason: 'required by the grant but missing' };
    const reason = valueProblem(c, obj[param]);
    if (reason !== null) return { ok: false, param, reason };
  }
  return { ok: true };
}

function valueProblem(c: ArgConstraint, v: unknown): string | null {
  switch (c.kind) {
    case 'path': {
      const n = normalizePath(v);
      if (!n.ok) return n.reason;
      return c.globs.some((x) => {
        const g = parsePathGlob(x);
        return g !== null && pathGlobMatches(g, n.segs);
      })
        ? null
        : 'path outside the granted globs';
    }
    case 'host': {
      const a = urlAuthority(v);
      if (!a.ok) return a.reason;
      return c.hosts.some((x) => {
        const h = parseHostPattern(x);
        return h !== null && hostMatches(h, a.host, a.port);
      })
        ? null
        : 'host not in the allow-list';
    }
    case 'enum':
      return c.values.some((x) => x === v) ? null : 'value not in the allowed set';
    case 'range':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'not a finite number';
      if (c.integer === true && !Number.isInteger(v)) return 'not an integer';
      if (c.min !== undefined && v < c.min) return 'below the minimum';
      if (c.max !== undefined && v > c.max) return 'above the maximum';
      return null;
  }
}

/**
 * Delegation only narrows (DL-1, DL-2): true when every call the child allows, the parent
 * allows too, and the child expires no later. Decided exactly over the restricted syntax.
 */
export function isSubGrant(child: Grant, parent: Grant): boolean {
  return subGrantProblem(child, parent) === null;
}

/** Why `child` is not within `parent` (secret-free, for OAuth error descriptions), or null. */
export function subGrantProblem(child: Grant, parent: Grant): string | null {
  if (child.expiresAt > parent.expiresAt) return 'the grant outlives its parent';
  for (const [server, patterns] of entries(child.tools)) {
    const parentPatterns = own(parent.tools, server);
    if (parentPatterns === undefined) return `server ${server} is not in the parent grant`;
    for (const p of patterns) {
      if (!parentPatterns.some((q) => toolPatternWithin(p, q)))
        return `tool pattern ${server}.${p} is not in the parent grant`;
    }
  }
  for (const [key, params] of entries(parent.args ?? {})) {
    const dot = key.indexOf('.');
    if (!toolAllowed(child, key.slice(0, dot), key.slice(dot + 1))) continue;
    const childParams = own(child.args ?? {}, key);
    for (const [param, pc] of entries(params)) {
      const cc = childParams === undefined ? undefined : own(childParams, param);
      if (cc === undefined) return `constraint ${key}.${param} of the parent grant is missing`;
      if (!constraintWithin(cc, pc)) return `constraint ${key}.${param} is wider than the parent's`;
    }
  }
  return null;
}

/**
 * Completes a requested child grant with the parent's argument constraints it left out, for
 * every tool it can reach: a delegation that names only tools (`--tool fs.read_file`, `scope`)
 * keeps the parent's limits on their arguments instead of being refused. Explicit child
 * constraints are kept as given (and must still be within the parent's).
 */
export function inheritConstraints(child: Grant, parent: Grant): Grant {
  // Keys come from parsed grants (reserved names already refused), so plain objects are safe.
  const args: Record<string, Record<string, ArgConstraint>> = {};
  for (const [key, params] of entries(child.args ?? {})) args[key] = { ...params };
  let added = false;
  for (const [key, params] of entries(parent.args ?? {})) {
    const dot = key.indexOf('.');
    if (!toolAllowed(child, key.slice(0, dot), key.slice(dot + 1))) continue;
    for (const [param, c] of entries(params)) {
      const mine = (args[key] ??= {});
      if (!Object.hasOwn(mine, param)) {
        mine[param] = c;
        added = true;
      }
    }
  }
  return added ? deepFreeze({ ...child, args: { ...args } }) : child;
}

/** Every value `child` accepts, `parent` accepts. Different kinds never compare. */
export function constraintWithin(child: ArgConstraint, parent: ArgConstraint): boolean {
  switch (parent.kind) {
    case 'path':
      return child.kind === 'path' && globsWithin(child.globs, parent.globs, parsePathGlob, pathGlobWithin);
    case 'host':
      return (
        child.kind === 'host' && globsWithin(child.hosts, parent.hosts, parseHostPattern, hostPatternWithin)
      );
    case 'enum':
      return child.kind === 'enum' && child.values.every((v) => parent.values.some((x) => x === v));
    case 'range':
      return (
        child.kind === 'range' &&
        (parent.min === undefined || (child.min !== undefined && child.min >= parent.min)) &&
        (parent.max === undefined || (child.max !== undefined && child.max <= parent.max)) &&
        (parent.integer !== true || child.integer === true)
      );
  }
}

/** Unparseable entries never match: a malformed child is refused, a malformed parent grants nothing. */
function globsWithin<T>(
  child: readonly string[],
  parent: readonly string[],
  parse: (s: string) => T | null,
  within: (c: T, p: T) => boolean,
): boolean {
  const ps = parent.map(parse).filter((p): p is T => p !== null);
  return child.every((s) => {
    const c = parse(s);
    return c !== null && ps.some((p) => within(c, p));
  });
}

function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function entries<V>(record: Readonly<Record<string, V>>): [string, V][] {
  return Object.entries(record);
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export type GrantDecision =
  | { readonly allowed: true; readonly grantId?: string }
  | { readonly allowed: false; readonly grantId: string; readonly reason: string; readonly param?: string };

/**
 * The grant half of the gateway's "grant AND policy" check for one tool call. A principal
 * without a grant (an API key in foundation mode) is left to policy alone. Reasons are
 * secret-free and never echo argument values.
 */
export function grantDecision(
  principal: { readonly grant?: Grant },
  server: string,
  tool: string,
  args: unknown,
  now: number,
): GrantDecision {
  const g = principal.grant;
  if (g === undefined) return { allowed: true };
  if (now >= g.expiresAt) return { allowed: false, grantId: g.id, reason: 'the grant has expired' };
  if (!toolAllowed(g, server, tool))
    return { allowed: false, grantId: g.id, reason: `${server}.${tool} is not in the grant` };
  const a = checkArgs(g, server, tool, args);
  if (!a.ok)
    return { allowed: false, grantId: g.id, param: a.param, reason: `argument ${a.param}: ${a.reason}` };
  return { allowed: true, grantId: g.id };
}
