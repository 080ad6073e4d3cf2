import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryLogger } from '../../../src/core/index.ts';
import { SecretStore, countOccurrences, loadOrCreateKeyFile } from '../../../src/secrets/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const LEAKY = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'leaky-server.mjs');
const POLICY = `permit (principal in Warden::Role::"tester", action, resource);`;
const fresh = (tag: string): string => `wdn-${tag}-${randomBytes(15).toString('base64url')}`;
const V1 = fresh('v1');
const V2 = fresh('v2');
const V3 = fresh('v3');

describe('rotation: restarts without losing calls, old value redacted for the grace period', () => {
  let t: TestGateway;
  let client: Client;
  let record: string;
  const logs = new MemoryLogger();

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      start: { logger: logs },
      yaml: (dir) => {
        record = join(dir, 'starts.txt');
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'secrets:',
          '  sources:',
          '    TIMED_TOKEN:',
          '      provider: command',
          `      command: [${process.execPath}, -e, "process.stdout.write('wdn-timed-' + require('crypto').randomBytes(15).toString('hex'))"]`,
          '      rotate_every: 1s',
          'servers:',
          '  rot:',
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(LEAKY)}]`,
          `    env: { RECORD_FILE: ${JSON.stringify(record)}, RECORD_VAR: ROT_TOKEN }`,
          '    secrets:',
          '      env: [ROT_TOKEN]',
          '  bystander:',
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(LEAKY)}]`,
        ].join('\n');
      },
    });
    await t.gw.services.secrets!.store.set('ROT_TOKEN', V1);
    await t.gw.services.secrets!.broker.reloadStore();
    client = await t.client(await t.agent('alice', ['tester']));
  });
  after(async () => {
    await t.cleanup();
  });

  const starts = (): string[] => readFileSync(record, 'utf8').trim().split('\n');

  it('rotation mid-run loses no call; new calls reach a server started with the new value', async () => {
    await client.callTool({ name: 'rot.echo', arguments: { text: 'warm up' } });
    assert.deepEqual(starts(), [V1]);
    const inflight = [
      client.callTool({ name: 'rot.slow', arguments: { ms: 400 } }),
      ...Array.from({ length: 10 }, (_, i) =>
        client.callTool({ name: 'rot.echo', arguments: { text: `c${i}` } }),
      ),
    ];
    const rotated = t.gw.services.secrets!.rotate('ROT_TOKEN', V2);
    const after = Array.from({ length: 10 }, (_, i) =>
      rotated.then(() => client.callTool({ name: 'rot.echo', arguments: { text: `d${i}` } })),
    );
    const results = await Promise.all([...inflight, rotated.then(() => null), ...after]);
    const failed = results.filter((r) => r !== null && (r as { isError?: boolean }).isError === true);
    assert.deepEqual(failed, []);
    assert.deepEqual((results[0] as { content: unknown }).content, [{ type: 'text', text: 'waited 400' }]);
    assert.deepEqual(starts(), [V1, V2], 'restarted once, with the new value');
  });

  it('the old value stays in the redaction set for the grace period (exfil refused, output redacted)', async () => {
    await assert.rejects(
      client.callTool({ name: 'bystander.echo', arguments: { text: V1 } }),
      (e: unknown) => {
        assert.ok(e instanceof McpError);
        assert.match(e.message, /ROT_TOKEN/);
        return true;
      },
    );
    const out = JSON.stringify(await client.callTool({ name: 'rot.leak', arguments: { name: 'ROT_TOKEN' } }));
    assert.equal(countOccurrences([out], [{ name: 'ROT_TOKEN', value: V2 }]).total, 0);
  });

  it('a rotation made by another process (the CLI) is picked up: redacted at once, servers restarted', async () => {
    const other = await SecretStore.open(
      t.gw.store,
      loadOrCreateKeyFile(join(t.dir, '.warden', 'secrets.key')),
    );
    await other.rotate('ROT_TOKEN', V3);
    assert.deepEqual(await t.gw.services.secrets!.refreshFromStore(), ['ROT_TOKEN']);
    await assert.rejects(client.callTool({ name: 'bystander.echo', arguments: { text: V3 } }), /ROT_TOKEN/);
    await client.callTool({ name: 'rot.echo', arguments: { text: 'after cli rotation' } });
    assert.deepEqual(starts(), [V1, V2, V3]);
  });

  it('rotate_every rotates on its own; every rotation is audited by fingerprint, never by value', async () => {
    const secrets = t.gw.services.secrets!;
    await new Promise<void>((resolve) => {
      const off = secrets.onRotated((name) => {
        if (name === 'TIMED_TOKEN') {
          off();
          resolve();
        }
      });
    });
    await t.gw.services.audit.append({ kind: 'test.sentinel' });
    const rows = (await t.gw.store.query<{ body: string }>('SELECT body FROM audit_records')).map((r) =>
      String(r.body),
    );
    const rotations = rows.filter((b) => b.includes('"secret.rotated"'));
    assert.ok(rotations.some((b) => b.includes('"TIMED_TOKEN"')));
    assert.ok(rotations.some((b) => b.includes(secrets.fingerprint(V2))));
    const values = [V1, V2, V3].map((value) => ({ name: 'ROT_TOKEN', value }));
    assert.equal(countOccurrences([...rows, logs.text()], values).total, 0);
  });
});
