/**
 * Two detectors return early where their answer is already known (out-of-scope while learning
 * without a grant; drift before it builds its maps when today or the history is too small).
 * Differential test: the same answers as the code before the early exits (kept here as oracles)
 * over generated events and baselines, learning or trained, with and without grants.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  argFeatures,
  drift,
  emptyBaseline,
  hostMatches,
  isLearning,
  newSessionState,
  observe,
  outOfScope,
  toolKey,
  underPath,
} from '../../../src/monitor/index.ts';
import type { AgentBaseline, Detection, Detector, MonitorEvent } from '../../../src/monitor/index.ts';
import { DAY_MS } from '../../../src/monitor/baseline.ts';
import { hostNovel, pathNovel } from '../../../src/monitor/detectors/novelty.ts';
import { seqs } from '../../../src/monitor/detectors/types.ts';
import { jensenShannon, own } from '../../../src/monitor/stats.ts';
import { call, config, DAY, T0, weekOfHistory } from './helpers.ts';

const cfg = config({ detectors: { drift: { minDayEvents: 3, threshold: 0.2 } } });
const trained = weekOfHistory().reduce(
  (b, e) => observe(b, e, cfg.limits, 60_000),
  emptyBaseline('agent-a', T0),
);
const learning = weekOfHistory()
  .slice(0, 8)
  .reduce((b, e) => observe(b, e, cfg.limits, 60_000), emptyBaseline('agent-a', T0));
const state = { session: newSessionState('s1', 'agent-a'), windowCount: 1, windowStart: 0 };

const arbEvent: fc.Arbitrary<MonitorEvent> = fc
  .record({
    tool: fc.constantFrom('read_file', 'list_dir', 'write_file', 'send'),
    args: fc.dictionary(
      fc.constantFrom('path', 'url', 'to', 'q'),
      fc.oneof(
        fc.constantFrom(
          '/etc/passwd',
          '/work/repo/src/a.ts',
          '/srv/x',
          'https://evil.test/x',
          'a@b.test',
          'hi',
        ),
        fc.string({ maxLength: 8 }),
        fc.integer(),
      ),
      { maxKeys: 3 },
    ),
    dt: fc.integer({ min: -2 * DAY, max: 10 * DAY }),
    grant: fc.option(
      fc.record(
        {
          paths: fc.constantFrom(['/work/repo'], ['/srv']),
          hosts: fc.constantFrom(['b.test'], ['*.evil.test']),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    method: fc.constantFrom('tools/call', 'egress'),
  })
  .map(({ tool, args, dt, grant, method }) =>
    call(tool, args, T0 + 7 * DAY + dt, { method, ...(grant === undefined ? {} : { grant }) }),
  );

const configs = [1, 3, 6].map((minDayEvents) =>
  config({ detectors: { drift: { minDayEvents, threshold: 0.2, historyDays: 5 } } }),
);

/** A baseline with 0 to 9 days of history and a random tool mix per day. */
const arbBaseline: fc.Arbitrary<AgentBaseline> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.constantFrom('read_file', 'list_dir', 'send')), {
    maxLength: 80,
  })
  .map((rows) =>
    rows.reduce(
      (b, [day, tool]) => observe(b, call(tool, {}, T0 + day * DAY), cfg.limits, 60_000),
      emptyBaseline('agent-a', T0),
    ),
  );

describe('detector early exits', () => {
  it('out-of-scope and drift answer as before the early exits, learning or trained, with or without a grant', () => {
    fc.assert(
      fc.property(arbEvent, fc.constantFrom(trained, learning), (e, b: AgentBaseline) => {
        assert.deepStrictEqual(outOfScope(e, b, state, cfg), oracleOutOfScope(e, b, state, cfg));
        assert.deepStrictEqual(drift(e, b, state, cfg), oracleDrift(e, b, state, cfg));
      }),
      { numRuns: 3000 },
    );
  });

  it('drift answers as before over days of history around its gates (today’s count, three days)', () => {
    let fired = 0;
    fc.assert(
      fc.property(
        arbBaseline,
        fc.integer({ min: 0, max: 10 }),
        fc.constantFrom('read_file', 'list_dir', 'send', 'write_file'),
        fc.constantFrom(...configs),
        (b, day, tool, c) => {
          const e = call(tool, {}, T0 + day * DAY + 1);
          const want = oracleDrift(e, b, state, c);
          assert.deepStrictEqual(drift(e, b, state, c), want);
          if (want !== null) fired++;
        },
      ),
      { numRuns: 3000 },
    );
    assert.ok(fired > 0, 'the generated cases reach a drift alert');
  });

  it('twin: a path outside the grant still raises out-of-scope while learning', () => {
    const e = call('read_file', { path: '/etc/passwd' }, T0, { grant: { paths: ['/work/repo'] } });
    assert.equal(isLearning(learning, cfg.learning, T0), true);
    assert.equal(outOfScope(e, learning, state, cfg)?.severity, 'high');
    assert.equal(outOfScope({ ...e, grant: undefined }, learning, state, cfg), null);
  });
});

// ---- oracles: the detectors as they were before the early exits ----
const oracleOutOfScope: Detector = (e, b, _s, c) => {
  if (e.tool === undefined || e.method === 'egress') return null;
  const cfg = c.detectors['out-of-scope'];
  const learning = isLearning(b, c.learning, e.time);
  const tool = own(b.tools, toolKey(e));
  for (const f of argFeatures(e.args)) {
    const p = tool ? own(tool.params, f.param) : undefined;
    if (f.path !== undefined) {
      if (e.grant?.paths && !e.grant.paths.some((g) => underPath(f.path!, g))) {
        return scopeAlert(e, f.path, 'high', 'outside its grant');
      }
      if (!learning && pathNovel(f.path, p, b, cfg))
        return scopeAlert(e, f.path, 'medium', 'outside its history');
    }
    if (f.host !== undefined) {
      if (e.grant?.hosts && !e.grant.hosts.some((h) => hostMatches(f.host!, h))) {
        return scopeAlert(e, f.host, 'high', 'outside its grant');
      }
      if (!learning && hostNovel(f.host, p, b, cfg))
        return scopeAlert(e, f.host, 'medium', 'never seen before');
    }
  }
  return null;
};

function scopeAlert(e: MonitorEvent, what: string, severity: 'medium' | 'high', why: string): Detection {
  return {
    detector: 'out-of-scope',
    severity,
    message: `agent ${e.agent} used ${what} in ${toolKey(e)}: ${why}`,
    dedupKey: `out-of-scope:${e.agent}:${what}`,
    auditSeqs: seqs(e.seq),
  };
}

const oracleDrift: Detector = (e, b, _s, c) => {
  if (e.tool === undefined || e.method === 'egress') return null;
  const cfg = c.detectors.drift;
  const day = Math.floor(e.time / DAY_MS);
  const today: Record<string, number> = { ...(own(b.days, String(day)) ?? {}) };
  const key = toolKey(e);
  today[key] = (own(today, key) ?? 0) + 1;
  const n = Object.values(today).reduce((x, y) => x + y, 0);
  if (n < cfg.minDayEvents) return null;
  const history: Record<string, number> = {};
  let days = 0;
  for (let d = day - cfg.historyDays; d < day; d++) {
    const counts = own(b.days, String(d));
    if (!counts) continue;
    days++;
    for (const [k, v] of Object.entries(counts)) history[k] = (own(history, k) ?? 0) + v;
  }
  if (days < 3) return null;
  const js = jensenShannon(today, history);
  if (js < cfg.threshold) return null;
  return {
    detector: 'drift',
    severity: 'low',
    message: `agent ${e.agent} tool mix today diverges from the previous ${days} days (JS divergence ${js.toFixed(2)} ≥ ${cfg.threshold})`,
    dedupKey: `drift:${e.agent}:${day}`,
    auditSeqs: seqs(e.seq),
    dedupMs: DAY_MS,
  };
};
