import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { McpError, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryLogger } from '../../../src/core/index.ts';
import { countOccurrences } from '../../../src/secrets/index.ts';
import { auditUntil, startTestGateway } from '../../helpers/gateway.ts';
import type { AuditRecord } from '../../../src/audit/index.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const LEAKY = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'leaky-server.mjs');
const VALUE = `wdn-test-${randomBytes(15).toString('base64url')}`;
const SECRETS = [{ name: 'LEAK_TOKEN', value: VALUE }];
const ENCODINGS = ['raw', 'base64', 'base64url', 'hex', 'percent', 'json-unicode'];

const POLICY = `permit (principal in Warden::Role::"tester", action, resource);`;

const server = (name: string, extra: string[]): string[] => [
  `  ${name}:`,
  `    command: ${process.execPath}`,
  `    args: [${JSON.stringify(LEAKY)}]`,
  ...extra,
];

const text = (r: unknown): string => JSON.stringify(r) ?? '';

/** A text result exactly as the upstream sent it, plus the monitor's trust label (no server is trusted here). */
const untouched = (origin: string, body: string): unknown => ({
  _meta: { 'warden/trust': { origin, trust: 'untrusted' } },
  content: [{ type: 'text', text: body }],
});

describe('secrets on the gateway path (SB-1, SB-2, SB-5, SB-6, EX-2)', () => {
  let t: TestGateway;
  let client: Client;
  const logs = new MemoryLogger();
  const notes: unknown[] = [];

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      start: { logger: logs },
      yaml: () =>
        [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'secrets:',
          '  sources:',
          '    MISSING_TOKEN: { provider: env, env: WARDEN_TEST_SURELY_UNSET_VAR }',
          'servers:',
          ...server('leaky', [
            '    env: { LEAK_IN_LIST: LEAK_TOKEN }',
            '    secrets:',
            '      env: [LEAK_TOKEN]',
          ]),
          ...server('strict', [
            '    env: { LEAK_IN_LIST: LEAK_TOKEN }',
            '    secrets:',
            '      env: [LEAK_TOKEN]',
            '    on_secret: block',
          ]),
          ...server('other', []),
          ...server('broken', ['    secrets:', '      env: [MISSING_TOKEN]']),
        ].join('\n'),
    });
    await t.gw.services.secrets!.store.set('LEAK_TOKEN', VALUE);
    await t.gw.services.secrets!.broker.reloadStore();
    client = await t.client(await t.agent('alice', ['tester']));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      notes.push(n);
    });
  });
  after(async () => {
    await t.cleanup();
  });

  const call = (name: string, args: Record<string, unknown> = {}): Promise<unknown> =>
    client.callTool({ name, arguments: args });

  it('SB-1: a raw secret in a tool result is redacted (text, structuredContent, keys); echo is untouched', async () => {
    const r = await call('leaky.leak', { name: 'LEAK_TOKEN' });
    assert.equal(countOccurrences([text(r)], SECRETS).total, 0);
    assert.match(text(r), /\[REDACTED:secret:LEAK_TOKEN\]/);
    const twin = await call('leaky.echo', { text: 'an ordinary sentence' });
    assert.deepEqual(twin, untouched('leaky/echo', 'an ordinary sentence'));
  });

  it('SB-1 (issue 7): a secret found in a result raises an output-anomaly alert that names the tool, never the value', async () => {
    await call('leaky.leak', { name: 'LEAK_TOKEN' });
    const isAlert = (r: AuditRecord): boolean =>
      r.kind === 'monitor.alert' && r.data?.detector === 'output-anomaly';
    const alerts = (await auditUntil(t.gw, isAlert)).filter(isAlert);
    assert.equal(alerts.length, 1, 'one alert (deduplicated per session and tool)');
    assert.match(String(alerts[0]!.data?.message), /leaky\/leak .*secret finding/);
    assert.equal(countOccurrences([JSON.stringify(alerts)], SECRETS).total, 0);
  });

  it('SB-2: every supported encoding of the secret is redacted from results', async () => {
    for (const encoding of ENCODINGS) {
      const r = await call('leaky.leak', { name: 'LEAK_TOKEN', encoding });
      assert.equal(countOccurrences([text(r)], SECRETS).total, 0, encoding);
      assert.match(text(r), /REDACTED/, `positive control: ${encoding} was leaked and caught`);
    }
  });

  it('SB-5: error results and JSON-RPC errors are redacted', async () => {
    const r = await call('leaky.leak_error', { name: 'LEAK_TOKEN' });
    assert.equal(countOccurrences([text(r)], SECRETS).total, 0);
    const thrown = await call('leaky.throw', { name: 'LEAK_TOKEN', encoding: 'base64' });
    assert.equal(countOccurrences([text(thrown)], SECRETS).total, 0);
    assert.match(text(thrown), /REDACTED/);
    await assert.rejects(client.readResource({ uri: 'fail://LEAK_TOKEN' }), (e: unknown) => {
      assert.ok(e instanceof McpError);
      assert.equal(countOccurrences([e.message, text(e.data)], SECRETS).total, 0);
      assert.match(e.message, /REDACTED/);
      return true;
    });
  });

  it('resources/read, prompts/get, tools/list and log notifications are redacted', async () => {
    const res = await client.readResource({ uri: 'leak://LEAK_TOKEN' });
    const prompt = await client.getPrompt({ name: 'leaky.leak', arguments: { name: 'LEAK_TOKEN' } });
    const tools = await client.listTools();
    await call('leaky.log', { name: 'LEAK_TOKEN' });
    assert.equal(countOccurrences([text(res), text(prompt), text(tools), text(notes)], SECRETS).total, 0);
    assert.match(text(res), /REDACTED/);
    assert.match(text(prompt), /REDACTED/);
    const listed = tools.tools.find((x) => x.name === 'leaky.listed');
    assert.match(listed?.description ?? '', /\[REDACTED:secret:LEAK_TOKEN\]/);
  });

  it('on_secret: block withholds a result holding a secret and hides a leaking tool definition; clean calls pass', async () => {
    await assert.rejects(call('strict.leak', { name: 'LEAK_TOKEN', encoding: 'hex' }), (e: unknown) => {
      assert.ok(e instanceof McpError);
      assert.match(e.message, /withheld \(on_secret: block\)/);
      assert.equal(countOccurrences([e.message, text(e.data)], SECRETS).total, 0);
      return true;
    });
    const tools = await client.listTools();
    assert.equal(
      tools.tools.find((x) => x.name === 'strict.listed'),
      undefined,
    );
    assert.ok(
      tools.tools.find((x) => x.name === 'leaky.listed'),
      'the redacting server still lists it',
    );
    assert.deepEqual(await call('strict.echo', { text: 'fine' }), untouched('strict/echo', 'fine'));
  });

  it('a result too deeply nested to check for secrets is withheld (fail closed); a shallow one passes', async () => {
    await assert.rejects(call('leaky.deep', { depth: 300 }), /too deeply nested to check for secrets/);
    const ok = await call('leaky.deep', { depth: 10 });
    assert.match(text(ok), /"leaf":"ok"/);
  });

  it('EX-2: arguments carrying the secret in any encoding are refused before policy; other arguments pass', async () => {
    const b = Buffer.from(VALUE);
    const forms = [
      VALUE,
      `prefix ${b.toString('base64')} suffix`,
      b.toString('hex').toUpperCase(),
      encodeURIComponent(`q=${VALUE}`),
      `x${b.toString('base64url')}`,
    ];
    for (const f of forms) {
      await assert.rejects(call('other.echo', { text: f }), (e: unknown) => {
        assert.ok(e instanceof McpError);
        assert.match(e.message, /arguments contain a secret held by Warden \(LEAK_TOKEN\)/);
        return true;
      });
    }
    await assert.rejects(call('other.echo', { [VALUE]: 'as a key', text: 'x' }), /secret held by Warden/);
    const twin = await call('other.echo', { text: 'base64 of nothing secret: aGVsbG8=' });
    assert.deepEqual(twin, untouched('other/echo', 'base64 of nothing secret: aGVsbG8='));
  });

  it('the secret goes into the env of the server that asks for it and of no other', async () => {
    const own = text(await call('leaky.env'));
    assert.match(
      own,
      /LEAK_TOKEN.{0,6}\[REDACTED:secret:LEAK_TOKEN\]/,
      'injected, and redacted on the way out',
    );
    const other = text(await call('other.env'));
    assert.doesNotMatch(other, /LEAK_TOKEN|REDACTED/);
  });

  it('a provider failure fails closed for the server that needs it; the others work', async () => {
    const tools = await client.listTools();
    assert.equal(
      tools.tools.some((x) => x.name.startsWith('broken.')),
      false,
    );
    assert.ok(tools.tools.some((x) => x.name.startsWith('other.')));
    const warned = logs.lines.find((l) => l.fields.server === 'broken' && /cannot list/.test(l.msg));
    assert.match(String(warned?.fields.error), /MISSING_TOKEN is unavailable from the env provider/);
  });

  it('SB-1/SB-6: upstream stderr, the gateway log and the audit rows hold zero occurrences; audit keeps fingerprints', async () => {
    await call('leaky.stderr', { name: 'LEAK_TOKEN' });
    const audit = t.gw.services.audit;
    await audit.append({ kind: 'test.sentinel' });
    const rows = await t.gw.store.query<{ body: string }>('SELECT body FROM audit_records');
    const stderr = logs.lines.filter((l) => l.msg === 'upstream stderr' && l.fields.server === 'leaky');
    assert.ok(
      stderr.some((l) => /token=\[REDACTED:secret:LEAK_TOKEN\] end/.test(String(l.fields.text))),
      'positive control: the split stderr write was logged, redacted',
    );
    assert.equal(countOccurrences([logs.text()], SECRETS).total, 0, 'gateway log');
    assert.equal(
      countOccurrences(
        rows.map((r) => String(r.body)),
        SECRETS,
      ).total,
      0,
      'audit rows',
    );
    const fp = t.gw.services.secrets!.fingerprint(VALUE);
    assert.ok(
      rows.some((r) => String(r.body).includes(fp)),
      'the audit log names the secret by fingerprint',
    );
    assert.ok(rows.some((r) => String(r.body).includes('"secret.exfil"')));
    assert.ok(rows.some((r) => String(r.body).includes('"secret.redacted"')));
  });
});
