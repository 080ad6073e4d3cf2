import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryLogger } from '../../../src/core/index.ts';
import { CANARY_PREFIX } from '../../../src/secrets/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const LEAKY = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'leaky-server.mjs');
const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');
const POLICY = `permit (principal in Warden::Role::"tester", action, resource);`;

function verify(dir: string, ...args: string[]): { code: number; report: Record<string, unknown> } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, '--json', 'secret', 'verify', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: r.status ?? -1, report: JSON.parse(r.stdout || '{}') as Record<string, unknown> };
}

describe('canary mode: planted canaries never reach the agent, the log or the audit log', () => {
  let t: TestGateway;
  let client: Client;
  const logs = new MemoryLogger();
  const view: string[] = [];

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
          '  canaries: 2',
          'servers:',
          '  leaky:',
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(LEAKY)}]`,
        ].join('\n'),
    });
    client = await t.client(await t.agent('alice', ['tester']));
  });
  after(async () => {
    await t.cleanup();
  });

  it('canaries are planted in every stdio server env and redacted when the server dumps it', async () => {
    const out = JSON.stringify(await client.callTool({ name: 'leaky.env', arguments: {} }));
    view.push(out);
    assert.match(out, /WARDEN_CANARY_1.{0,6}\[REDACTED:secret:CANARY_1\]/);
    assert.match(out, /WARDEN_CANARY_2.{0,6}\[REDACTED:secret:CANARY_2\]/);
    for (const encoding of ['base64', 'hex', 'percent']) {
      view.push(
        JSON.stringify(
          await client.callTool({ name: 'leaky.leak', arguments: { name: 'WARDEN_CANARY_1', encoding } }),
        ),
      );
    }
    assert.ok(!view.join('').includes(CANARY_PREFIX));
  });

  it('warden secret verify reports zero occurrences in transcripts, logs and audit rows; a planted leak is caught', async () => {
    await t.gw.services.audit.append({ kind: 'test.sentinel' });
    writeFileSync(join(t.dir, 'transcript.txt'), view.join('\n'));
    writeFileSync(join(t.dir, 'gateway.log'), logs.text());
    const ok = verify(t.dir, '--transcript', 'transcript.txt', '--log', 'gateway.log');
    assert.equal(ok.code, 0, JSON.stringify(ok.report));
    assert.equal(ok.report.total, 0);
    assert.equal(ok.report.canaries, 2);
    const canary = t.gw.services.secrets!.broker.currentValue('CANARY_1')!;
    writeFileSync(join(t.dir, 'leak.txt'), Buffer.from(canary).toString('base64'));
    const bad = verify(t.dir, '--transcript', 'leak.txt');
    assert.equal(bad.code, 1);
    assert.equal(bad.report.total, 1);
  });
});
