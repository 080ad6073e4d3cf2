/**
 * Runtime monitoring end to end: a real gateway restarted on its own data directory, the
 * official SDK client, real stdio MCP servers, the real Cedar engine and SQLite store.
 *
 * - G-ANOM-1: an agent with a week of history using two tools calls a third: exactly one alert
 *   with the decided record as evidence; in `block` mode the call is refused with no effect.
 * - PI-3: a session that fetched a page with injected instructions is stopped by a taint-aware
 *   Cedar policy before it can send e-mail; twins show the legitimate sends going through.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../../src/config/index.ts';
import { startGateway } from '../../src/gateway/index.ts';
import type { RunningGateway } from '../../src/gateway/index.ts';
import { Monitor, parseMonitorConfig } from '../../src/monitor/index.ts';
import { auditUntil } from '../helpers/gateway.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROBE = join(ROOT, 'test', 'fixtures', 'servers', 'probe-server.mjs');
const WEB_MAIL = join(ROOT, 'test', 'fixtures', 'servers', 'web-mail-server.mjs');
const DAY = 86_400_000;

/** A project directory that survives gateway restarts. */
function project(policy: string, yaml: (dir: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-e2e-mon-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.cedar'), policy);
  writeFileSync(join(dir, 'warden.yaml'), yaml(dir));
  return dir;
}

async function connect(gw: RunningGateway, key: string): Promise<Client> {
  const c = new Client({ name: 'e2e-agent', version: '1.0.0' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(gw.url), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  return c;
}

const start = (dir: string) => startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false });

describe('G-ANOM-1: a week of history, then a third tool', () => {
  const POLICY = `@id("dev-probe")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"probe");`;
  const yaml = (mode: string) => (dir: string) =>
    [
      'version: 1',
      'gateway:',
      '  listen: 127.0.0.1:0',
      // This test is about monitoring: agents use their API keys directly, and the probe
      // writes a host counter file (sandboxing is covered by test/e2e/gateway-sandbox.test.ts).
      'identity:',
      '  api_keys: direct',
      'servers:',
      '  probe:',
      `    command: ${process.execPath}`,
      `    args: [${JSON.stringify(PROBE)}]`,
      '    sandbox: false',
      '    env:',
      `      PROBE_COUNTER_FILE: ${JSON.stringify(join(dir, 'effects.log'))}`,
      'monitor:',
      `  detectors: { first-tool: { mode: ${mode} } }`,
      '',
    ].join('\n');

  /**
   * Seeds a week of alice's history with echo and add (the default learning period, 100 calls
   * and 24 h, is long past) through a running gateway's monitor, then restarts the gateway:
   * the baseline comes back from the store.
   */
  async function seeded(mode: string): Promise<{ dir: string; key: string; gw: RunningGateway }> {
    const dir = project(POLICY, yaml(mode));
    const first = await start(dir);
    const key = (await first.registry.create({ name: 'alice', roles: ['dev'] })).credential.token;
    const history = new Monitor({ config: parseMonitorConfig({}) });
    const now = Date.now();
    for (let h = 0; h < 7 * 24; h++) {
      for (const [tool, args] of [
        ['echo', { text: `note ${h}` }],
        ['add', { a: h, b: 1 }],
      ] as const) {
        const e = {
          time: now - 7 * DAY + h * 3_600_000,
          agent: 'alice',
          session: `day-${Math.floor(h / 24)}`,
          method: 'tools/call',
          server: 'probe',
          tool,
          args,
          decision: 'allow' as const,
          outcome: 'ok' as const,
          resultBytes: 80 + ((h * 37) % 400),
          trust: 'untrusted' as const,
        };
        history.pre(e);
        history.post(e);
      }
    }
    history.drain();
    first.services.monitor!.monitor.setBaseline(history.baseline('alice')!);
    await first.close(); // flushes the baseline to the store
    return { dir, key, gw: await start(dir) };
  }

  it('[G-ANOM-1] raises exactly one alert, with the call as evidence, when the agent calls a third tool', async () => {
    const { dir, key, gw } = await seeded('alert');
    try {
      assert.equal(
        gw.services.monitor!.monitor.baseline('alice')!.events,
        336,
        'the baseline survived the restart',
      );
      const c = await connect(gw, key);
      await c.callTool({ name: 'probe.echo', arguments: { text: 'usual' } });
      await c.callTool({ name: 'probe.add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(gw.services.monitor!.ring.list(), [], 'the usual tools raise nothing (twin)');
      const r = await c.callTool({ name: 'probe.big', arguments: { bytes: 10 } });
      assert.equal(r.isError, undefined);
      const records = await auditUntil(gw, (x) => x.kind === 'monitor.alert');
      await c.close();
      const decided = records.find((x) => x.kind === 'mcp.request' && x.tool === 'big')!;
      const alerts = gw.services.monitor!.ring.list();
      assert.equal(alerts.length, 1);
      const [a] = alerts;
      assert.equal(a!.detector, 'first-tool');
      assert.equal(a!.agent, 'alice');
      assert.equal(a!.mode, 'alert');
      assert.match(a!.message, /alice called probe\/big for the first time \(known tools: 2\)/);
      assert.deepEqual(a!.evidence.auditSeqs, [decided.seq]);
      assert.equal(a!.evidence.spanId, decided.spanId);
      assert.equal(records.filter((x) => x.kind === 'monitor.alert').length, 1);
      assert.deepEqual(readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n'), [
        'echo',
        'add',
        'big',
      ]);
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[G-ANOM-1] refuses the third tool in block mode, saying why, with no upstream effect', async () => {
    const { dir, key, gw } = await seeded('block');
    try {
      const c = await connect(gw, key);
      await c.callTool({ name: 'probe.echo', arguments: { text: 'usual' } }); // twin: known tools pass
      const err = await c.callTool({ name: 'probe.big', arguments: { bytes: 10 } }).then(
        () => assert.fail('the call must be refused'),
        (e: Error & { data?: { code?: string } }) => e,
      );
      assert.match(
        err.message,
        /Forbidden: agent alice called probe\/big for the first time .*\(call blocked\)/,
      );
      assert.equal(err.data?.code, 'ERR_MONITOR_BLOCKED');
      const records = await auditUntil(gw, (x) => x.kind === 'monitor.alert');
      await c.close();
      const alert = records.find((x) => x.kind === 'monitor.alert')!;
      assert.equal(alert.data!.mode, 'block');
      assert.equal(alert.decision, 'deny');
      assert.deepEqual(readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n'), ['echo']);
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PI-3: a taint-aware policy after a page with injected instructions', () => {
  const POLICY = `
@id("assistant-fetch")
permit (principal in Warden::Role::"assistant", action == Warden::Action::"call_tool", resource == Warden::Tool::"web.fetch");

@id("assistant-mail")
permit (principal in Warden::Role::"assistant", action == Warden::Action::"call_tool", resource == Warden::Tool::"mail.send_email");

@id("tainted-email-allow-list")
@reason("after reading untrusted content, email may only go to allow-listed recipients")
forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"mail.send_email")
when { context has taint && context.taint.untrusted && !(context.args has to && ["ana@corp.example"].contains(context.args.to)) };

@id("no-email-after-injection")
@reason("the session read content flagged as a prompt injection")
forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"mail")
when { context has taint && context.taint.labels.contains("suspicious") };
`;
  const INJECTED = (
    JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'monitor', 'corpus', 'attacks.jsonl'), 'utf8')
        .split('\n')
        .find((l) => l.includes('"id":"dev:1:embedded"'))!,
    ) as { text: string }
  ).text;
  const CLEAN = 'Quarterly report: revenue grew 4% on the year; the board meets on Thursday.';

  let dir = '';
  let gw: RunningGateway;
  let key = '';
  let web: ReturnType<typeof createServer>;
  let base = '';
  const outbox = () => (existsSync(join(dir, 'outbox')) ? readFileSync(join(dir, 'outbox'), 'utf8') : '');

  before(async () => {
    web = createServer((req, res) => {
      const body = req.url === '/injected' ? `<html><body><p>${INJECTED}</p></body></html>` : CLEAN;
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    dir = project(POLICY, (d) =>
      [
        'version: 1',
        'gateway:',
        '  listen: 127.0.0.1:0',
        'identity:',
        '  api_keys: direct',
        'servers:',
        ...['web', 'mail'].flatMap((name) => [
          `  ${name}:`,
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(WEB_MAIL)}]`,
          '    sandbox: false',
          '    env:',
          `      MAIL_OUTBOX: ${JSON.stringify(join(d, 'outbox'))}`,
        ]),
        '',
      ].join('\n'),
    );
    gw = await start(dir);
    key = (await gw.registry.create({ name: 'assistant-1', roles: ['assistant'] })).credential.token;
  });
  after(async () => {
    await gw.close();
    await new Promise<void>((r) => web.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (c: Client, to: string) =>
    c.callTool({ name: 'mail.send_email', arguments: { to, subject: 'report', body: 'see attached' } });

  it('[PI-3] stops e-mail after the session fetched a page with injected instructions, even to an allow-listed recipient', async () => {
    const c = await connect(gw, key);
    const page = await c.callTool({ name: 'web.fetch', arguments: { url: `${base}/injected` } });
    const label = page._meta?.['warden/trust'] as { origin: string; trust: string; findings: string[] };
    assert.equal(label.trust, 'suspicious');
    assert.equal(label.origin, 'web/fetch', "the upstream's own 'trusted' label is overwritten");
    assert.ok(label.findings.length > 0);
    await assert.rejects(send(c, 'ana@corp.example'), (e: Error & { data?: { policyIds?: string[] } }) => {
      assert.match(e.message, /Forbidden: the session read content flagged as a prompt injection/);
      assert.ok(e.data?.policyIds?.includes('no-email-after-injection'));
      return true;
    });
    await assert.rejects(send(c, 'attacker@evil.example'), /Forbidden/);
    await c.close();
    assert.equal(outbox(), '');
  });

  it('[PI-3] twin: after a clean page, e-mail to an allow-listed recipient goes through', async () => {
    const c = await connect(gw, key);
    const page = await c.callTool({ name: 'web.fetch', arguments: { url: `${base}/clean` } });
    assert.equal((page._meta?.['warden/trust'] as { trust: string }).trust, 'untrusted');
    await send(c, 'ana@corp.example');
    await c.close();
    assert.equal(outbox(), 'ana@corp.example\treport\n');
  });

  it('[PI-3] after a clean but untrusted page, e-mail to anyone else is refused by the allow-list policy', async () => {
    const before = outbox();
    const c = await connect(gw, key);
    await c.callTool({ name: 'web.fetch', arguments: { url: `${base}/clean` } });
    await assert.rejects(
      send(c, 'bob@elsewhere.example'),
      /Forbidden: after reading untrusted content, email may only go to allow-listed recipients/,
    );
    await c.close();
    assert.equal(outbox(), before);
  });

  it('[PI-3] twin: a session that read nothing untrusted may e-mail anyone; taint does not leak across sessions', async () => {
    const before = outbox();
    const c = await connect(gw, key);
    await send(c, 'bob@elsewhere.example');
    await c.close();
    assert.equal(outbox(), before + 'bob@elsewhere.example\treport\n');
  });
});
