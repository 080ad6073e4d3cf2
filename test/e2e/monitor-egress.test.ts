/**
 * Egress in the decision chain (issue 7): a real gateway runs a fetch server in the bubblewrap
 * sandbox whose egress proxy allow-lists two loopback hosts. Each egress decision becomes an
 * `egress` audit record in the session's trace and goes to the monitor of the agent owning the
 * session: past its learning period, a host it never reached raises exactly one new-egress
 * alert with that record as evidence; a host already in its baseline raises none (twin).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AuditRecord } from '../../src/audit/index.ts';
import { traceIdFor } from '../../src/gateway/index.ts';
import { Monitor, parseMonitorConfig } from '../../src/monitor/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { sandboxUnavailable } from '../integration/sandbox/helpers.ts';

const unavailable = sandboxUnavailable();
const FETCH = join(import.meta.dirname, '..', 'fixtures', 'servers', 'fetch-server.mjs');
const DAY = 86_400_000;
const AGENT = 'egress-bot';
const KNOWN = '127.0.0.1';
const NEW = '127.0.0.2';

const POLICY = `
@id("tester-all")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource);
`;

async function listen(host: string, body: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end(body));
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as { port: number }).port };
}

describe(
  'new-egress: egress decisions of a session sandbox reach its agent monitor (issue 7)',
  { skip: unavailable },
  () => {
    let t: TestGateway;
    let c: Client;
    let known: { server: Server; port: number };
    let fresh: { server: Server; port: number };

    before(async () => {
      known = await listen(KNOWN, 'known-body');
      fresh = await listen(NEW, 'new-body');
      t = await startTestGateway({
        launcher: 'sandbox',
        policies: { 'test.cedar': POLICY },
        yaml: () =>
          [
            'version: 1',
            'gateway:',
            '  listen: 127.0.0.1:0',
            'servers:',
            '  fetch:',
            `    command: ${JSON.stringify(process.execPath)}`,
            `    args: [${JSON.stringify(FETCH)}]`,
            '    sandbox:',
            `      allowHosts: ["${KNOWN}:${known.port}", "${NEW}:${fresh.port}"]`,
            'monitor:',
            '  detectors: { new-egress: { mode: alert } }',
            '',
          ].join('\n'),
      });
      // A week of history (the learning period is long past): fetch_url calls whose sandbox
      // reached KNOWN only.
      const history = new Monitor({ config: parseMonitorConfig({}) });
      const now = Date.now();
      for (let h = 0; h < 7 * 24; h++) {
        const base = {
          time: now - 7 * DAY + h * 3_600_000,
          agent: AGENT,
          session: `day-${Math.floor(h / 24)}`,
        };
        const call = {
          ...base,
          method: 'tools/call',
          server: 'fetch',
          tool: 'fetch_url',
          args: { url: `http://${KNOWN}:${known.port}/page-${h}` },
          decision: 'allow' as const,
          outcome: 'ok' as const,
          resultBytes: 120,
        };
        history.pre(call);
        history.post(call);
        const egress = {
          ...base,
          method: 'egress',
          server: 'fetch',
          egressHost: KNOWN,
          decision: 'allow' as const,
        };
        history.pre(egress);
        history.post(egress);
      }
      history.drain();
      t.gw.services.monitor!.monitor.setBaseline(history.baseline(AGENT)!);
      c = await t.client(await t.agent(AGENT, ['tester']));
    });

    after(async () => {
      await t?.cleanup();
      for (const s of [known?.server, fresh?.server]) {
        s?.closeAllConnections();
        await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
      }
    });

    const fetchUrl = async (url: string): Promise<string> =>
      JSON.stringify((await c.callTool({ name: 'fetch.fetch_url', arguments: { url } })).content);

    async function egressTo(host: string): Promise<AuditRecord> {
      for (let i = 0; i < 400; i++) {
        const r = (await t.gw.services.audit.tail(500)).find(
          (x) => x.kind === 'egress' && x.data?.['host'] === host && x.decision === 'allow',
        );
        if (r) return r;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`no egress record for ${host}`);
    }

    async function until(pred: () => boolean, what: string): Promise<void> {
      for (let i = 0; i < 400 && !pred(); i++) await new Promise((res) => setTimeout(res, 25));
      assert.ok(pred(), what);
    }

    const newEgressAlerts = () =>
      t.gw.services.monitor!.ring.list().filter((a) => a.detector === 'new-egress');

    it('[issue 7] twin: egress to a host already in the baseline raises no new-egress alert (and is learned)', async () => {
      const m = t.gw.services.monitor!.monitor;
      const before = m.baseline(AGENT)!.egressHosts[KNOWN]!;
      assert.match(await fetchUrl(`http://${KNOWN}:${known.port}/today`), /status 200: known-body/);
      const rec = await egressTo(KNOWN);
      // The monitor got the decision: the baseline counted one more connection to KNOWN.
      await until(
        () => m.baseline(AGENT)!.egressHosts[KNOWN] === before + 1,
        'the baseline learned the egress',
      );
      assert.equal(rec.principal, AGENT);
      assert.equal(
        rec.traceId,
        traceIdFor('session', rec.session!),
        'the egress record is in the session trace',
      );
      assert.deepEqual(newEgressAlerts(), []);
    });

    it('[issue 7] egress to a never-seen allow-listed host raises exactly one new-egress alert with the egress record as evidence', async () => {
      assert.match(await fetchUrl(`http://${NEW}:${fresh.port}/first`), /status 200: new-body/);
      const rec = await egressTo(NEW);
      await until(() => newEgressAlerts().length > 0, 'a new-egress alert');
      const alerts = newEgressAlerts();
      assert.equal(alerts.length, 1);
      const [a] = alerts;
      assert.equal(a!.agent, AGENT);
      assert.equal(a!.session, rec.session);
      assert.equal(a!.mode, 'alert');
      assert.match(
        a!.message,
        new RegExp(`agent ${AGENT} egress to ${NEW.replace(/\./g, '\\.')}: never seen before`),
      );
      assert.deepEqual(a!.evidence.auditSeqs, [rec.seq]);
      // The egress record and the alert are both in `warden trace SESSION`'s timeline.
      const trace = traceIdFor('session', rec.session!);
      assert.equal(rec.traceId, trace);
      assert.equal(a!.evidence.traceId, trace);
      let audited: AuditRecord | undefined;
      for (let i = 0; i < 400 && audited === undefined; i++) {
        audited = (await t.gw.services.audit.tail(500)).find(
          (x) => x.kind === 'monitor.alert' && x.data?.['detector'] === 'new-egress',
        );
        if (audited === undefined) await new Promise((res) => setTimeout(res, 25));
      }
      assert.ok(audited);
      assert.equal(audited.traceId, trace);
      assert.equal(audited.parentSpanId, rec.spanId);
      assert.deepEqual(audited.data?.['evidence'], [rec.seq]);
      // The host is learned now; the dedup window keeps a second connection from alerting again.
      await until(
        () => t.gw.services.monitor!.monitor.baseline(AGENT)!.egressHosts[NEW] === 1,
        'NEW learned',
      );
      assert.match(await fetchUrl(`http://${NEW}:${fresh.port}/second`), /status 200: new-body/);
      await until(
        () => (t.gw.services.monitor!.monitor.baseline(AGENT)!.egressHosts[NEW] ?? 0) === 2,
        'the second connection reached the monitor',
      );
      assert.equal(newEgressAlerts().length, 1);
    });
  },
);
