/**
 * G-FUZ-1 at the server edge (THREATS §1L "apply each case at both edges"): a malicious upstream
 * (`mal`) writes a fuzzed line in answer to tools/call, then a well-formed fallback response.
 * Whatever the line is, the client must get exactly one valid JSON-RPC response with its own id
 * byte for byte; a response whose id the gateway never issued is never delivered (RPC-7); the
 * gateway stays up and Object.prototype stays clean.
 *
 * WARDEN_FUZZ_UPSTREAM_ITERATIONS (default 400); WARDEN_FUZZ_SEED replays a run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mutate, prng } from '../../fixtures/jsonrpc/corpus.ts';
import { postBytes, startFuzzGateway } from '../../fixtures/jsonrpc/fuzz-gateway.ts';
import type { FuzzGateway } from '../../fixtures/jsonrpc/fuzz-gateway.ts';
import { rawSession } from '../../helpers/raw-mcp.ts';
import { idSpans } from '../../unit/gateway/json-oracle.ts';

const ITERATIONS = Number(process.env.WARDEN_FUZZ_UPSTREAM_ITERATIONS ?? 400);
const FUZZ_SEED = Number(process.env.WARDEN_FUZZ_SEED ?? 20261124);
const enc = new TextEncoder();
const lossy = new TextDecoder('utf-8');

/** Upstream lines; `$ID` becomes the gateway's upstream request id. */
const UPSTREAM_SEEDS = [
  '{"jsonrpc":"2.0","id":$ID,"result":{"content":[{"type":"text","text":"from-line"}]}}',
  '{"jsonrpc":"2.0","id":$ID,"error":{"code":-32000,"message":"upstream says no","data":{"k":[1,2]}}}',
  '{"jsonrpc":"2.0","id":999999,"result":{"content":[{"type":"text","text":"stray"}]}}',
  '{"jsonrpc":"2.0","id":"$ID","result":{"content":[{"type":"text","text":"string-id"}]}}',
  '{"jsonrpc":"2.0","id":$ID,"result":{"content":[],"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}}',
  '{"jsonrpc":"2.0","id":$ID,"result":{"content":[{"type":"text","text":"a"}]},"result":{"content":[{"type":"text","text":"b"}]}}',
  '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}',
  '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}',
  '{"jsonrpc":"2.0","id":$ID,"result":{"content":[{"type":"text","text":"\\ud800 \\u0000 \\u2028"}],"n":1e400}}',
  '{"jsonrpc":"2.0","id":$ID,"error":{"code":1.5,"message":"odd code"}}',
  '{"jsonrpc":"2.0","id":$ID,"error":"not an object"}',
  'not json at all',
];

interface Problem {
  readonly kind: string;
  readonly detail: string;
}

describe(`malicious upstream lines, ${ITERATIONS} iterations, seed ${FUZZ_SEED} (THREATS G-FUZ-1 server edge, RPC-7)`, () => {
  let g: FuzzGateway;
  let h: Record<string, string>;
  const problems = new Map<string, Problem[]>();
  const stats = { calls: 0, fromLine: 0, fallback: 0, errors: 0 };
  const problem = (kind: string, detail: string): void => {
    const list = problems.get(kind) ?? [];
    if (list.length < 5) list.push({ kind, detail });
    problems.set(kind, list);
  };

  before(async () => {
    g = await startFuzzGateway({ maxBody: '1M', maxDepth: 64 });
    h = await rawSession(g.url, await g.t.agent('edge', ['user']));
    const r = prng(FUZZ_SEED);
    const seeds = UPSTREAM_SEEDS.map((s) => enc.encode(s));
    for (let i = 0; i < ITERATIONS + seeds.length; i++) {
      const line =
        i < seeds.length
          ? UPSTREAM_SEEDS[i]!
          : lossy.decode(
              mutate(r, seeds[Math.floor(r() * seeds.length)]!, seeds[Math.floor(r() * seeds.length)]!),
            );
      await call(`"u${i}"`, line);
    }
    console.log(`# upstream fuzz: ${JSON.stringify(stats)}`);
  });
  after(() => g.t.cleanup());

  async function call(id: string, line: string): Promise<void> {
    stats.calls++;
    const body = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"mal.raw","arguments":{"line":${JSON.stringify(line)}}}}`;
    const res = await postBytes(g.url, enc.encode(body), h);
    const events = res.text.startsWith('event:')
      ? res.text.split('\n\n').flatMap((e) => /^data: (.*)$/m.exec(e)?.[1] ?? [])
      : [res.text];
    const finals = events.filter((e) => /"(result|error)":/.test(e) && !/"method":/.test(e.slice(0, 40)));
    if (finals.length !== 1) return problem('reply-count', `${finals.length} for ${line}`);
    const reply = finals[0]!;
    let parsed: { result?: { content?: { text?: string }[] }; error?: { code: unknown } };
    try {
      parsed = JSON.parse(reply) as typeof parsed;
    } catch {
      return problem('reply-not-json', `${reply.slice(0, 120)} for ${line}`);
    }
    if (idSpans(reply).top !== id) problem('id-not-echoed', `${idSpans(reply).top} for ${line}`);
    if (parsed.error !== undefined) {
      stats.errors++;
      if (!Number.isInteger(parsed.error.code))
        problem('code-not-integer', `${String(parsed.error.code)} for ${line}`);
      return;
    }
    const text = parsed.result?.content?.[0]?.text;
    if (text === 'fallback') stats.fallback++;
    else {
      stats.fromLine++;
      // Only a line that carried the gateway's own id may answer the call (RPC-7).
      if (!line.includes('$ID')) problem('stray-delivered', `${reply.slice(0, 120)} for ${line}`);
    }
  }

  const none = (...kinds: string[]): void => {
    for (const k of kinds)
      assert.equal(
        problems.get(k),
        undefined,
        `${k} (seed ${FUZZ_SEED}): ${JSON.stringify(problems.get(k), null, 1)}`,
      );
  };

  it('[G-FUZ-1][RPC-5] every call gets exactly one response, with its own id byte for byte', () => {
    none('reply-count', 'id-not-echoed');
    assert.ok(stats.fromLine > 0 && stats.fallback > 0 && stats.errors > 0, JSON.stringify(stats));
  });

  it('[RPC-7] a response with an id the gateway never issued is never delivered', () => {
    none('stray-delivered');
  });

  it('[RPC-13] upstream __proto__ keys pollute nothing, and the gateway stays up', async () => {
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    const ping = await postBytes(g.url, enc.encode('{"jsonrpc":"2.0","id":"p","method":"ping"}'), h);
    assert.equal(ping.reply, '{"jsonrpc":"2.0","id":"p","result":{}}');
  });

  it('[G-FUZ-1] every response the client gets is valid JSON', () => {
    none('reply-not-json');
  });

  it('[G-FUZ-1] error codes from an upstream reach the client as integers', () => {
    none('code-not-integer');
  });

  it('[RPC-15] a deeply nested upstream result gives the client a clean error with its own id', async () => {
    const body =
      '{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"mal.deep","arguments":{"depth":10000}}}';
    const res = await postBytes(g.url, enc.encode(body), h);
    assert.equal(idSpans(res.reply ?? '{}').top, '"deep"', `${res.status} ${res.text.slice(0, 200)}`);
    const ping = await postBytes(g.url, enc.encode('{"jsonrpc":"2.0","id":"p2","method":"ping"}'), h);
    assert.equal(ping.reply, '{"jsonrpc":"2.0","id":"p2","result":{}}');
  });
});
