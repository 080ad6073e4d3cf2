/**
 * Out-of-grant calls feed the monitor: the grant step refuses them (and the decided record says
 * so) before any detector runs, and the monitor then raises an out-of-scope alert with the
 * refused call's decided record as evidence, off the reply's path. Real gateway, official SDK
 * client, real stdio MCP server, tokens minted by the gateway's own token service.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auditUntil, startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';
import type { AuditRecord } from '../../../src/audit/index.ts';
import { probeYaml } from '../../helpers/probe.ts';

const POLICY = `@id("dev-probe")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"probe");`;

function gateway(monitor: string): Promise<TestGateway> {
  return startTestGateway({
    policies: { 'p.cedar': POLICY },
    yaml: (dir) => probeYaml(monitor.split('\n'), { counterFile: join(dir, 'effects.log') }),
  });
}

/** A client whose task grant allows probe.echo with `text` under /srv/reports, nothing else. */
async function narrowClient(t: TestGateway): Promise<Client> {
  const { agent } = await t.gw.registry.create({ name: 'reporter', roles: ['dev'] });
  const { token } = await t.gw.identity.tokens.issue({
    agentId: agent.id,
    task: 'nightly-report',
    grant: {
      id: 'grt_reports',
      tools: { probe: ['echo'] },
      args: { 'probe.echo': { text: { kind: 'path', globs: ['/srv/reports/**'] } } },
      expiresAt: Number.MAX_SAFE_INTEGER,
    },
    ttlSec: 600,
  });
  return t.client(token);
}

type RpcError = Error & { data?: { code?: string; auditSeq?: number } };
const refused = (p: Promise<unknown>): Promise<RpcError> =>
  p.then(
    () => assert.fail('the call must be refused by the grant'),
    (e: RpcError) => e,
  );
const alerts = (records: AuditRecord[]) => records.filter((r) => r.kind === 'monitor.alert');
const effects = (t: TestGateway): string[] => {
  const f = join(t.dir, 'effects.log');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
};

describe('out-of-grant calls raise out-of-scope alerts', () => {
  it('[CD-4] one alert per probe outside the grant, with the refusal as evidence; in-grant calls raise none', async () => {
    const t = await gateway('learning: { minEvents: 1000 }');
    try {
      const c = await narrowClient(t);
      // in the grant: forwarded, no alert (the twin)
      await c.callTool({ name: 'probe.echo', arguments: { text: '/srv/reports/q1.txt' } });
      // a path outside the grant: refused by the grant, then one alert
      const e1 = await refused(c.callTool({ name: 'probe.echo', arguments: { text: '/etc/shadow' } }));
      assert.equal(e1.data?.code, 'ERR_GRANT_DENIED');
      let records = await auditUntil(t.gw, (r) => r.kind === 'monitor.alert');
      const [a] = alerts(records);
      const decided = records.find((r) => r.seq === e1.data?.auditSeq)!;
      assert.equal(decided.decision, 'deny');
      assert.deepEqual(decided.policyIds, ['grant:grt_reports']);
      assert.equal(a!.data!.detector, 'out-of-scope');
      assert.equal(a!.data!.severity, 'high');
      assert.equal(a!.data!.mode, 'alert');
      assert.deepEqual(a!.data!.evidence, [decided.seq]);
      assert.equal(a!.principal, 'reporter');
      assert.equal(a!.taskId, 'nightly-report');
      assert.equal(a!.traceId, decided.traceId);
      assert.equal(a!.parentSpanId, decided.spanId);
      assert.match(String(a!.data!.message), /refused probe\/echo \(text\) by grant grt_reports/);
      assert.equal(String(a!.data!.message).includes('/etc/shadow'), false, 'the value is not echoed');
      // the same probe again: de-duplicated; a tool outside the grant: a second alert
      await refused(c.callTool({ name: 'probe.echo', arguments: { text: '/etc/passwd' } }));
      const e3 = await refused(c.callTool({ name: 'probe.add', arguments: { a: 1, b: 2 } }));
      records = await auditUntil(t.gw, (r) => r.kind === 'monitor.alert', 2);
      const all = alerts(records);
      assert.equal(all.length, 2);
      assert.deepEqual(all[1]!.data!.evidence, [e3.data!.auditSeq]);
      assert.match(String(all[1]!.data!.message), /probe\.add is not in the grant/);
      // alerts name only the refused calls' records, never the in-grant call's
      const allowed = records.find((r) => r.kind === 'mcp.request' && r.decision === 'allow')!;
      assert.ok(all.every((x) => !(x.data!.evidence as number[]).includes(allowed.seq)));
      assert.equal(effects(t).length, 1, 'only the in-grant call reached the server');
      assert.equal(t.gw.services.monitor!.monitor.alertStats().suppressed, 1);
    } finally {
      await t.cleanup();
    }
  });

  it('raises no alert for a grant refusal when out-of-scope is off', async () => {
    // first-tool fires on the next (in-grant) call: its alert fences the refusal's deferred work
    const t = await gateway(
      'learning: { minEvents: 0, minDurationMs: 0 }\ndetectors: { out-of-scope: { mode: off } }',
    );
    try {
      const c = await narrowClient(t);
      await refused(c.callTool({ name: 'probe.echo', arguments: { text: '/etc/shadow' } }));
      await c.callTool({ name: 'probe.echo', arguments: { text: '/srv/reports/q1.txt' } });
      const records = await auditUntil(t.gw, (r) => r.kind === 'monitor.alert');
      // alerts reach the audit log in the order they were raised: the refusal's would be first
      assert.deepEqual(
        alerts(records).map((x) => x.data!.detector),
        ['first-tool'],
      );
      assert.ok(records.some((r) => r.kind === 'mcp.request' && r.decision === 'deny'));
    } finally {
      await t.cleanup();
    }
  });
});
