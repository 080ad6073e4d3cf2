import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emptyBaseline,
  newSessionState,
  observe,
  POST_DETECTORS,
  PRE_DETECTORS,
  taintSession,
} from '../../../src/monitor/index.ts';
import type { MonitorEvent } from '../../../src/monitor/index.ts';
import { config, T0, weekOfHistory } from './helpers.ts';

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

const cfg = config({ detectors: { 'toxic-flow': { sensitiveTools: ['*send*'] } } });
const baseline = deepFreeze(
  weekOfHistory().reduce((b, e) => observe(b, e, cfg.limits, 60_000), emptyBaseline('agent-a', T0)),
);
const session = newSessionState('s1', 'agent-a');
taintSession(session, 'web/fetch', 3, true);
deepFreeze(session);

const arbEvent: fc.Arbitrary<MonitorEvent> = fc.record({
  seq: fc.nat(),
  time: fc.integer({ min: T0, max: T0 + 30 * 86_400_000 }),
  agent: fc.constant('agent-a'),
  session: fc.constant('s1'),
  method: fc.constantFrom('tools/call', 'egress', 'resources/read'),
  server: fc.constantFrom('fs', 'web', 'mail'),
  tool: fc.constantFrom('read_file', 'list_dir', 'send', 'fetch', 'x'),
  args: fc.dictionary(
    fc.constantFrom('path', 'url', 'to', 'n', 'q'),
    fc.oneof(
      fc.string(),
      fc.constantFrom('/etc/passwd', '/work/repo/a', 'https://evil.test/x', 'a@b.test'),
      fc.integer(),
      fc.constant(null),
    ),
  ),
  egressHost: fc.constantFrom('evil.test', 'registry.npmjs.org'),
  outcome: fc.constantFrom('ok' as const, 'error' as const),
  resultBytes: fc.nat(1e9),
  findings: fc.record({
    secrets: fc.nat(2),
    injection: fc.constantFrom('clean' as const, 'suspicious' as const, 'malicious' as const),
  }),
  annotations: fc.record({ readOnlyHint: fc.boolean(), openWorldHint: fc.boolean() }),
});

describe('detectors are pure functions', () => {
  it('never mutate their (frozen) inputs and give the same answer twice', () => {
    fc.assert(
      fc.property(arbEvent, fc.nat(1000), (e, windowCount) => {
        deepFreeze(e);
        const state = { session, windowCount, windowStart: 0 };
        for (const [name, d] of [...PRE_DETECTORS, ...POST_DETECTORS]) {
          const a = d(e, baseline, state, cfg);
          assert.deepEqual(d(e, baseline, state, cfg), a, name);
          if (a) assert.equal(a.detector, name);
        }
      }),
      { numRuns: 300 },
    );
  });
});
