/**
 * G-FUZ-1 and G-FUZ-2 over the real HTTP front: a real gateway, the real probe server (counter
 * file) and a raw record server (exact upstream wire lines). Bodies are the seed corpus, byte
 * mutants of it, and fast-check-generated tools/call bodies with odd arguments, posted one at a
 * time so each upstream effect is attributed to the body that caused it.
 *
 * WARDEN_FUZZ_HTTP_ITERATIONS (default 2000) mutants; WARDEN_FUZZ_SEED replays a run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RpcCode, parseBody, parseStrictJson } from '../../../src/gateway/index.ts';
import type { RpcMessage } from '../../../src/gateway/jsonrpc.ts';
import { loadSeeds, mutate, prng } from '../../fixtures/jsonrpc/corpus.ts';
import { ALLOWED_TOOLS, postBytes, startFuzzGateway } from '../../fixtures/jsonrpc/fuzz-gateway.ts';
import type { FuzzGateway } from '../../fixtures/jsonrpc/fuzz-gateway.ts';
import { rawSession } from '../../helpers/raw-mcp.ts';
import { anyString, idSpans, jsonValueArb, render } from '../../unit/gateway/json-oracle.ts';

const ITERATIONS = Number(process.env.WARDEN_FUZZ_HTTP_ITERATIONS ?? 2000);
const FUZZ_SEED = Number(process.env.WARDEN_FUZZ_SEED ?? 20261124);
const MAX_DEPTH = 32;
const DOCUMENTED_CODES = new Set<number>([...Object.values(RpcCode), -32800]);
const decoder = new TextDecoder('utf-8', { fatal: true });
const readable = (raw: string | undefined): raw is string =>
  raw !== undefined &&
  (raw.startsWith('"') ||
    (/^-?(0|[1-9]\d*)$/.test(raw) && raw !== '-0' && Number.isSafeInteger(Number(raw))));
const enc = new TextEncoder();

/** Equality of what the policy saw and what the upstream got; -0 and 0 are one number on the wire. */
function sameArgs(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameArgs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** What the gateway's strict parser makes of a body, when it is a tools/call naming an allowed tool. */
function allowedCall(text: string | undefined): { name: string; args: unknown } | undefined {
  if (text === undefined) return undefined;
  const out = parseBody(text, MAX_DEPTH);
  if ('kind' in out || out.batch) return undefined;
  const m = out.message;
  if (m.kind !== 'request' || m.method !== 'tools/call') return undefined;
  const { name, arguments: args } = m.params ?? {};
  if (typeof name !== 'string' || !ALLOWED_TOOLS.has(name)) return undefined;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
    return undefined;
  return { name, args: args ?? {} };
}

/** Bodies: seeds, byte mutants, and tools/call bodies with generated arguments (for G-FUZ-2). */
function bodies(): Uint8Array[] {
  const seeds = loadSeeds().map((s) => s.bytes);
  const r = prng(FUZZ_SEED);
  const out = [...seeds];
  for (let i = 0; i < ITERATIONS; i++) {
    out.push(mutate(r, seeds[Math.floor(r() * seeds.length)]!, seeds[Math.floor(r() * seeds.length)]!));
  }
  // Half the arguments hold only well-formed strings (so the policy can allow them and the
  // upstream wire can be compared); half may hold lone surrogates (the policy fails closed).
  const wellFormed = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
  const argsArb = fc.oneof(
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), wellFormed, { maxKeys: 5 }),
    fc.dictionary(anyString, jsonValueArb, { maxKeys: 5 }),
  );
  const calls = fc.sample(fc.tuple(argsArb, fc.integer()), { seed: FUZZ_SEED, numRuns: 300 });
  calls.forEach(([args, seed], i) => {
    const text = `{"jsonrpc":"2.0","id":"d${i}","method":"tools/call","params":{"name":"rec.echo","arguments":${render(args, prng(seed))}}}`;
    out.push(enc.encode(text));
    if (i % 3 === 0) out.push(mutate(r, enc.encode(text), seeds[i % seeds.length]!));
  });
  return out;
}

describe(`JSON-RPC fuzz over HTTP, ${ITERATIONS} mutants, seed ${FUZZ_SEED} (THREATS G-FUZ-1, G-FUZ-2)`, () => {
  let g: FuzzGateway;
  let h: Record<string, string>;
  /** A 2025-03-26 session, where batches are allowed (RPC-11). */
  let old: Record<string, string>;
  const problems: Record<string, string[]> = {};
  const stats = { batches: 0, bodies: 0, replies: 0, accepted: 0, executed: 0, compared: 0, ms: 0 };
  const problem = (kind: string, input: Uint8Array, detail: string): void => {
    const list = (problems[kind] ??= []);
    if (list.length < 5) list.push(`${detail} ← ${JSON.stringify(Buffer.from(input).toString('latin1'))}`);
  };

  before(async () => {
    g = await startFuzzGateway({ maxBody: '64K', maxDepth: MAX_DEPTH });
    const key = await g.t.agent('fuzz', ['user']);
    h = await rawSession(g.url, key);
    old = await rawSession(g.url, key, '2025-03-26');
    const started = performance.now();
    for (const body of bodies()) await one(body);
    stats.ms = Math.round(performance.now() - started);
    console.log(`# http fuzz: ${JSON.stringify(stats)}`);
  });
  after(() => g.t.cleanup());

  async function one(body: Uint8Array): Promise<void> {
    stats.bodies++;
    const probeBefore = g.probeEffects().length;
    const recBefore = g.recorded().length;
    let text: string | undefined;
    try {
      text = decoder.decode(body);
    } catch {
      text = undefined;
    }
    const res = await postBytes(g.url, body, h);
    checkReply(body, text, res.status, res.reply);
    const probeDelta = g.probeEffects().length - probeBefore;
    const recorded = g.recorded().slice(recBefore);
    const call = allowedCall(text);
    if (probeDelta + recorded.length > 0) stats.executed++;
    if (probeDelta + recorded.length > 1) problem('executed-twice', body, `${probeDelta + recorded.length}`);
    if (probeDelta > 0 && call?.name !== 'probe.echo')
      problem('executed-without-allowed-call', body, 'probe');
    if (recorded.length > 0 && !call?.name.startsWith('rec.'))
      problem('executed-without-allowed-call', body, 'rec');
    if (recorded.length === 1 && call !== undefined) differential(body, call, recorded[0]!);
    if (text !== undefined) await batch(body, text);
  }

  /** Batch-shaped bodies again, in the 2025-03-26 session: one reply per request, ids byte for byte. */
  async function batch(body: Uint8Array, text: string): Promise<void> {
    const out = parseBody(text, MAX_DEPTH);
    if ('kind' in out || !out.batch || out.messages.length > 32) return;
    stats.batches++;
    const before = g.probeEffects().length + g.recorded().length;
    const res = await postBytes(g.url, body, old);
    const effects = g.probeEffects().length + g.recorded().length - before;
    const elements = JSON.parse(text) as unknown[];
    const allowed = elements.filter((e) => allowedCall(JSON.stringify(e)) !== undefined).length;
    if (effects > allowed) problem('batch-executed-without-allowed-call', body, `${effects} > ${allowed}`);
    const spans = idSpans(text).elements ?? [];
    const expected = out.messages.flatMap((m, i) =>
      m.kind === 'request' || m.kind === 'invalid' ? [readable(spans[i]) ? spans[i] : 'null'] : [],
    );
    if (expected.length === 0) {
      if (res.status !== 202) problem('batch-answered-notifications', body, `${res.status}`);
      return;
    }
    let replies: unknown;
    try {
      replies = JSON.parse(res.reply ?? '');
    } catch {
      return problem('batch-reply-not-json', body, String(res.reply));
    }
    if (!Array.isArray(replies) || replies.length !== expected.length)
      return problem('batch-reply-count', body, `${expected.length} expected: ${res.reply}`);
    const got = idSpans(res.reply!).elements ?? [];
    if (got.some((id, i) => id !== expected[i]))
      problem('batch-id-not-echoed', body, `${JSON.stringify(expected)} → ${JSON.stringify(got)}`);
  }

  function checkReply(
    body: Uint8Array,
    text: string | undefined,
    status: number,
    reply: string | undefined,
  ): void {
    if (reply !== undefined) {
      stats.replies++;
      let parsed: { error?: { code: number } };
      try {
        parsed = JSON.parse(reply) as typeof parsed;
      } catch {
        return problem('reply-not-json', body, reply);
      }
      if (parsed.error !== undefined && !DOCUMENTED_CODES.has(parsed.error.code))
        problem('undocumented-code', body, String(parsed.error.code));
    }
    if (text === undefined) {
      if (status !== 400 || idSpans(reply ?? '{}').top !== 'null')
        problem('bad-utf8-answer', body, `${status}`);
      return;
    }
    const out = parseBody(text, MAX_DEPTH);
    const expected: RpcMessage | { kind: 'invalid'; rawId: string } =
      'kind' in out ? out : out.batch ? { kind: 'invalid', rawId: 'null' } : out.message;
    if (expected.kind === 'notification' || expected.kind === 'response') {
      if (status !== 202 || reply !== undefined)
        problem('answered-a-notification', body, `${status} ${reply}`);
      return;
    }
    if (reply === undefined) return problem('no-reply', body, `${status}`);
    const echoed = idSpans(reply).top;
    if (echoed !== expected.rawId) problem('id-not-echoed', body, `${expected.rawId} → ${echoed}`);
    const top = 'kind' in out || out.batch ? undefined : idSpans(text).top;
    if (expected.rawId !== 'null' && expected.rawId !== top) problem('id-not-source-text', body, `${top}`);
    if (expected.kind === 'request') stats.accepted++;
  }

  function differential(body: Uint8Array, call: { name: string; args: unknown }, line: string): void {
    stats.compared++;
    let wire: { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
    try {
      wire = parseStrictJson(line, 1000).value as typeof wire;
    } catch (e) {
      return problem('upstream-line-not-strict-json', body, (e as Error).message);
    }
    if (wire.method !== 'tools/call') problem('differential-method', body, String(wire.method));
    if (wire.params?.name !== call.name.slice('rec.'.length))
      problem('differential-name', body, `${call.name} → ${String(wire.params?.name)}`);
    if (!sameArgs(wire.params?.arguments, call.args))
      problem(
        'differential-args',
        body,
        `${JSON.stringify(call.args)} → ${JSON.stringify(wire.params?.arguments)}`,
      );
  }

  const none = (...kinds: string[]): void => {
    for (const k of kinds)
      assert.equal(problems[k], undefined, `${k} (seed ${FUZZ_SEED}):\n${problems[k]?.join('\n')}`);
  };

  it('[G-FUZ-1] every body gets exactly the right answer: one reply with a byte-identical id, none for notifications', () => {
    none('reply-not-json', 'undocumented-code', 'bad-utf8-answer', 'answered-a-notification', 'no-reply');
    none('id-not-echoed', 'id-not-source-text');
    assert.ok(stats.accepted > 50, `enough requests got through the edge (${stats.accepted})`);
  });

  it('[G-FUZ-1][RPC-9][RPC-12] no tool runs unless the body is a well-formed request naming an allowed tool', () => {
    none('executed-twice', 'executed-without-allowed-call');
    assert.ok(stats.executed > 20, `some allowed calls did run (${stats.executed})`);
  });

  it('[G-FUZ-2] the upstream receives exactly the name and arguments the strict parser produced', () => {
    none('upstream-line-not-strict-json', 'differential-method', 'differential-name', 'differential-args');
    assert.ok(stats.compared >= 50, `enough calls reached the upstream to compare (${stats.compared})`);
  });

  it('[RPC-11] a 2025-03-26 batch runs no tool beyond its allowed calls and answers every request', () => {
    none('batch-executed-without-allowed-call', 'batch-answered-notifications', 'batch-reply-not-json');
    none('batch-reply-count');
    assert.ok(stats.batches >= 20, `enough batches were tried (${stats.batches})`);
  });

  it('[RPC-5][RPC-11] batch element ids are echoed byte for byte (2025-03-26)', () => {
    none('batch-id-not-echoed');
  });

  it('[RPC-13] the gateway stays up and Object.prototype stays clean', async () => {
    const ping = await postBytes(g.url, enc.encode('{"jsonrpc":"2.0","id":"last","method":"ping"}'), h);
    assert.equal(ping.status, 200);
    assert.equal(ping.reply, '{"jsonrpc":"2.0","id":"last","result":{}}');
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('[G-FUZ-1] an upstream response with neither result nor error still gives the client valid JSON', async () => {
    const res = await postBytes(
      g.url,
      enc.encode(
        '{"jsonrpc":"2.0","id":"nr","method":"tools/call","params":{"name":"rec.noresult","arguments":{}}}',
      ),
      h,
    );
    assert.doesNotThrow(() => JSON.parse(res.reply ?? ''), res.reply);
  });
});
