/**
 * [DL-1] [DL-2] [DL-3] [DL-8] Property: over 10,000 random delegation chains, no child ever
 * holds a tool, argument value, audience or lifetime its parent lacks; depth and loops are
 * bounded. fast-check drives a seed; a seeded generator builds each chain from small
 * alphabets so that narrowing, widening and overlapping patterns all occur often.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  actorChain,
  agentUri,
  checkArgs,
  deriveDelegated,
  isSubGrant,
  parseGrant,
  toolAllowed,
} from '../../../src/identity/index.ts';
import type { AccessClaims, ArgConstraint, Grant } from '../../../src/identity/index.ts';

type Rng = () => number;
function rng(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;
const subset = <T>(r: Rng, xs: readonly T[], min = 1): T[] => {
  const out = xs.filter(() => chance(r, 0.6));
  return out.length >= min ? out : xs.slice(0, min);
};

const SERVERS = ['fs', 'web', 'db'];
const TOOLS = ['read_file', 'read_text', 'read_', 'list', 'write_file', 'fetch', 'x'];
const PREFIXES = ['', 'r', 'read_', 'read_f', 'l', 'w', 'fetch', 'x'];
const PARAMS = ['path', 'url', 'n', 'mode'];
const SEGS = ['a', 'b', 'c'];
const HOSTS = ['a.com', 'b.a.com', 'c.b.a.com', 'x.org'];
const ENUMS: (string | number | boolean)[] = ['u', 'v', 'w', 1, 2, true];
const NUMS = [-5, -2, 0, 1, 2, 3, 5];

const PATHS = ['/', '/a', '/a/b', '/a/b/c', '/a/b/c/a', '/b', '/b/a', '/a/../b', '/a//b', 'a/b', '/c/c'];
const URLS = [
  'https://a.com/',
  'https://b.a.com/x',
  'https://c.b.a.com/',
  'https://d.c.b.a.com/',
  'https://x.org/',
  'https://b.a.com:8443/',
  'https://a.com@x.org/',
  'https://evil.com/',
];
const VALUES: unknown[] = [...PATHS, ...URLS, ...ENUMS, ...NUMS, 1.5, -6, 6, null, undefined];

function randPattern(r: Rng): string {
  return chance(r, 0.5) ? pick(r, TOOLS) : pick(r, PREFIXES) + '*';
}
function randGlob(r: Rng): string {
  const depth = Math.floor(r() * 3);
  const base = Array.from({ length: depth }, () => pick(r, SEGS));
  const mode = pick(r, ['', '/*', '/**']);
  return base.length === 0 && mode === '' ? '/' : '/' + base.join('/') + mode;
}
function randHost(r: Rng): string {
  const h = pick(r, HOSTS);
  return (chance(r, 0.4) && h.includes('.') ? '*.' : '') + h + (chance(r, 0.15) ? ':8443' : '');
}
function randConstraint(r: Rng, kind = pick(r, ['path', 'host', 'enum', 'range'] as const)): ArgConstraint {
  switch (kind) {
    case 'path':
      return { kind, globs: Array.from({ length: 1 + Math.floor(r() * 2) }, () => randGlob(r)) };
    case 'host':
      return { kind, hosts: Array.from({ length: 1 + Math.floor(r() * 2) }, () => randHost(r)) };
    case 'enum':
      return { kind, values: subset(r, ENUMS) };
    case 'range': {
      const a = pick(r, NUMS);
      const b = pick(r, NUMS);
      return {
        kind,
        ...(chance(r, 0.8) ? { min: Math.min(a, b) } : {}),
        ...(chance(r, 0.8) ? { max: Math.max(a, b) } : {}),
        ...(chance(r, 0.5) ? { integer: true } : {}),
      };
    }
  }
}
function randGrant(r: Rng, id: string, expiresAt: number): Grant {
  const tools: Record<string, string[]> = {};
  for (const s of subset(r, SERVERS))
    tools[s] = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randPattern(r));
  const args: Record<string, Record<string, ArgConstraint>> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) {
    (args[`${pick(r, SERVERS)}.${pick(r, TOOLS)}`] ??= {})[pick(r, PARAMS)] = randConstraint(r);
  }
  return parseGrant({ id, tools, args, expiresAt });
}

/** A child derived by narrowing moves only (so it must be accepted), then maybe widened. */
function narrowGrant(r: Rng, p: Grant, id: string): { grant: Grant; pureNarrowing: boolean } {
  const tools: Record<string, string[]> = {};
  for (const [s, pats] of Object.entries(p.tools)) {
    if (chance(r, 0.2)) continue;
    tools[s] = subset(r, pats).map((q) =>
      q.endsWith('*') && chance(r, 0.4)
        ? q.slice(0, -1) + pick(r, ['x', 'ead_', 'f']) + pick(r, ['', '*'])
        : q,
    );
  }
  const args: Record<string, Record<string, ArgConstraint>> = {};
  for (const [k, params] of Object.entries(p.args ?? {})) {
    for (const [param, c] of Object.entries(params)) (args[k] ??= {})[param] = narrowConstraint(r, c);
  }
  if (chance(r, 0.3)) {
    const extra = (args[`${pick(r, SERVERS)}.${pick(r, TOOLS)}`] ??= {});
    const param = pick(r, PARAMS);
    if (!Object.hasOwn(extra, param)) extra[param] = randConstraint(r);
  }
  let pureNarrowing = true;
  let expiresAt = p.expiresAt - Math.floor(r() * 3) * 1000;
  if (chance(r, 0.35)) {
    pureNarrowing = false;
    const w = Math.floor(r() * 5);
    if (w === 0) (tools[pick(r, SERVERS)] ??= []).push(randPattern(r));
    else if (w === 1) expiresAt = p.expiresAt + 1000;
    else if (w === 2 && Object.keys(args).length > 0) {
      const k = pick(r, Object.keys(args));
      const ps = args[k]!;
      const param = pick(r, Object.keys(ps));
      if (chance(r, 0.5)) delete ps[param];
      else ps[param] = randConstraint(r);
    } else if (w === 3 && Object.keys(args).length > 0) {
      const ps = args[pick(r, Object.keys(args))]!;
      const param = pick(r, Object.keys(ps));
      if (param !== undefined) ps[param] = widenConstraint(r, ps[param]!);
    } else (tools[pick(r, SERVERS)] ??= []).push(pick(r, PREFIXES) + '*');
  }
  for (const s of Object.keys(tools)) if (tools[s]!.length === 0) delete tools[s];
  return { grant: parseGrant({ id, tools, args, expiresAt }), pureNarrowing };
}

function narrowConstraint(r: Rng, c: ArgConstraint): ArgConstraint {
  switch (c.kind) {
    case 'path':
      return {
        kind: 'path',
        globs: subset(r, c.globs).map((g) =>
          g.endsWith('/**') && chance(r, 0.4)
            ? g.slice(0, -3).replace(/\/$/, '') + '/' + pick(r, SEGS) + pick(r, ['', '/*', '/**'])
            : g,
        ),
      };
    case 'host':
      return {
        kind: 'host',
        hosts: subset(r, c.hosts).map((h) =>
          h.startsWith('*.') && chance(r, 0.4) ? pick(r, ['c.', 'zz.', '*.q.']) + h.slice(2) : h,
        ),
      };
    case 'enum':
      return { kind: 'enum', values: subset(r, c.values) };
    case 'range': {
      let min = c.min === undefined ? (chance(r, 0.5) ? -1 : undefined) : c.min + (chance(r, 0.5) ? 1 : 0);
      if (min !== undefined && c.max !== undefined && min > c.max) min = c.min;
      let max = c.max === undefined ? undefined : c.max - (chance(r, 0.5) ? 1 : 0);
      if (max !== undefined && min !== undefined && max < min) max = c.max;
      return {
        kind: 'range',
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        ...(c.integer === true || chance(r, 0.3) ? { integer: true } : {}),
      };
    }
  }
}

function widenConstraint(r: Rng, c: ArgConstraint): ArgConstraint {
  switch (c.kind) {
    case 'path':
      return { kind: 'path', globs: [...c.globs, randGlob(r)] };
    case 'host':
      return { kind: 'host', hosts: [...c.hosts, randHost(r)] };
    case 'enum':
      return { kind: 'enum', values: [...c.values, pick(r, ENUMS)] };
    case 'range':
      return chance(r, 0.5)
        ? {
            kind: 'range',
            ...(c.min === undefined ? {} : { min: c.min }),
            ...(c.max === undefined ? {} : { max: c.max }),
          }
        : {
            kind: 'range',
            ...(c.min === undefined ? {} : { min: c.min - 1 }),
            ...(c.max === undefined ? {} : { max: c.max + 1 }),
            ...(c.integer === true ? { integer: true } : {}),
          };
  }
}

function allows(g: Grant, server: string, tool: string, args: Record<string, unknown>): boolean {
  return toolAllowed(g, server, tool) && checkArgs(g, server, tool, args).ok;
}

const POOLS: Record<ArgConstraint['kind'], readonly unknown[]> = {
  path: PATHS,
  host: URLS,
  enum: [...ENUMS, 'z', 3, false],
  range: [...NUMS, 1.5, -2.5, -6, 6, 4],
};

/** A call aimed at what `g` grants (so allowed calls are common), values drawn per constraint kind. */
function randCall(r: Rng, g: Grant): [string, string, Record<string, unknown>] {
  const servers = Object.keys(g.tools);
  const server = servers.length > 0 && chance(r, 0.8) ? pick(r, servers) : pick(r, SERVERS);
  const tool = pick(r, TOOLS);
  const constraints = g.args?.[`${server}.${tool}`] ?? {};
  const args: Record<string, unknown> = {};
  for (const p of PARAMS) {
    const c = constraints[p];
    if (c !== undefined && chance(r, 0.95)) args[p] = pick(r, POOLS[c.kind]);
    else if (chance(r, 0.7)) args[p] = pick(r, VALUES);
  }
  return [server, tool, args];
}

const AGENTS = ['agt_o', 'agt_a', 'agt_b', 'agt_c', 'agt_d', 'agt_e'];
const LIMITS = { maxDepth: 4, maxTtlSec: 900 };

describe('delegation chains (property)', () => {
  it('[DL-1][DL-2][DL-3][DL-8] no child holds a tool, argument, audience or lifetime its parent lacks; depth and loops are bounded', () => {
    let accepted = 0;
    let refusedLoops = 0;
    let refusedDepth = 0;
    let allowedCalls = 0;
    fcAssert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const r = rng(seed);
        const now = 1_800_000_000;
        const root: AccessClaims = {
          iss: 'https://gw',
          aud: 'https://gw/mcp',
          sub: agentUri('agt_o'),
          client_id: 'agt_o',
          jti: 't0',
          iat: now,
          nbf: now,
          exp: now + 600,
          grant: randGrant(r, 'g0', (now + 600) * 1000),
        };
        const chain: AccessClaims[] = [root];
        const hops = 1 + Math.floor(r() * 6);
        for (let i = 1; i <= hops; i++) {
          const parent = chain[chain.length - 1]!;
          const { grant, pureNarrowing } = narrowGrant(r, parent.grant, `g${i}`);
          const actor = pick(r, AGENTS);
          const res = deriveDelegated(
            parent,
            { actorAgentId: actor, grant, ttlSec: pick(r, [30, 300, 600, 3600]), jti: `t${i}`, now: now + i },
            LIMITS,
          );
          const priorActors = [parent.sub, ...actorChain(parent.act)];
          const loop = priorActors.includes(agentUri(actor));
          const tooDeep = actorChain(parent.act).length + 1 > LIMITS.maxDepth;
          if (loop || tooDeep) {
            assert.equal(res.ok, false, 'a loop or an over-deep chain is refused');
            if (loop) refusedLoops++;
            else refusedDepth++;
            continue;
          }
          if (pureNarrowing)
            assert.equal(
              res.ok,
              true,
              `pure narrowing is accepted: ${res.ok ? '' : res.refusal.description} ${JSON.stringify(parent.grant.args)} -> ${JSON.stringify(grant.args)}`,
            );
          if (!res.ok) continue;
          accepted++;
          const child = res.claims;
          assert.equal(child.aud, parent.aud);
          assert.equal(child.iss, parent.iss);
          assert.equal(child.sub, root.sub);
          assert.ok(
            child.exp <= parent.exp && child.grant.expiresAt <= parent.grant.expiresAt,
            'lifetime within the parent',
          );
          const actors = actorChain(child.act);
          assert.ok(actors.length <= LIMITS.maxDepth, 'depth bounded');
          assert.equal(new Set([child.sub, ...actors]).size, actors.length + 1, 'no repeated actor');
          assert.deepEqual(
            child.anc,
            chain.map((c) => c.jti),
          );
          assert.ok(isSubGrant(child.grant, parent.grant), 'sub-grant');
          for (let k = 0; k < 12; k++) {
            const [s, t, a] = randCall(r, child.grant);
            if (allows(child.grant, s, t, a)) {
              allowedCalls++;
              assert.ok(allows(parent.grant, s, t, a), `parent allows ${s}.${t} ${JSON.stringify(a)}`);
              assert.ok(allows(root.grant, s, t, a), 'root allows it too');
            }
          }
          chain.push(child);
        }
      }),
      { numRuns: 10_000, endOnFailure: true },
    );
    assert.ok(accepted > 5_000, `enough accepted hops to mean something (${accepted})`);
    assert.ok(allowedCalls > 20_000, `enough allowed calls were checked (${allowedCalls})`);
    assert.ok(refusedLoops > 100 && refusedDepth > 10, `loops ${refusedLoops}, depth ${refusedDepth}`);
  });

  it('[DL-1] isSubGrant is sound: whenever it holds for random grant pairs, every sampled call the child allows the parent allows', () => {
    let held = 0;
    fcAssert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const r = rng(seed);
        const parent = randGrant(r, 'p', 2_000_000);
        const child = randGrant(r, 'c', 1_000_000);
        if (!isSubGrant(child, parent)) return;
        held++;
        for (let k = 0; k < 30; k++) {
          const [s, t, a] = randCall(r, child);
          if (allows(child, s, t, a))
            assert.ok(allows(parent, s, t, a), `parent allows ${s}.${t} ${JSON.stringify(a)}`);
        }
      }),
      { numRuns: 10_000, endOnFailure: true },
    );
    assert.ok(held > 200, `independent pairs were sub-grants ${held} times`);
  });
});

function fcAssert(prop: fc.IProperty<[number]>, params: fc.Parameters<[number]>): void {
  const out = fc.check(prop, params);
  if (out.failed) {
    const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
    assert.fail(`counterexample ${JSON.stringify(out.counterexample)}: ${cause}`);
  }
}
