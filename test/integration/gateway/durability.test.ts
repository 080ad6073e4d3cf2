import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { loadConfig } from '../../../src/config/index.ts';
import { migrate, openStore } from '../../../src/store/index.ts';
import { AgentRegistry, createAuthenticator, identityMigrations } from '../../../src/identity/index.ts';
import { HttpFront, SupplyGuard } from '../../../src/gateway/index.ts';
import { PolicyEngine } from '../../../src/policy/index.ts';
import { PlainLauncher } from '../../../src/sandbox/index.ts';
import { silentLogger, systemClock } from '../../../src/core/index.ts';
import { WardenMetrics } from '../../../src/monitor/index.ts';
import { AuditLog, loadOrCreateAuditKeys } from '../../../src/audit/index.ts';
import { post, rawSession } from '../../helpers/raw-mcp.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const PROBE = join(ROOT, 'test', 'fixtures', 'servers', 'probe-server.mjs');
const POLICY =
  '@id("all") permit (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"probe");';

function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-dur-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.cedar'), POLICY);
  writeFileSync(
    join(dir, 'warden.yaml'),
    `version: 1\ngateway:\n  listen: 127.0.0.1:0\nidentity:\n  api_keys: direct\nservers:\n  probe:\n    command: ${process.execPath}\n    args: ["${PROBE}"]\n    env:\n      PROBE_COUNTER_FILE: "${join(dir, 'effects.log')}"\n    sandbox: false\n`,
  );
  return dir;
}

describe('audit durability through the gateway', () => {
  it('[AU-5] fails a call closed when the audit store is unavailable: no upstream effect', async () => {
    // Identity and audit on separate real SQLite stores, so only the audit sink fails.
    const dir = projectDir();
    const config = loadConfig(join(dir, 'warden.yaml'));
    const identityStore = await openStore({ dataDir: join(dir, 'identity') });
    const auditStore = await openStore({ dataDir: join(dir, 'audit') });
    await migrate(identityStore, 'identity', identityMigrations);
    const registry = new AgentRegistry(identityStore);
    const key = (await registry.create({ name: 'a', roles: ['u'] })).credential.token;
    const audit = await AuditLog.open(auditStore, { keys: loadOrCreateAuditKeys(join(dir, 'audit')) });
    const front = new HttpFront({
      config,
      launcher: new PlainLauncher(),
      authenticator: createAuthenticator({ registry, allowApiKeys: true }),
      policy: await PolicyEngine.load(config.policiesDir),
      audit,
      logger: silentLogger,
      clock: systemClock,
      version: 'test',
      metrics: new WardenMetrics(),
      supply: await SupplyGuard.open(identityStore, { servers: config.servers, audit, logger: silentLogger }),
    });
    const { url } = await front.listen();
    try {
      const h = await rawSession(url, key);
      const ok = await post(
        url,
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.echo","arguments":{"text":"before"}}}',
        h,
      );
      assert.match(ok.text, /before/);
      await auditStore.close(); // the audit store goes away under the running gateway
      const r = await post(
        url,
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"probe.echo","arguments":{"text":"after"}}}',
        h,
      );
      assert.equal((r.json as { error: { code: number } }).error.code, -32012);
      assert.deepEqual(readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n'), ['echo']);
    } finally {
      await front.close();
      await audit.close().catch(() => {});
      await identityStore.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[AU-6] loses no acknowledged decision when the gateway is killed with SIGKILL mid-stream', async () => {
    const dir = projectDir();
    try {
      const config = loadConfig(join(dir, 'warden.yaml'));
      const setup = await openStore({ dataDir: config.dataDir });
      await migrate(setup, 'identity', identityMigrations);
      const key = (await new AgentRegistry(setup).create({ name: 'load', roles: ['u'] })).credential.token;
      await setup.close();
      const acked = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(ROOT, 'src', 'cli', 'main.ts'),
            '--config',
            join(dir, 'warden.yaml'),
            'gateway',
          ],
          {
            cwd: ROOT,
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        const url = await new Promise<string>((resolve, reject) => {
          let err = '';
          child.stderr.on('data', (c: Buffer) => {
            err += c.toString();
            const m = /listening on (http:\/\/\S+\/mcp)/.exec(err);
            if (m) resolve(m[1]!);
          });
          child.once('exit', () => reject(new Error(`gateway exited: ${err}`)));
        });
        const h = await rawSession(url, key);
        let stop = false;
        const worker = async (w: number): Promise<void> => {
          for (let i = 0; !stop; i++) {
            const text = `r${round}-w${w}-${i}`;
            try {
              const r = await post(
                url,
                JSON.stringify({
                  jsonrpc: '2.0',
                  id: w * 1_000_000 + i,
                  method: 'tools/call',
                  params: { name: 'probe.echo', arguments: { text } },
                }),
                h,
              );
              if (r.status === 200 && r.text.includes(text)) acked.add(text);
            } catch {
              return; // the gateway is gone
            }
          }
        };
        const workers = [0, 1, 2, 3].map((w) => worker(w));
        // Kill after a random number of acknowledged calls (not after a time: the machine is noisy).
        const target = acked.size + 15 + randomInt(30);
        for (let waited = 0; acked.size < target && waited < 60_000; waited += 20)
          await new Promise((r) => setTimeout(r, 20));
        // Listen for the exit before killing: it may fire while the workers wind down.
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        stop = true;
        await Promise.all(workers);
        await exited;
      }
      assert.ok(acked.size > 20, `too few acknowledged calls to mean anything (${acked.size})`);
      const store = await openStore({ dataDir: config.dataDir });
      const audit = await AuditLog.open(store, { keys: loadOrCreateAuditKeys(config.dataDir) });
      try {
        const v = await audit.verify();
        assert.equal(v.ok, true, JSON.stringify(v));
        const decided = new Set<string>();
        for (let from = 1; ; from += 1000) {
          const rows = await audit.range(from, 1000);
          if (rows.length === 0) break;
          for (const r of rows) {
            const text = (r.args as { text?: string } | undefined)?.text;
            if (r.kind === 'mcp.request' && r.decision === 'allow' && text !== undefined) decided.add(text);
          }
        }
        const lost = [...acked].filter((x) => !decided.has(x));
        assert.deepEqual(lost, [], `${lost.length} acknowledged calls have no durable decision record`);
      } finally {
        await audit.close();
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
