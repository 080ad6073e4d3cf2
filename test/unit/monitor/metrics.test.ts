import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, WardenMetrics } from '../../../src/monitor/index.ts';

describe('Prometheus metrics', () => {
  it('renders counters and histograms in the text exposition format with escaped labels', () => {
    const m = new WardenMetrics();
    m.recordCall({
      time: 0,
      agent: 'a',
      method: 'tools/call',
      server: 'fs',
      tool: 'read"x\n',
      decision: 'allow',
      outcome: 'ok',
      durationMs: 3,
    });
    m.recordCall({
      time: 0,
      agent: 'a',
      method: 'tools/call',
      server: 'fs',
      tool: 'rm',
      decision: 'deny',
      durationMs: 1,
    });
    m.recordAlert({
      id: 'x',
      time: 0,
      severity: 'high',
      detector: 'toxic-flow',
      agent: 'a',
      message: '',
      evidence: { auditSeqs: [] },
      mode: 'block',
      dedupKey: 'k',
      count: 1,
    });
    m.sandboxStarted('default');
    const body = m.render();
    assert.match(body, /# TYPE warden_tool_calls_total counter/);
    assert.match(
      body,
      /warden_tool_calls_total\{server="fs",tool="read\\"x\\n",decision="allow",outcome="ok"\} 1/,
    );
    assert.match(body, /warden_denials_total\{method="tools\/call",reason="policy"\} 1/);
    assert.match(body, /warden_tool_call_duration_seconds_bucket\{server="fs",tool="rm",le="0.001"\} 1/);
    assert.match(body, /warden_tool_call_duration_seconds_bucket\{server="fs",tool="rm",le="\+Inf"\} 1/);
    assert.match(body, /warden_alerts_total\{detector="toxic-flow",severity="high",mode="block"\} 1/);
    assert.match(body, /warden_sandboxes_active\{profile="default"\} 1/);
  });

  it('bounds the number of series per metric (agents choose tool names)', () => {
    const r = new MetricsRegistry({ maxSeriesPerMetric: 3 });
    const c = r.counter('x_total', 'x', ['k']);
    for (let i = 0; i < 10; i++) c.inc({ k: String(i) });
    assert.equal(
      r
        .render()
        .split('\n')
        .filter((l) => l.startsWith('x_total{')).length,
      3,
    );
    assert.equal(c.dropped, 7);
  });

  it('rejects invalid metric names and decreasing counters', () => {
    const r = new MetricsRegistry();
    assert.throws(() => r.counter('bad name', 'x'), TypeError);
    assert.throws(() => r.counter('ok_total', 'x').inc({}, -1), RangeError);
  });
});
