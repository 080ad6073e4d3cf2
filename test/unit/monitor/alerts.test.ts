import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, silentLogger } from '../../../src/core/index.ts';
import { AlertHub, Monitor, RingSink } from '../../../src/monitor/index.ts';
import type { Detection } from '../../../src/monitor/index.ts';
import { call, config, T0 } from './helpers.ts';

const detection: Detection = {
  detector: 'rate-spike',
  severity: 'high',
  message: 'agent a call-rate spike',
  dedupKey: 'rate-spike:a:0',
  auditSeqs: [],
};

function hub(ring: RingSink): AlertHub {
  let n = 0;
  return new AlertHub({
    sinks: [ring],
    clock: new ManualClock(T0),
    logger: silentLogger,
    dedupWindowMs: 60_000,
    newId: () => `alr_${++n}`,
  });
}

describe('AlertHub de-duplication', () => {
  it('counts repeats within the window on the remembered alert, whether counted by suppress or raise, and leaves the delivered alert as it was', () => {
    const ring = new RingSink();
    const h = hub(ring);
    const ctx = { agent: 'a', time: T0 };
    const first = h.raise(detection, ctx, 'alert');
    assert.equal(first.delivered, true);
    assert.equal(h.suppress(detection, T0 + 1), true);
    assert.equal(h.suppress(detection, T0 + 2), true);
    const third = h.raise(detection, { ...ctx, time: T0 + 3 }, 'alert');
    assert.equal(third.delivered, false);
    assert.equal(third.alert.count, 4);
    assert.equal(third.alert.id, 'alr_1');
    const blocked = h.raise(detection, { ...ctx, time: T0 + 4 }, 'block');
    assert.equal(blocked.delivered, false);
    assert.equal(blocked.alert.count, 5);
    assert.equal(blocked.alert.mode, 'block');
    assert.deepEqual(
      ring.list().map((a) => [a.id, a.count, a.mode]),
      [['alr_1', 1, 'alert']],
    );
    assert.deepEqual(h.stats(), { emitted: 1, suppressed: 4 });
  });

  it('does not suppress once the window has passed: the next occurrence is a new alert', () => {
    const ring = new RingSink();
    const h = hub(ring);
    h.raise(detection, { agent: 'a', time: T0 }, 'alert');
    assert.equal(h.suppress(detection, T0 + 60_000), false);
    const again = h.raise(detection, { agent: 'a', time: T0 + 60_000 }, 'alert');
    assert.equal(again.delivered, true);
    assert.equal(again.alert.count, 1);
    assert.equal(ring.list().length, 2);
    assert.equal(h.suppress({ ...detection, dedupKey: 'other' }, T0), false);
  });
});

describe('Monitor under a continuous alert condition', () => {
  const burst = (m: Monitor, n: number) =>
    Array.from({ length: n }, (_, i) => m.pre(call('read_file', { path: '/w/a' }, T0 + i * 10)));

  it('delivers a rate-spike alert once and counts the repeats while the condition holds', () => {
    const ring = new RingSink();
    const m = new Monitor({
      config: config({ detectors: { 'rate-spike': { absolute: 3 } } }),
      sinks: [ring],
    });
    const out = burst(m, 10);
    assert.deepEqual(
      out.map((d) => d.alerts.length),
      [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.ok(out.every((d) => d.block === undefined));
    assert.equal(ring.list().length, 1);
    assert.equal(m.alertStats().suppressed, 7);
  });

  it('blocks every call while the condition holds in block mode, repeats carrying the running count', () => {
    const ring = new RingSink();
    const m = new Monitor({
      config: config({ detectors: { 'rate-spike': { mode: 'block', absolute: 3 } } }),
      sinks: [ring],
    });
    const out = burst(m, 6);
    assert.deepEqual(
      out.map((d) => d.block?.count),
      [undefined, undefined, 1, 2, 3, 4],
    );
    assert.ok(out.slice(2).every((d) => d.block?.mode === 'block' && d.block.id === out[2]!.block!.id));
    assert.equal(ring.list().length, 1);
  });
});
