import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  asHost,
  asPath,
  emptyBaseline,
  isLearning,
  observe,
  pathPrefix,
  pathPrefixes,
} from '../../../src/monitor/index.ts';
import type { AgentBaseline } from '../../../src/monitor/index.ts';
import { call, config, DAY, T0, weekOfHistory } from './helpers.ts';

const cfg = config();
const learnAll = (events = weekOfHistory()): AgentBaseline =>
  events.reduce((b, e) => observe(b, e, cfg.limits, 60_000), emptyBaseline('agent-a', T0));

describe('monitor baselines', () => {
  it('learns tools, path prefixes, value types and result sizes per parameter', () => {
    const b = learnAll();
    assert.deepEqual(Object.keys(b.tools).sort(), ['fs/list_dir', 'fs/read_file']);
    const p = b.tools['fs/read_file']!.params['path']!;
    assert.ok(p.prefixes['/work/repo'] && p.prefixes['/work/repo/src']);
    assert.equal(p.prefixes['/etc'], undefined);
    assert.deepEqual(Object.keys(p.types), ['string']);
    assert.equal(b.tools['fs/read_file']!.resultLogBytes.n, b.tools['fs/read_file']!.count);
    assert.ok(b.rate.windows.n > 10);
  });

  it('stays in its learning period until both the event count and the duration are reached', () => {
    const b = learnAll(weekOfHistory().slice(0, 30));
    assert.equal(isLearning(b, cfg.learning, T0 + DAY / 2), true);
    assert.equal(isLearning(b, cfg.learning, T0 + 2 * DAY), false);
    assert.equal(isLearning(learnAll(weekOfHistory().slice(0, 5)), cfg.learning, T0 + 2 * DAY), true);
  });

  it('keeps memory per agent bounded whatever the input (caps on tools, values, prefixes, hosts, days)', () => {
    const limits = {
      ...cfg.limits,
      maxTools: 8,
      maxParams: 4,
      maxValues: 4,
      maxPrefixes: 16,
      maxHosts: 8,
      maxBigrams: 16,
      maxDays: 3,
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string({ maxLength: 6 }),
            fc.string({ maxLength: 6 }),
            fc.string({ maxLength: 30 }),
            fc.nat(10 * DAY),
          ),
          { maxLength: 300 },
        ),
        (rows) => {
          let b = emptyBaseline('a', T0);
          let prev: string | undefined;
          for (const [tool, param, value, dt] of rows) {
            b = observe(
              b,
              call(
                tool,
                { [param]: '/' + value, [param + 'u']: `https://${value.replace(/[^a-z]/g, 'x')}x.test/` },
                T0 + dt,
              ),
              limits,
              60_000,
              prev,
            );
            prev = tool;
          }
          assert.ok(Object.keys(b.tools).length <= 8);
          assert.ok(Object.keys(b.bigrams).length <= 16);
          assert.ok(Object.keys(b.days).length <= 3);
          for (const t of Object.values(b.tools)) {
            assert.ok(Object.keys(t.params).length <= 4);
            for (const p of Object.values(t.params)) {
              assert.ok(
                Object.keys(p.values).length <= 4 &&
                  Object.keys(p.prefixes).length <= 16 &&
                  Object.keys(p.hosts).length <= 8,
              );
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps the total number of keys per agent under maxEntries and counts them exactly', () => {
    const limits = { ...cfg.limits, maxEntries: 60 };
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), fc.string({ maxLength: 12 })),
          { maxLength: 200 },
        ),
        (rows) => {
          let b = emptyBaseline('a', T0);
          for (const [tool, param, value] of rows)
            b = observe(b, call(tool, { [param]: value, [param + 'p']: '/' + value }, T0), limits, 60_000);
          let keys = Object.keys(b.tools).length;
          for (const t of Object.values(b.tools)) {
            keys += Object.keys(t.params).length;
            for (const p of Object.values(t.params))
              keys +=
                Object.keys(p.values).length + Object.keys(p.prefixes).length + Object.keys(p.hosts).length;
          }
          assert.equal(b.entries, keys);
          assert.ok(keys <= 60);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('treats prototype names (constructor, __proto__, valueOf) sent by an agent as ordinary keys', () => {
    const args = JSON.parse('{"constructor":"valueOf","__proto__":"/etc/x","valueOf":"toString"}') as Record<
      string,
      unknown
    >;
    let b = emptyBaseline('a', T0);
    for (let i = 0; i < 3; i++) b = observe(b, call('hasOwnProperty', args, T0 + i), cfg.limits, 60_000);
    const t = b.tools['fs/hasOwnProperty']!;
    assert.deepEqual(Object.keys(t.params).sort(), ['__proto__', 'constructor', 'valueOf']);
    assert.equal(Object.getOwnPropertyDescriptor(t.params, 'constructor')?.value.n, 3);
    assert.equal(Object.getOwnPropertyDescriptor(t.params['constructor']!.values, 'valueOf')?.value, 3);
    assert.equal(Object.getPrototypeOf(t.params), Object.prototype);
    const again = JSON.parse(JSON.stringify(b)) as typeof b;
    assert.equal(
      observe(again, call('hasOwnProperty', args, T0 + 9), cfg.limits, 60_000).tools['fs/hasOwnProperty']!
        .count,
      4,
    );
  });

  it('folds events in place into the objects it owns with the same result as the copying fold, and never changes a baseline handed out', () => {
    const limits = {
      ...cfg.limits,
      maxTools: 3,
      maxParams: 3,
      maxValues: 3,
      maxPrefixes: 4,
      maxHosts: 3,
      maxBigrams: 4,
      maxDays: 2,
      maxEntries: 40,
    };
    const key = fc.constantFrom('path', 'url', 'q', '__proto__', 'constructor');
    const value = fc.oneof(
      fc.constantFrom(
        '/work/a/b',
        '/work/c',
        '/etc/passwd',
        'https://x.test/a',
        'bob@y.test',
        'hi',
        '__proto__',
      ),
      fc.string({ maxLength: 8 }),
      fc.integer({ min: -5, max: 5 }),
      fc.boolean(),
      fc.constant('z'.repeat(70)),
    );
    const event = fc.record({
      tool: fc.constantFrom('read', 'write', '__proto__', 'constructor'),
      args: fc.dictionary(key, value, { maxKeys: 3 }),
      dt: fc.constantFrom(0, 1_000, 61_000, DAY, -5_000),
      egress: fc.constantFrom(undefined, 'x.test', 'Y.test', '__proto__'),
      outcome: fc.constantFrom('ok' as const, 'error' as const),
      prev: fc.constantFrom(undefined, 'fs/read', 'fs/__proto__'),
      handOut: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 20, maxLength: 120 }), (rows) => {
        let pure = emptyBaseline('a', T0);
        let inPlace = emptyBaseline('a', T0);
        let owned = new WeakSet<object>();
        const handedOut: { b: AgentBaseline; json: string }[] = [];
        let t = T0;
        for (const r of rows) {
          t += r.dt;
          const e =
            r.egress === undefined
              ? call(r.tool, r.args, t, { outcome: r.outcome })
              : call(r.tool, {}, t, { method: 'egress', egressHost: r.egress });
          pure = observe(pure, e, limits, 60_000, r.prev);
          inPlace = observe(inPlace, e, limits, 60_000, r.prev, owned);
          assert.deepStrictEqual(inPlace, pure);
          if (r.handOut) {
            handedOut.push({ b: inPlace, json: JSON.stringify(inPlace) });
            owned = new WeakSet(); // what the monitor does when a baseline leaves it
          }
        }
        for (const h of handedOut) assert.equal(JSON.stringify(h.b), h.json);
        assert.equal(Object.getPrototypeOf(inPlace.tools), Object.prototype);
      }),
      { numRuns: 200 },
    );
  });

  it('computes every prefix depth in one pass, the same as pathPrefix depth by depth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'bb', '.ssh', 'x.ts', '~'), { maxLength: 7 }),
        fc.integer({ min: 1, max: 6 }),
        (segs, n) => {
          const path = asPath('/' + segs.join('/'))!;
          const want = [...new Set(Array.from({ length: n }, (_, d) => pathPrefix(path, d + 1)))].filter(
            (p) => p !== '/',
          );
          assert.deepEqual(pathPrefixes(path, n), want);
        },
      ),
    );
  });

  it('normalizes paths (.. resolved) and extracts hosts from URLs and e-mail addresses', () => {
    assert.equal(asPath('/work/repo/../../etc/passwd'), '/etc/passwd');
    assert.equal(asPath('file:///home/u/.ssh/id_rsa'), '/home/u/.ssh/id_rsa');
    assert.equal(asPath('relative/path'), undefined);
    assert.equal(asHost('https://API.Example.com/x?y'), 'api.example.com');
    assert.equal(asHost('bob@Evil.Test'), 'evil.test');
    assert.equal(asHost('just words'), undefined);
  });
});
