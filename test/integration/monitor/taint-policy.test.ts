/**
 * End to end through the real components: a fetched page with injected instructions is inspected,
 * labelled and posted to the monitor; the session taint goes into the real Cedar policy engine as
 * `context.taint`, and a taint-aware policy stops the sensitive call that follows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PolicyEngine } from '../../../src/policy/index.ts';
import type { PolicyRequest } from '../../../src/policy/index.ts';
import { inspectContent, labelContent, Monitor, parseMonitorConfig } from '../../../src/monitor/index.ts';

const T = Date.UTC(2026, 2, 20, 10);
const engine = PolicyEngine.fromText({
  'mail.cedar': `
@id("send-email")
permit (principal in Warden::Role::"assistant", action == Warden::Action::"call_tool", resource == Warden::Tool::"mail.send_email");

@id("fetch")
permit (principal in Warden::Role::"assistant", action == Warden::Action::"call_tool", resource == Warden::Tool::"web.fetch");

@id("tainted-email") @reason("after reading untrusted content, e-mail only to allow-listed recipients")
forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"mail.send_email")
when { context has taint && context.taint.untrusted && !(context.args has to && ["ana@corp.example"].contains(context.args.to)) };

@id("no-mail-after-injection") @reason("the session read content flagged as a prompt injection")
forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"mail")
when { context has taint && context.taint.labels.contains("suspicious") };
`,
});

const injectedPage = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/monitor/corpus/attacks.jsonl', import.meta.url), 'utf8')
      .split('\n')
      .find((l) => l.includes('"id":"dev:1:embedded"'))!,
  ) as { text: string }
).text;
const cleanPage = 'Regulators on Tuesday ordered the airline to refund passengers for cancelled flights.';

function session(m: Monitor, id: string, page: string | null): void {
  if (page === null) return;
  const r = inspectContent(page);
  const label = labelContent({
    server: 'web',
    tool: 'fetch',
    trustedServers: ['crm'],
    injectionVerdict: r.verdict,
  });
  m.post({
    seq: 1,
    time: T,
    agent: 'assistant-1',
    session: id,
    method: 'tools/call',
    server: 'web',
    tool: 'fetch',
    decision: 'allow',
    outcome: 'ok',
    resultBytes: page.length,
    findings: { injection: r.verdict },
    trust: label.trust,
  });
}

const send = (m: Monitor, sessionId: string, to: string): PolicyRequest => ({
  principal: { id: 'assistant-1', roles: ['assistant'] },
  action: 'call_tool',
  resource: { kind: 'tool', server: 'mail', name: 'send_email' },
  context: { now: T + 1000, session: sessionId, args: { to, subject: 'hi' }, taint: m.taint(sessionId) },
});

describe('taint-aware policy (PI-1, PI-3, EX-5)', () => {
  const m = new Monitor({ config: parseMonitorConfig({}) });
  session(m, 'injected', injectedPage);
  session(m, 'clean-web', cleanPage);
  session(m, 'no-web', null);

  it('[PI-1] stops e-mail after the session fetched a page with injected instructions, even to an allow-listed recipient', () => {
    assert.deepEqual(m.taint('injected').labels, ['web/fetch', 'suspicious']);
    const d = engine.authorize(send(m, 'injected', 'ana@corp.example'));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['no-mail-after-injection']);
  });

  it('[EX-5] after untrusted (clean) web content, e-mail goes only to the allow-list', () => {
    assert.deepEqual(m.taint('clean-web'), { untrusted: true, labels: ['web/fetch'] });
    assert.equal(engine.authorize(send(m, 'clean-web', 'ana@corp.example')).effect, 'allow');
    const d = engine.authorize(send(m, 'clean-web', 'drop@exfil.test'));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['tainted-email']);
  });

  it('allows e-mail to any recipient in a session that read no untrusted content (twin)', () => {
    assert.deepEqual(m.taint('no-web'), { untrusted: false, labels: [] });
    assert.equal(engine.authorize(send(m, 'no-web', 'drop@exfil.test')).effect, 'allow');
  });
});
