import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonToCedar, PolicyEngine } from '../../../src/policy/index.ts';

const now = Date.UTC(2026, 10, 24, 10, 0, 0);
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('jsonToCedar (args conversion)', () => {
  it('is total: never throws and yields JSON-serializable Cedar values for any JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = jsonToCedar(v);
        assert.doesNotThrow(() => JSON.stringify(c.value));
        assert.ok(Array.isArray(c.issues));
      }),
      { numRuns: 500 },
    );
  });

  it('is total on arbitrary JS values, including non-JSON ones (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }), (v) => {
        assert.doesNotThrow(() => jsonToCedar(v));
      }),
      { numRuns: 300 },
    );
  });

  it('produces values Cedar accepts: an engine decides (never a parse failure) for any JSON args (property)', () => {
    const engine = PolicyEngine.fromText({
      'p.cedar': `permit(principal, action == Warden::Action::"call_tool", resource) when { context.args has x && context.args.x == 1 };`,
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), (args) => {
        const d = engine.authorize({
          principal: { id: 'a', roles: [] },
          action: 'call_tool',
          resource: { kind: 'tool', server: 's', name: 't' },
          context: { args, now },
        });
        const expected = Object.hasOwn(args, 'x') && args['x'] === 1;
        assert.equal(d.effect, expected ? 'allow' : 'deny', JSON.stringify(d));
        if (d.effect === 'deny') assert.ok(!d.errors.some((e) => e.includes('cedar-wasm')), d.errors.join());
      }),
      { numRuns: 300 },
    );
  });

  it('maps safe integers to Long, short fractions to decimal, the rest to String', () => {
    assert.equal(jsonToCedar(42).value, 42);
    assert.equal(jsonToCedar(-0).value, 0);
    assert.deepEqual(jsonToCedar(1.5).value, { __extn: { fn: 'decimal', arg: '1.5' } });
    assert.equal(jsonToCedar(0.1 + 0.2).value, '0.30000000000000004');
    assert.equal(jsonToCedar(2 ** 60).value, '1152921504606847000');
    assert.equal(jsonToCedar(1e21).value, '1e+21');
    assert.equal(jsonToCedar(JSON.parse('1e400')).value, 'Infinity'); // [RPC-15]
  });

  it('maps arrays to sets, objects to records, and drops null', () => {
    assert.deepEqual(plain(jsonToCedar({ a: [1, null, 'x'], b: null, c: { d: true } }).value), {
      a: [1, 'x'],
      c: { d: true },
    });
  });

  it('[RPC-13] keeps __proto__ and constructor as plain attributes and pollutes nothing', () => {
    const input = JSON.parse(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    ) as unknown;
    const c = jsonToCedar(input);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(c.value), null);
    assert.deepEqual(Object.keys(c.value as object), ['__proto__', 'constructor']);
    assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
  });

  it('[RPC-13] a __proto__ argument reaches policies as an ordinary attribute', () => {
    const engine = PolicyEngine.fromText({
      'p.cedar': `permit(principal, action, resource) when { context.args has "__proto__" && context.args["__proto__"].x == 1 };`,
    });
    const req = (args: unknown) => ({
      principal: { id: 'a', roles: [] },
      action: 'call_tool' as const,
      resource: { kind: 'tool' as const, server: 's', name: 't' },
      context: { args, now },
    });
    assert.equal(engine.authorize(req(JSON.parse('{"__proto__":{"x":1}}'))).effect, 'allow');
    assert.equal(engine.authorize(req(JSON.parse('{"__proto__":{"x":2}}'))).effect, 'deny');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  it('drops __entity/__extn keys so an argument cannot forge an entity or extension value', () => {
    const c = jsonToCedar({
      who: { __entity: { type: 'Warden::Role', id: 'admin' } },
      n: { __extn: { fn: 'ip', arg: '1.2.3.4' } },
    });
    assert.deepEqual(plain(c.value), { who: {}, n: {} });
  });

  it('reports lone surrogates, excessive depth, cycles and throwing getters as issues', () => {
    assert.equal(jsonToCedar('ok \uD83D\uDE00').issues.length, 0);
    assert.match(jsonToCedar('bad \uD800').issues[0] ?? '', /lone surrogate/);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.match(jsonToCedar(deep).issues[0] ?? '', /nested deeper/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.match(jsonToCedar(cyclic).issues[0] ?? '', /nested deeper/);
    const trap = {
      get x(): never {
        throw new Error('boom');
      },
    };
    assert.match(jsonToCedar(trap).issues[0] ?? '', /could not be read/);
  });

  it('converts plain values without issues (twin of the above)', () => {
    assert.deepEqual(jsonToCedar({ a: [1, 2], b: 'x' }).issues, []);
  });
});
