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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { startTestGateway } from '../helpers/gateway.ts';
import { createTestCa, startHttpsHost } from '../helpers/tls.ts';
import type { HttpsHost } from '../helpers/tls.ts';
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
    let tlsBound: HttpsHost;
    let caDir: string;
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
      // an HTTPS API bound to the placeholder that echoes the credential it received
      const testCa = await createTestCa();
      tlsBound = await startHttpsHost(testCa, (req, _b, res) => {
        res.end(`api saw ${String(req.url)}`);
      });
      caDir = mkdtempSync(join(tmpdir(), 'warden-e2e-ca-'));
      writeFileSync(join(caDir, 'upstream-ca.pem'), testCa.certPem);
      t = await startTestGateway({
        policies: { 'p.cedar': POLICY },
        start: {
          logger: logs,
          launcher: new BwrapLauncher({
            profile: {
              egress: { allowHosts: ['127.0.0.1'], allowPorts: [bound.port, other.port, tlsBound.port] },
            },
          }),
        },
        yaml: () =>
          [
            'version: 1',
            'gateway:',
            '  listen: 127.0.0.1:0',
            'secrets:',
            `  upstream_ca: ${JSON.stringify(join(caDir, 'upstream-ca.pem'))}`,
            'servers:',
            '  everything:',
            `    command: ${process.execPath}`,
            `    args: [${JSON.stringify(EVERYTHING)}]`,
            '    secrets:',
            '      env: [EVERYTHING_TOKEN]',
            `      placeholders: { API_KEY: { hosts: ["127.0.0.1:${bound.port}", "127.0.0.1:${tlsBound.port}"] } }`,
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
      await tlsBound?.close();
      if (caDir !== undefined) rmSync(caDir, { recursive: true, force: true });
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

    it('CD-5 over HTTPS: the bound API gets the real value through TLS interception; the echo enters the sandbox as the placeholder', async () => {
      const env = await call('everything.get-env');
      const placeholder = new RegExp(`${PLACEHOLDER_PREFIX}API_KEY_[0-9a-f]{24}`).exec(env)![0];
      const out = await call('everything.gzip-file-as-resource', {
        name: 'tls.gz',
        data: `https://127.0.0.1:${tlsBound.port}/v1/data?key=${placeholder}`,
        outputType: 'resource',
      });
      assert.equal(tlsBound.seen.length, 1, out.slice(0, 500));
      assert.ok(tlsBound.seen[0]!.includes(`key=${API_KEY}`), tlsBound.seen[0]);
      assert.ok(!tlsBound.seen[0]!.includes(placeholder));
      // what the tool fetched (inside the sandbox) and gzipped back to the agent holds the placeholder
      const blob = /"blob":"([A-Za-z0-9+/=]+)"/.exec(out)?.[1];
      assert.ok(blob !== undefined, out.slice(0, 500));
      const fetched = gunzipSync(Buffer.from(blob, 'base64')).toString('utf8');
      assert.equal(fetched, `api saw /v1/data?key=${placeholder}`);
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
