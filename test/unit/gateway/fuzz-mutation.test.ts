/**
 * G-FUZ-1: a byte-level mutation fuzzer over the gateway's JSON-RPC edge (strict UTF-8 decode →
 * parseStrictJson → parseBody/classify → resultText/errorText), seeded with test/fixtures/jsonrpc.
 *
 * Iterations: WARDEN_FUZZ_ITERATIONS (default 10^5 for PRs; nightly runs 10^7). The PRNG seed is
 * WARDEN_FUZZ_SEED; every violation is printed with the seed, the iteration and the input, so
 * `WARDEN_FUZZ_SEED=<s> WARDEN_FUZZ_ITERATIONS=<i+1>` replays it.
 *
 * The reply model below mirrors HttpFront#post (one reply per request or invalid message, none
 * for notifications and client responses); the integration fuzz test checks the real front.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcCode, parseBody, parseStrictJson } from '../../../src/gateway/index.ts';
import { errorText, resultText } from '../../../src/gateway/jsonrpc.ts';
import type { RpcFailure, RpcMessage } from '../../../src/gateway/jsonrpc.ts';
import { loadSeeds, mutate, prng } from '../../fixtures/jsonrpc/corpus.ts';
import { idSpans, sameJson } from './json-oracle.ts';

const ITERATIONS = Number(process.env.WARDEN_FUZZ_ITERATIONS ?? 100_000);
const FUZZ_SEED = Number(process.env.WARDEN_FUZZ_SEED ?? 20261124);
const MAX_DEPTH = 32;
const MAX_BATCH = 32;
/** Every error code the gateway documents (docs/architecture.md); -32800 is MCP "request cancelled". */
export const DOCUMENTED_CODES = new Set<number>([...Object.values(RpcCode), -32800]);
const STRICT_ONLY = /duplicate key|forbidden key|nesting deeper|number out of range/;

type Category =
  | 'exception'
  | 'invalid-reply-json'
  | 'undocumented-code'
  | 'strict-accepts-invalid-json'
  | 'strict-value-differs'
  | 'strict-rejects-valid-json'
  | 'parse-failure-not-32700-null'
  | 'top-id-not-echoed'
  | 'unreadable-id-echoed'
  | 'reply-count'
  | 'batch-id-not-echoed';

interface Violation {
  readonly category: Category;
  readonly iteration: number;
  readonly input: string;
  readonly detail: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const readable = (raw: string | undefined): raw is string =>
  raw !== undefined &&
  (raw.startsWith('"') ||
    (/^-?(0|[1-9]\d*)$/.test(raw) && raw !== '-0' && Number.isSafeInteger(Number(raw))));

/** Replies the HTTP front sends for one body, batches allowed (protocol 2025-03-26). */
function replies(text: string): { top: string[]; elements: (string | undefined)[] | undefined } {
  const out = parseBody(text, MAX_DEPTH);
  if ('kind' in out) return { top: [errorText(out.rawId, out.code, out.message)], elements: undefined };
  const one = (m: RpcMessage | RpcFailure): string | undefined =>
    m.kind === 'invalid'
      ? errorText(m.rawId, m.code, m.message)
      : m.kind === 'request'
        ? resultText(m.rawId, {})
        : undefined;
  if (!out.batch) {
    const r = one(out.message);
    return { top: r === undefined ? [] : [r], elements: undefined };
  }
  if (out.messages.length > MAX_BATCH)
    return { top: [errorText('null', RpcCode.INVALID_REQUEST, 'too big')], elements: undefined };
  return { top: [], elements: out.messages.map(one) };
}

type Outcome = 'utf8' | 'parsed' | 'rejected';

function check(bytes: Uint8Array, report: (c: Category, detail: string) => void): Outcome {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return 'utf8'; // invalid UTF-8: the front answers 400 + -32700 with id null before parsing
  }
  const outcome = checkText(text, report);
  return outcome;
}

function checkText(text: string, report: (c: Category, detail: string) => void): Outcome {
  let jsonValue: unknown;
  let jsonOk = true;
  try {
    jsonValue = JSON.parse(text);
  } catch {
    jsonOk = false;
  }
  let strictValue: unknown;
  let strictError: string | undefined;
  try {
    strictValue = parseStrictJson(text, MAX_DEPTH).value;
  } catch (e) {
    strictError = (e as Error).message;
  }
  if (!jsonOk && strictError === undefined) report('strict-accepts-invalid-json', text);
  if (jsonOk && strictError === undefined && !sameJson(strictValue, jsonValue))
    report('strict-value-differs', JSON.stringify(strictValue));
  if (jsonOk && strictError !== undefined && !STRICT_ONLY.test(strictError))
    report('strict-rejects-valid-json', strictError);

  const r = replies(text);
  for (const reply of [...r.top, ...(r.elements ?? [])]) {
    if (reply === undefined) continue;
    let parsed: { error?: { code: unknown } };
    try {
      parsed = JSON.parse(reply) as typeof parsed;
    } catch {
      report('invalid-reply-json', reply);
      continue;
    }
    if (parsed.error !== undefined && !DOCUMENTED_CODES.has(parsed.error.code as number))
      report('undocumented-code', String(parsed.error.code));
  }
  if (strictError !== undefined) {
    if (r.top.length !== 1 || idSpans(r.top[0]!).top !== 'null' || !r.top[0]!.includes('-32700'))
      report('parse-failure-not-32700-null', r.top.join());
    return 'rejected';
  }
  const spans = idSpans(text);
  if (spans.elements === undefined) {
    const top = spans.top;
    const obj = typeof jsonValue === 'object' && jsonValue !== null ? jsonValue : undefined;
    const isObject = obj !== undefined;
    const isResponse = obj !== undefined && !('method' in obj) && ('result' in obj || 'error' in obj);
    if (readable(top) && !isResponse && r.top.length !== 1) report('reply-count', `${r.top.length} replies`);
    if (!isObject && r.top.length !== 1) report('reply-count', `${r.top.length} replies to a non-object`);
    for (const reply of r.top) {
      const echoed = idSpans(reply).top;
      if (readable(top) && echoed !== top) report('top-id-not-echoed', `${top} → ${echoed}`);
      if (!readable(top) && echoed !== 'null') report('unreadable-id-echoed', `${top} → ${echoed}`);
    }
    return 'parsed';
  }
  if (r.elements === undefined) return 'parsed'; // an empty or oversized batch: one error, id null
  spans.elements.forEach((raw, i) => {
    const reply = r.elements![i];
    if (reply === undefined) return;
    const echoed = idSpans(reply).top;
    if (readable(raw) ? echoed !== raw : echoed !== 'null')
      report('batch-id-not-echoed', `element ${i}: ${raw} → ${echoed}`);
  });
  return 'parsed';
}

describe(`JSON-RPC mutation fuzzer, ${ITERATIONS} iterations, seed ${FUZZ_SEED} (THREATS G-FUZ-1, §1L)`, () => {
  const found = new Map<Category, Violation[]>();
  let stats = { iterations: 0, utf8: 0, parsed: 0, ms: 0 };

  // Nightly runs (10^7) outlast the runner's per-test default: allow ≥ 2,000 iterations a second.
  before(
    () => {
      const seeds = loadSeeds();
      assert.ok(seeds.length >= 50, 'the seed corpus is present');
      const r = prng(FUZZ_SEED);
      const pool = seeds.map((s) => s.bytes);
      const started = performance.now();
      for (let i = 0; i < ITERATIONS; i++) {
        // Mostly mutate a seed; sometimes a previous mutant that still parsed (goes deeper).
        const base = pool[Math.floor(r() * pool.length)]!;
        const other = pool[Math.floor(r() * pool.length)]!;
        const input = i < seeds.length ? seeds[i]!.bytes : mutate(r, base, other);
        const report = (category: Category, detail: string): void => {
          const list = found.get(category) ?? [];
          if (list.length < 5)
            list.push({ category, iteration: i, input: Buffer.from(input).toString('latin1'), detail });
          found.set(category, list);
        };
        let ok: Outcome = 'rejected';
        try {
          ok = check(input, report);
        } catch (e) {
          report('exception', (e as Error).stack ?? String(e));
        }
        stats.utf8 += ok === 'utf8' ? 1 : 0;
        if (ok === 'parsed') {
          stats.parsed++;
          if (pool.length < 2000) pool.push(input);
          else pool[seeds.length + Math.floor(r() * (2000 - seeds.length))] = input;
        }
      }
      stats = { ...stats, iterations: ITERATIONS, ms: Math.round(performance.now() - started) };
      console.log(`# fuzz: ${JSON.stringify(stats)}`);
    },
    { timeout: Math.max(120_000, ITERATIONS / 2) },
  );

  const show = (c: Category): string =>
    JSON.stringify(found.get(c)?.map((v) => ({ ...v, seed: FUZZ_SEED })) ?? [], null, 1);

  it('[G-FUZ-1] throws nothing, and every reply is valid JSON with a documented error code', () => {
    for (const c of ['exception', 'invalid-reply-json', 'undocumented-code'] as const)
      assert.equal(found.get(c), undefined, show(c));
    assert.ok(stats.parsed > ITERATIONS / 50, `enough mutants still parse (${stats.parsed})`);
  });

  it('[G-FUZ-1][RPC-1] the strict parser accepts only JSON, agrees with JSON.parse, refuses only the documented extras', () => {
    for (const c of [
      'strict-accepts-invalid-json',
      'strict-value-differs',
      'strict-rejects-valid-json',
      'parse-failure-not-32700-null',
    ] as const)
      assert.equal(found.get(c), undefined, show(c));
  });

  it('[G-FUZ-1][RPC-5] a readable id gets exactly one reply with a byte-identical id; others get null', () => {
    for (const c of ['top-id-not-echoed', 'unreadable-id-echoed', 'reply-count'] as const)
      assert.equal(found.get(c), undefined, show(c));
  });

  it('[G-FUZ-1][RPC-5] batch elements (2025-03-26) echo their ids byte for byte', () => {
    assert.equal(found.get('batch-id-not-echoed'), undefined, show('batch-id-not-echoed'));
  });

  it('[RPC-13] leaves Object.prototype unpolluted', () => {
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });
});
