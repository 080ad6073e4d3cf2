import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryLogger } from '../../src/core/index.ts';
import { BwrapLauncher } from '../../src/sandbox/index.ts';
import { countOccurrences, PLACEHOLDER_PREFIX } from '../../src/secrets/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { sandboxUnavailable } from '../integration/sandbox/helpers.ts';

const unavailable = sandboxUnavailable();
const TOKEN = `wdn-e2e-${randomBytes(15).toString('base64url')}`;
const API_KEY = `wdn-api-${randomBytes(15).toString('base64url')}`;
const SECRETS = [
  { name: 'EVERYTHING_TOKEN', value: TOKEN },
  { name: 'API_KEY', value: API_KEY },
];
// the real path: the sandbox binds the enclosing node_modules at its real location
const EVERYTHING = realpathSync(
  join(
    dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  ),
);
const POLICY = `permit (principal in Warden::Role::"tester", action, resource);`;

interface Recorder {
  server: Server;
  seen: string[];
  port: number;
}

async function recorder(): Promise<Recorder> {
  const seen: string[] = [];
  const server = createServer((rq, rs) => {
    seen.push(`${rq.method} ${rq.url} ${JSON.stringify(rq.headers)}`);
    rs.writeHead(200, { 'content-type': 'text/plain' }).end('recorded');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

const text = (r: unknown): string => JSON.stringify(r) ?? '';

describe(
  'secrets end to end: server-everything sandboxed, official SDK client',
  { skip: unavailable },
  () => {
    let t: TestGateway;
    let client: Client;
    let bound: Recorder;
    let other: Recorder;
    const logs = new MemoryLogger();
    const agentView: string[] = [];

    const call = async (name: string, args: Record<string, unknown> = {}): Promise<string> => {
      const out = text(await client.callTool({ name, arguments: args }));
      agentView.push(out);
      return out;
    };

    before(async () => {
      bound = await recorder();
      other = await recorder();
      t = await startTestGateway({
        policies: { 'p.cedar': POLICY },
        start: {
          logger: logs,
          launcher: new BwrapLauncher({
            profile: { egress: { allowHosts: ['127.0.0.1'], allowPorts: [bound.port, other.port] } },
          }),
        },
        yaml: () =>
          [
            'version: 1',
            'gateway:',
            '  listen: 127.0.0.1:0',
            'servers:',
            '  everything:',
            `    command: ${process.execPath}`,
            `    args: [${JSON.stringify(EVERYTHING)}]`,
            '    secrets:',
            '      env: [EVERYTHING_TOKEN]',
            `      placeholders: { API_KEY: { hosts: ["127.0.0.1:${bound.port}"] } }`,
            '  bystander:',
            `    command: ${process.execPath}`,
            `    args: [${JSON.stringify(EVERYTHING)}]`,
          ].join('\n'),
      });
      const secrets = t.gw.services.secrets!;
      await secrets.store.set('EVERYTHING_TOKEN', TOKEN);
      await secrets.store.set('API_KEY', API_KEY);
      await secrets.broker.reloadStore();
      client = await t.client(await t.agent('alice', ['tester']));
    });
    after(async () => {
      await t?.cleanup();
      bound?.server.close();
      other?.server.close();
    });

    it('SB-1/SB-3: get-env shows the injected variable redacted; the bystander server never received it', async () => {
      const own = await call('everything.get-env');
      assert.match(own, /EVERYTHING_TOKEN.{0,8}\[REDACTED:secret:EVERYTHING_TOKEN\]/);
      assert.match(
        own,
        new RegExp(`API_KEY.{0,8}${PLACEHOLDER_PREFIX}API_KEY_[0-9a-f]{24}`),
        'a placeholder only',
      );
      const bystander = await call('bystander.get-env');
      assert.doesNotMatch(bystander, /EVERYTHING_TOKEN|API_KEY|REDACTED/);
      assert.equal(countOccurrences([own, bystander], SECRETS).total, 0);
    });

    it('CD-5: the egress proxy swaps the placeholder for the real value only on the bound host', async () => {
      const env = await call('everything.get-env');
      const placeholder = new RegExp(`${PLACEHOLDER_PREFIX}API_KEY_[0-9a-f]{24}`).exec(env)![0];
      const url = (port: number): string => `http://127.0.0.1:${port}/data?key=${placeholder}`;
      await call('everything.gzip-file-as-resource', {
        name: 'a.gz',
        data: url(bound.port),
        outputType: 'resource',
      });
      assert.equal(bound.seen.length, 1);
      assert.ok(bound.seen[0]!.includes(`key=${API_KEY}`), bound.seen[0]);
      assert.ok(!bound.seen[0]!.includes(placeholder));
      await call('everything.gzip-file-as-resource', {
        name: 'b.gz',
        data: url(other.port),
        outputType: 'resource',
      });
      assert.deepEqual(other.seen, [], 'the unbound host received nothing');
      // twin: a request without a placeholder to the other allowed host goes through
      await call('everything.gzip-file-as-resource', {
        name: 'c.gz',
        data: `http://127.0.0.1:${other.port}/plain`,
        outputType: 'resource',
      });
      assert.equal(other.seen.length, 1);
    });

    it('the agent view, the gateway log and the audit rows hold zero occurrences of either value', async () => {
      await t.gw.services.audit.append({ kind: 'test.sentinel' });
      const rows = await t.gw.store.query<{ body: string }>('SELECT body FROM audit_records');
      assert.ok(agentView.length >= 5, logs.text().slice(0, 3000));
      const count = countOccurrences(
        [...agentView, logs.text(), ...rows.map((r) => String(r.body))],
        SECRETS,
      );
      assert.equal(count.total, 0, JSON.stringify(count));
      const egress = rows.filter(
        (r) => String(r.body).includes('everything.gzip') || String(r.body).includes('gzip-file'),
      );
      assert.ok(egress.length > 0, 'positive control: the calls were audited');
    });
  },
);
