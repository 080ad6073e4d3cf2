/**
 * `npm ci` of a signed lock inside the real bubblewrap sandbox (THREATS RP-4): the project is
 * the sandbox's only writable place, the registry its only reachable host. Real npm, the real
 * npm registry (through a loopback forwarder, see below), the real `@modelcontextprotocol/server-memory`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv, resolveCommand } from '../../../src/config/index.ts';
import { isAppError } from '../../../src/core/index.ts';
import { fetchNpmMetadata, installLocked, resolveLock } from '../../../src/registry/index.ts';
import type { CatalogEntry, NpmRunner, PackageLock } from '../../../src/registry/index.ts';
import { BwrapLauncher, PlainLauncher } from '../../../src/sandbox/index.ts';
import type { LaunchEgressEvent } from '../../../src/sandbox/index.ts';

const UPSTREAM = 'https://registry.npmjs.org/';
const SPEC = 'npm:@modelcontextprotocol/server-memory@2026.8.31';

describe('npm ci of a signed lock in the bubblewrap sandbox', () => {
  let why: string | undefined;
  let entry: CatalogEntry;
  let runner: NpmRunner;
  let dir: string;
  const events: LaunchEgressEvent[] = [];
  const hits: string[] = [];
  let mirror: Server | undefined;
  let registry = '';

  before(async () => {
    const launcher = new BwrapLauncher({ onEgress: (e) => events.push(e) });
    try {
      launcher.hostFacts();
    } catch (e) {
      why = `bubblewrap is not usable here: ${(e as Error).message}`;
      return;
    }
    // The install's registry is a loopback forwarder to the real one: the sandbox's egress
    // refuses private and reserved addresses (SS-3) unless the rule names that exact IP, and
    // machines with a local registry mirror resolve registry.npmjs.org to one.
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      fetch(new URL((req.url ?? '/').slice(1), UPSTREAM), { redirect: 'error' })
        .then(async (up) => {
          res.writeHead(up.status, {
            'content-type': up.headers.get('content-type') ?? 'application/octet-stream',
          });
          res.end(Buffer.from(await up.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
    mirror = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    let integrity: string;
    try {
      integrity = (await fetchNpmMetadata(SPEC, { registry: UPSTREAM })).integrity;
    } catch {
      why = 'the npm registry is not reachable from this machine';
      return;
    }
    const path = readEnv('PATH') ?? '/usr/bin:/bin';
    const npm = resolveCommand('npm', { PATH: path });
    assert.ok(typeof npm !== 'string');
    const lock = await resolveLock(SPEC, integrity, {
      registry: UPSTREAM,
      runner: { launcher: new PlainLauncher(), npm: npm.command, path },
    });
    entry = { name: 'memory', package: SPEC, integrity, lock, args: [], tools: {}, secrets: [], egress: [] };
    runner = { launcher, npm: npm.command, path };
    dir = mkdtempSync(join(tmpdir(), 'warden-lock-sbx-'));
    chmodSync(dir, 0o755); // the sandbox uid must be able to search the path to its workspace
  });
  after(async () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    if (mirror !== undefined) await new Promise<void>((r) => mirror!.close(() => r()));
  });

  it('[RP-4] installs exactly the lock with the registry as the only host reached; the tree is root-owned after (twin)', async (t) => {
    if (why !== undefined) return t.skip(why);
    const r = await installLocked(entry, { dir, registry, runner });
    assert.match(r.bin, /node_modules\/@modelcontextprotocol\/server-memory\/dist\/index\.js$/);
    assert.equal(statSync(r.bin).uid, 0, 'the sandbox uid no longer owns the installed files');
    const hosts = new Set(events.map((e) => `${e.allowed ? 'allow' : 'deny'} ${e.host}:${e.port}`));
    assert.deepEqual([...hosts], [`allow ${new URL(registry).host}`]);
    assert.ok(
      hits.some((h) => h.endsWith('.tgz')),
      'npm fetched the tarballs from the registry',
    );
  });

  it('[RP-4] a lock that would send npm to another host is refused before npm runs: no egress at all', async (t) => {
    if (why !== undefined) return t.skip(why);
    events.length = 0;
    const lock = structuredClone(entry.lock!) as { packages: Record<string, { resolved?: string }> };
    lock.packages['node_modules/zod']!.resolved = 'https://evil.example.com/zod/-/zod.tgz';
    await assert.rejects(
      installLocked({ ...entry, lock: lock as PackageLock }, { dir, registry, runner }),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'ERR_LOCK_MISMATCH' &&
        e.message.includes('fetches node_modules/zod (evil.example.com) from outside the registry'),
    );
    assert.deepEqual(events, []);
  });
});
