import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/index.ts';
import { LogSink, Monitor, RingSink } from '../../../src/monitor/index.ts';
import type { MonitorConfigInput, MonitorEvent } from '../../../src/monitor/index.ts';
import { call, config, HOUR, T0, weekOfHistory } from './helpers.ts';

const AFTER = T0 + 8 * 24 * HOUR;

function trained(over: MonitorConfigInput = {}, ring = new RingSink()): Monitor {
  const m = new Monitor({ config: config(over), sinks: [ring] });
  for (const e of weekOfHistory()) {
    m.pre(e);
    m.post(e);
  }
  m.drain();
  return m;
}

const run = (m: Monitor, e: MonitorEvent) => {
  const pre = m.pre(e);
  const post = pre.block ? { alerts: [] } : m.post(e);
  m.drain(); // what the event loop does between calls
  return [...pre.alerts, ...post.alerts];
};

describe('Monitor', () => {
  it('[G-ANOM-1] raises one alert with evidence when an agent with two known tools calls a third', () => {
    const ring = new RingSink();
    const m = trained({}, ring);
    const e = call('write_file', { path: '/work/repo/src/f1.ts', content: 'x' }, AFTER, {
      seq: 9001,
      traceId: 't'.repeat(32),
      spanId: 's'.repeat(16),
    });
    const pre = m.pre(e);
    assert.equal(pre.block, undefined);
    assert.equal(pre.alerts.length, 1);
    const a = pre.alerts[0]!;
    assert.equal(a.detector, 'first-tool');
    assert.equal(a.mode, 'alert');
    assert.deepEqual(a.evidence, { auditSeqs: [9001], traceId: 't'.repeat(32), spanId: 's'.repeat(16) });
    assert.equal(a.agent, 'agent-a');
    assert.equal(ring.list().length, 1);
  });

  it('[G-ANOM-1] stays quiet when the agent calls a tool it has used before (twin)', () => {
    const m = trained();
    assert.deepEqual(run(m, call('read_file', { path: '/work/repo/src/new-file.ts' }, AFTER)), []);
  });

  it('[G-ANOM-1] refuses the call in block mode and the alert says so', () => {
    const m = trained({ detectors: { 'first-tool': { mode: 'block' } } });
    const d = m.pre(call('delete_file', { path: '/work/repo/src/f1.ts' }, AFTER));
    assert.ok(d.block);
    assert.equal(d.block.mode, 'block');
    assert.match(d.block.message, /blocked/);
  });

  it('holds deferred pre alerts until deliver, which adds the decided record to the evidence', () => {
    const ring = new RingSink();
    const m = trained({}, ring);
    const before = ring.list().length;
    const e = call('write_file', { path: '/work/repo/src/f1.ts' }, AFTER, {
      seq: undefined,
      spanId: 'f'.repeat(16),
    });
    const pre = m.pre(e, { defer: true });
    assert.equal(pre.alerts.length, 1);
    assert.equal(ring.list().length, before, 'not delivered before the decided record exists');
    const [out] = m.deliver(pre.alerts, 4242);
    assert.deepEqual(out!.evidence.auditSeqs, [4242]);
    assert.equal(ring.list().length, before + 1);
    assert.deepEqual(ring.list().at(-1)!.evidence.auditSeqs, [4242]);
  });

  it('stays silent for a detector in off mode', () => {
    const m = trained({ detectors: { 'first-tool': { mode: 'off' } } });
    assert.deepEqual(m.pre(call('delete_file', { path: '/work/repo/src/f1.ts' }, AFTER)).alerts, []);
  });

  it('stays quiet about a new tool during the learning period', () => {
    const m = new Monitor({ config: config() });
    const h = weekOfHistory().slice(0, 10);
    for (const e of h) run(m, e);
    m.drain();
    assert.deepEqual(m.pre(call('delete_file', { path: '/x' }, h[9]!.time + 1000)).alerts, []);
  });

  it('de-duplicates: the same alert within the window is counted, not repeated', () => {
    const log = new MemoryLogger();
    const m = new Monitor({ config: config(), sinks: [new LogSink(log)] });
    for (const e of weekOfHistory()) run(m, e);
    m.drain();
    const first = m.pre(call('write_file', { path: '/work/repo/a' }, AFTER));
    const second = m.pre(call('write_file', { path: '/work/repo/a' }, AFTER + 1000));
    assert.equal(first.alerts.length, 1);
    m.post(call('write_file', { path: '/work/repo/a' }, AFTER + 1000));
    m.drain();
    assert.equal(second.alerts.length, 0);
    assert.equal(m.alertStats().suppressed, 1);
    assert.equal(log.lines.filter((l) => l.msg === 'monitor alert').length, 1);
    const later = m.pre(call('write_file', { path: '/work/repo/a' }, AFTER + 11 * 60_000));
    assert.equal(later.alerts.length, 0, 'learned after the first call went through');
  });

  it('[PI-3] flags a sensitive tool called after the session read untrusted content (strict)', () => {
    const m = trained({ detectors: { 'toxic-flow': { sensitiveTools: ['mail/*'], strict: true } } });
    const fetch = call('fetch', { url: 'https://news.example/a' }, AFTER, {
      server: 'web',
      trust: 'untrusted',
      seq: 50,
      session: 'sx',
    });
    m.pre(fetch);
    m.post(fetch);
    assert.deepEqual(m.taint('sx'), { untrusted: true, labels: ['web/fetch'] });
    const send = call('send', { to: 'bob@corp.example' }, AFTER + 5000, {
      server: 'mail',
      seq: 51,
      session: 'sx',
    });
    const alerts = m.pre(send).alerts.filter((a) => a.detector === 'toxic-flow');
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]!.evidence.auditSeqs, [50, 51]);
  });

  it('[PI-3] does not flag the same sensitive tool in a session without untrusted content (twin)', () => {
    const m = trained({ detectors: { 'toxic-flow': { sensitiveTools: ['mail/*'], strict: true } } });
    const read = call('read_file', { path: '/work/repo/src/f1.ts' }, AFTER, {
      session: 'sy',
      trust: 'trusted',
    });
    run(m, read);
    const send = call('send', { to: 'bob@corp.example' }, AFTER + 5000, { server: 'mail', session: 'sy' });
    assert.equal(m.pre(send).alerts.filter((a) => a.detector === 'toxic-flow').length, 0);
    assert.deepEqual(m.taint('sy'), { untrusted: false, labels: [] });
  });

  it('[PI-3] treats a not-read-only open-world tool as sensitive from its annotations', () => {
    const m = trained({ detectors: { 'toxic-flow': { mode: 'block', strict: true } } });
    m.markUntrusted('sz', 'agent-a', 'agent:planner', 7);
    const post = call('create_issue', { body: 'x' }, AFTER, {
      server: 'gh',
      session: 'sz',
      annotations: { readOnlyHint: false, openWorldHint: true },
    });
    assert.equal(m.pre(post).block?.detector, 'toxic-flow');
    const fetch = call('fetch', { url: 'https://x.example' }, AFTER + 1, {
      server: 'web',
      session: 'sz',
      annotations: { readOnlyHint: true, openWorldHint: true },
    });
    assert.equal(m.pre(fetch).block, undefined);
  });

  it('[PI-3] by default flags a tainted sensitive call only when flagged content or out-of-history arguments are involved', () => {
    const m = trained({
      detectors: {
        'toxic-flow': { sensitiveTools: ['fs/write_file'] },
        'out-of-scope': { mode: 'off' },
        'first-tool': { mode: 'off' },
      },
    });
    for (let i = 0; i < 30; i++)
      run(m, call('write_file', { path: `/work/repo/src/f${i}.ts` }, AFTER + i, { session: 'warm' }));
    m.markUntrusted('t1', 'agent-a', 'web/fetch');
    const inScope = call('write_file', { path: '/work/repo/src/x.ts' }, AFTER + 100, { session: 't1' });
    assert.equal(m.pre(inScope).alerts.length, 0);
    const outOfScope = call('write_file', { path: '/home/u/.bashrc' }, AFTER + 101, { session: 't1' });
    assert.equal(m.pre(outOfScope).alerts[0]?.detector, 'toxic-flow');
    m.markUntrusted('t2', 'agent-a', 'web/fetch', 9, true);
    assert.equal(
      m.pre(call('write_file', { path: '/work/repo/src/y.ts' }, AFTER + 102, { session: 't2' })).alerts[0]
        ?.detector,
      'toxic-flow',
    );
  });

  it('[PI-3] keeps a session tainted when an agent floods new sessions to evict it', () => {
    const m = new Monitor({ config: config(), maxSessions: 8 });
    m.markUntrusted('victim', 'agent-a', 'web/fetch', 1, true);
    for (let i = 0; i < 100; i++) m.markUntrusted(`flood-${i}`, 'agent-a', 'web/fetch');
    for (let i = 0; i < 100; i++) m.pre(call('read_file', { path: '/x' }, T0 + i, { session: `clean-${i}` }));
    assert.deepEqual(m.taint('victim'), { untrusted: true, labels: ['web/fetch', 'suspicious'] });
    m.pre(call('read_file', { path: '/x' }, T0, { session: 'victim' }));
    assert.deepEqual(m.taint('victim'), { untrusted: true, labels: ['web/fetch', 'suspicious'] });
    m.endSession('victim');
    assert.deepEqual(m.taint('victim'), { untrusted: false, labels: [] });
  });

  it('[EX-5] flags a path outside the agent history and a recipient domain never seen', () => {
    const m = trained();
    const a = m.pre(call('read_file', { path: '/work/repo/../../etc/shadow' }, AFTER));
    assert.equal(a.alerts[0]?.detector, 'out-of-scope');
    assert.match(a.alerts[0].message, /\/etc\/shadow/);
    const ssh = m.pre(call('read_file', { path: '/work/repo/.ssh/id_rsa' }, AFTER));
    assert.equal(ssh.alerts[0]?.detector, 'out-of-scope');
    assert.deepEqual(m.pre(call('read_file', { path: '/work/repo/test/new.ts' }, AFTER)).alerts, []);
  });

  it('flags a resource outside the grant even during learning', () => {
    const m = new Monitor({ config: config() });
    const d = m.pre(call('read_file', { path: '/srv/other/x' }, T0, { grant: { paths: ['/work/repo'] } }));
    assert.equal(d.alerts[0]?.detector, 'out-of-scope');
    assert.equal(d.alerts[0]?.severity, 'high');
    assert.deepEqual(
      m.pre(call('read_file', { path: '/work/repo/x' }, T0, { grant: { paths: ['/work/repo'] } })).alerts,
      [],
    );
  });

  it('[DoS-1] flags a call-rate spike against the running rate, not ordinary bursts', () => {
    const m = trained();
    const burst = Array.from({ length: 40 }, (_, i) =>
      call('read_file', { path: `/work/repo/src/f${i % 13}.ts` }, AFTER + i * 100),
    );
    const alerts = burst.flatMap((e) => run(m, e)).filter((a) => a.detector === 'rate-spike');
    assert.equal(alerts.length, 1);
    const calm = trained();
    const few = Array.from({ length: 4 }, (_, i) =>
      call('read_file', { path: `/work/repo/src/f${i}.ts` }, AFTER + i * 100),
    );
    assert.equal(few.flatMap((e) => run(calm, e)).filter((a) => a.detector === 'rate-spike').length, 0);
  });

  it('[PI-1] flags a result carrying an injection or a secret, and a result far larger than usual', () => {
    const m = trained();
    const inj = call('read_file', { path: '/work/repo/src/f1.ts' }, AFTER, {
      findings: { injection: 'malicious', injectionRules: ['override.ignore-previous'] },
    });
    assert.equal(m.post(inj).alerts[0]?.detector, 'output-anomaly');
    const sec = call('read_file', { path: '/work/repo/src/f2.ts' }, AFTER, { findings: { secrets: 1 } });
    assert.match(m.post(sec).alerts[0]!.message, /secret/);
    const big = call('list_dir', { path: '/work/repo/src' }, AFTER, { resultBytes: 50_000_000 });
    assert.match(m.post(big).alerts[0]!.message, /far above/);
    const errorText = call('list_dir', { path: '/work/repo/src' }, AFTER + 2, {
      outcome: 'error',
      findings: { injection: 'suspicious' },
    });
    assert.equal(
      m.post(errorText).alerts[0]?.detector,
      'output-anomaly',
      '[PI-2] a tool error is read by the model too',
    );
    const normal = call('list_dir', { path: '/work/repo/src' }, AFTER + 1, { resultBytes: 450 });
    assert.deepEqual(m.post(normal).alerts, []);
  });

  it('flags egress to a host the agent never reached, not to a known one', () => {
    const m = new Monitor({ config: config() });
    for (let i = 0; i < 40; i++)
      run(m, { time: T0 + i * HOUR, agent: 'agent-a', method: 'egress', egressHost: 'registry.npmjs.org' });
    m.drain();
    const known = m.pre({
      time: AFTER,
      agent: 'agent-a',
      method: 'egress',
      egressHost: 'registry.npmjs.org',
    });
    assert.deepEqual(known.alerts, []);
    const novel = m.pre({
      time: AFTER,
      agent: 'agent-a',
      method: 'egress',
      egressHost: 'paste.evil.test',
      seq: 77,
    });
    assert.equal(novel.alerts[0]?.detector, 'new-egress');
  });

  it('[issue 7] with alertOnly, new-egress in block mode alerts and blocks nothing (egress already happened)', () => {
    const m = new Monitor({ config: config({ detectors: { 'new-egress': { mode: 'block' } } }) });
    for (let i = 0; i < 40; i++)
      run(m, { time: T0 + i * HOUR, agent: 'agent-a', method: 'egress', egressHost: 'registry.npmjs.org' });
    m.drain();
    const e = { time: AFTER, agent: 'agent-a', method: 'egress', egressHost: 'paste.evil.test', seq: 78 };
    const d = m.pre(e, { alertOnly: true });
    assert.equal(d.block, undefined);
    assert.equal(d.alerts.length, 1);
    assert.equal(d.alerts[0]?.mode, 'alert');
    assert.deepEqual(d.alerts[0]?.evidence.auditSeqs, [78]);
    // Twin: without alertOnly the configured block mode still blocks (tool calls).
    assert.equal(m.pre({ ...e, egressHost: 'other.evil.test' }).block?.detector, 'new-egress');
  });

  it('flags drift of the tool mix after a change, not a day like the others', () => {
    const m = new Monitor({ config: config({ detectors: { 'first-tool': { mode: 'off' } } }) });
    for (const e of weekOfHistory()) run(m, e);
    m.drain();
    const same = Array.from({ length: 60 }, (_, i) =>
      call(i % 3 === 1 ? 'list_dir' : 'read_file', { path: '/work/repo/src' }, AFTER + i * 60_000),
    );
    assert.equal(same.flatMap((e) => run(m, e)).filter((a) => a.detector === 'drift').length, 0);
    const changed = Array.from({ length: 60 }, (_, i) =>
      call(i % 2 ? 'write_file' : 'exec', { path: '/work/repo/src' }, AFTER + 86_400_000 + i * 60_000),
    );
    assert.equal(changed.flatMap((e) => run(m, e)).filter((a) => a.detector === 'drift').length, 1);
  });
});

describe('Monitor.grantRefused (out-of-scope: out of grant)', () => {
  const refused = (seq: number, more: Partial<MonitorEvent> = {}) =>
    call('read_file', { path: '/etc/shadow' }, T0 + HOUR, {
      seq,
      decision: 'deny',
      outcome: 'denied',
      task: 'task-1',
      traceId: 't'.repeat(32),
      spanId: 's'.repeat(16),
      ...more,
    });
  const refusal = {
    grantId: 'grt_1',
    reason: 'argument path: path outside the granted globs',
    param: 'path',
  };

  it('[CD-4] alerts once, high, with the refused call as evidence, even while the agent is learning', () => {
    const ring = new RingSink();
    const m = new Monitor({ config: config(), sinks: [ring] });
    const d = m.grantRefused(refused(41), refusal);
    assert.equal(d.block, undefined);
    assert.equal(d.alerts.length, 1);
    const a = d.alerts[0]!;
    assert.equal(a.detector, 'out-of-scope');
    assert.equal(a.severity, 'high');
    assert.equal(a.mode, 'alert');
    assert.equal(a.agent, 'agent-a');
    assert.equal(a.task, 'task-1');
    assert.deepEqual(a.evidence, { auditSeqs: [41], traceId: 't'.repeat(32), spanId: 's'.repeat(16) });
    assert.match(a.message, /refused fs\/read_file \(path\) by grant grt_1: argument path: path outside/);
    // the same probe again within the window: counted on the first alert, not repeated
    assert.deepEqual(m.grantRefused(refused(42), refusal).alerts, []);
    assert.equal(ring.list().length, 1);
    assert.equal(m.alertStats().suppressed, 1);
    // a different tool outside the grant is a new alert
    const other = m.grantRefused(refused(43, { tool: 'write_file' }), {
      grantId: 'grt_1',
      reason: 'fs.write_file is not in the grant',
    });
    assert.deepEqual(other.alerts[0]!.evidence.auditSeqs, [43]);
    assert.equal(ring.list().length, 2);
  });

  it('bounds and escapes a client-chosen resource URI in the message', () => {
    const m = new Monitor({ config: config() });
    const uri = 'file:///x\u001b[31m' + 'a'.repeat(500);
    const d = m.grantRefused(refused(60, { method: 'resources/read', tool: uri }), {
      grantId: 'grt_1',
      reason: 'the grant does not cover the resources of fs',
    });
    const msg = d.alerts[0]!.message;
    assert.equal(msg.includes('\u001b'), false);
    assert.ok(msg.length < 400, `message of ${msg.length} characters`);
  });

  it('raises nothing when out-of-scope is off, and only alerts (never blocks) in block mode', () => {
    const off = new Monitor({ config: config({ detectors: { 'out-of-scope': { mode: 'off' } } }) });
    assert.deepEqual(off.grantRefused(refused(50), refusal), { alerts: [] });
    const block = new Monitor({ config: config({ detectors: { 'out-of-scope': { mode: 'block' } } }) });
    const d = block.grantRefused(refused(51), refusal);
    assert.equal(d.block, undefined);
    assert.equal(d.alerts[0]!.mode, 'alert');
  });
});
