import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RpcCode, classify, parseBody } from '../../../src/gateway/index.ts';
import { errorText, resultText } from '../../../src/gateway/jsonrpc.ts';
import type { RpcFailure, RpcMessage } from '../../../src/gateway/jsonrpc.ts';
import { prng } from '../../fixtures/jsonrpc/corpus.ts';
import { anyString, idSpans, jsonValueArb, render, renderString } from './json-oracle.ts';

const SEED = Number(process.env.WARDEN_FC_SEED ?? 0x5eed2);
const opts = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns, verbose: 1 });

/** A raw id the gateway may splice into a reply: null, a string literal or an integer literal. */
export function assertSpliceableId(rawId: string): void {
  assert.match(rawId, /^(null|-?(0|[1-9]\d*)|".*")$/s, rawId);
  const v: unknown = JSON.parse(rawId);
  assert.ok(v === null || typeof v === 'string' || Number.isSafeInteger(v), rawId);
}
const readable = (raw: string | undefined): raw is string =>
  raw !== undefined &&
  (raw.startsWith('"') ||
    (/^-?(0|[1-9]\d*)$/.test(raw) && raw !== '-0' && Number.isSafeInteger(Number(raw))));

/** JSON-RPC-shaped objects with every member optional and often wrong (RPC-2..RPC-5, RPC-8). */
const rpcShape = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constantFrom('1.0', '2.0 ', 2, null, '2.00')),
    id: fc.oneof(
      anyString,
      fc.integer(),
      fc.constantFrom(2 ** 53 + 2, 1.5, -0, 1e21, null, true, false),
      fc.constant({}),
      fc.constant([1]),
    ),
    method: fc.oneof(
      fc.constantFrom('ping', 'tools/call', 'Tools/call', 'tools/call ', 'initialize'),
      anyString,
      fc.integer(),
    ),
    params: fc.oneof(jsonValueArb, fc.constant({ name: 'probe.echo', arguments: { text: 'x' } })),
    result: jsonValueArb,
    error: fc.oneof(jsonValueArb, fc.constant({ code: -1, message: 'm' })),
    extra: jsonValueArb,
  },
  { requiredKeys: [] },
);

describe('the test oracle idSpans (so the fuzz assertions can fail)', () => {
  it('finds the exact source text of top-level and batch-element ids, and nothing nested', () => {
    assert.deepEqual(idSpans(' { "a" : {"id":9}, "id" : "x\\"}" , "b":[{"id":2}] } '), { top: '"x\\"}"' });
    assert.deepEqual(idSpans('{"id":-12 }'), { top: '-12' });
    assert.deepEqual(idSpans('{"i\\u0064":1.0e0}'), { top: '1.0e0' });
    assert.deepEqual(idSpans('{"params":{"id":1}}'), { top: undefined });
    assert.deepEqual(idSpans('[{"id":"\\u0041"},1,{"x":{"id":3}},{"id":[1,{"id":2}]}]'), {
      elements: ['"\\u0041"', undefined, undefined, '[1,{"id":2}]'],
    });
    assert.deepEqual(idSpans('"id"'), {});
  });
});

describe('parseBody and classify invariants (THREATS RPC-1..RPC-5, G-FUZ-1)', () => {
  it('[RPC-1] never throws and returns messages or exactly one failure with a spliceable id', () => {
    const anyText = fc.oneof(
      fc.string({ unit: anyUnitChars(), maxLength: 40 }),
      fc.tuple(rpcShape, fc.integer()).map(([m, s]) => render(m, prng(s))),
      fc.tuple(fc.array(rpcShape, { maxLength: 4 }), fc.integer()).map(([m, s]) => render(m, prng(s))),
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const out = parseBody(text, 32);
        const all: (RpcMessage | RpcFailure)[] =
          'kind' in out ? [out] : out.batch ? out.messages : [out.message];
        if (!('kind' in out) && out.batch) assert.ok(out.messages.length > 0);
        for (const m of all) {
          if (m.kind === 'invalid') {
            assert.ok(m.code === RpcCode.PARSE_ERROR || m.code === RpcCode.INVALID_REQUEST, String(m.code));
            assertSpliceableId(m.rawId);
          } else if (m.kind !== 'notification') assertSpliceableId(m.rawId);
        }
      }),
      opts(5000),
    );
  });

  it('[RPC-5] echoes a readable top-level id byte for byte and nothing else', () => {
    fc.assert(
      fc.property(rpcShape, fc.integer(), (shape, seed) => {
        const text = render(shape, prng(seed));
        const top = idSpans(text).top;
        const out = parseBody(text, 32);
        assert.ok(!('kind' in out) && !out.batch);
        const m = out.message;
        if (m.kind === 'notification') assert.equal(top, undefined);
        else if (readable(top)) assert.equal(m.rawId, top, text);
        else assert.equal(m.rawId, 'null', text);
        if (m.kind === 'request') {
          assert.ok(readable(top), text);
          assert.equal(m.rawId, top);
          assert.equal(typeof m.method, 'string');
          const keys = Object.keys(shape).filter((k) => ['jsonrpc', 'id', 'method', 'params'].includes(k));
          assert.equal(keys.length, Object.keys(shape).length, 'no extra members on a request');
          assert.equal(shape.jsonrpc, '2.0');
        }
      }),
      opts(5000),
    );
  });

  it('[RPC-4][RPC-5] refuses ids it could not echo exactly: null, bool, object, array, fractions, exponents, > 2^53, -0', () => {
    for (const id of [
      'null',
      'true',
      '{}',
      '[1]',
      '1.0',
      '1e2',
      '1E0',
      '9007199254740992',
      '-9007199254740993',
      '-0',
      '0.5',
    ]) {
      const m = classifyText(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
      assert.equal(m.kind, 'invalid', id);
      assert.equal(m.rawId, 'null', id);
    }
    for (const id of ['"\\u0041"', '"a\\/b"', '9007199254740991', '-9007199254740991', '0', '"\\uD800"']) {
      const m = classifyText(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
      assert.equal(m.kind, 'request', id);
      assert.equal(m.rawId, id);
    }
  });

  it('[RPC-9] a tools/call without an id is a notification; with an id it is a request', () => {
    const body = '"jsonrpc":"2.0","method":"tools/call","params":{"name":"probe.echo"}';
    assert.equal(classifyText(`{${body}}`).kind, 'notification');
    assert.equal(classifyText(`{"id":3,${body}}`).kind, 'request');
  });

  it('[RPC-5] classify without a raw id (a batch element) still echoes integers canonically', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', id: 5, method: 'ping' }, undefined), {
      kind: 'request',
      id: 5,
      rawId: '5',
      method: 'ping',
      params: undefined,
    });
  });

  it('[G-FUZ-1] resultText and errorText give valid JSON whose id is the raw id, byte for byte', () => {
    const rawId = fc.oneof(
      fc.constant('null'),
      fc.maxSafeInteger().map(String),
      fc.tuple(anyString, fc.integer()).map(([s, seed]) => renderString(s, prng(seed))),
    );
    const codes = fc.constantFrom(...Object.values(RpcCode), -32800);
    fc.assert(
      fc.property(
        rawId,
        jsonValueArb,
        codes,
        anyString,
        fc.option(jsonValueArb),
        (id, result, code, msg, data) => {
          const texts = [resultText(id, result), errorText(id, code, msg, data ?? undefined)];
          for (const t of texts) {
            const parsed = JSON.parse(t) as { id: unknown; error?: { code: number; message: string } };
            assert.deepEqual(parsed.id, JSON.parse(id));
            assert.equal(idSpans(t).top, id);
            assert.ok(t.startsWith(`{"jsonrpc":"2.0","id":${id},`));
          }
          const e = (JSON.parse(texts[1]!) as { error: { code: number; message: string } }).error;
          assert.equal(e.code, code);
          assert.equal(e.message, msg);
        },
      ),
      opts(3000),
    );
  });

  it('[RPC-5] echoes batch element ids byte for byte, or refuses them (2025-03-26 batches)', () => {
    const out = parseBody(
      '[{"jsonrpc":"2.0","id":"\\u0041","method":"ping"},{"jsonrpc":"2.0","id":1.0,"method":"ping"}]',
      32,
    );
    assert.ok(!('kind' in out) && out.batch);
    const [a, b] = out.messages;
    assert.equal(a?.kind === 'request' && a.rawId, '"\\u0041"');
    assert.equal(b!.kind, 'invalid', 'id 1.0 cannot be echoed byte for byte');
  });

  it('[G-FUZ-1] resultText gives valid JSON even when the result is undefined', () => {
    assert.doesNotThrow(() => JSON.parse(resultText('1', undefined)));
  });
});

function classifyText(text: string): RpcMessage | RpcFailure {
  const out = parseBody(text, 32);
  if ('kind' in out) return out;
  assert.ok(!out.batch);
  return out.message;
}

function anyUnitChars(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...'{}[]",:\\ 0123456789-.eE'),
    fc.constantFrom('"id":', '"jsonrpc":"2.0"', '"method":"ping"', 'null', 'true', '"__proto__"', '\ufeff'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
}
