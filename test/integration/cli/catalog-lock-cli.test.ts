/**
 * `warden catalog lock` and `verify` with dependency locks, as a user runs them (THREATS RP-4):
 * real npm resolving the real `@modelcontextprotocol/server-memory` against the real registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isolatedEnv, runWarden } from '../../helpers/cli.ts';
import type { CliRun } from '../../helpers/cli.ts';

function warden(cwd: string, args: string[]): CliRun {
  return runWarden(args, { cwd, env: isolatedEnv(cwd) });
}

const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  }
).packages['node_modules/@modelcontextprotocol/server-memory']!.version;

describe('warden catalog lock / verify', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-catalog-lock-'));
    writeFileSync(join(dir, 'warden.yaml'), 'version: 1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('[RP-4] verify requires each package lock, covered by the signature; catalog lock migrates an entry from before locking', (t) => {
    const source = join(dir, 'catalog.yaml');
    assert.equal(warden(dir, ['catalog', 'keygen']).code, 0);
    const add = warden(dir, ['catalog', 'add', `npm:@modelcontextprotocol/server-memory@${VERSION}`]);
    if (add.code !== 0 && /registry request .* failed/.test(add.stderr))
      return t.skip('the npm registry is not reachable from this machine');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /locked \d+ packages \(exact versions, tarball URLs, integrity\)/);
    assert.equal(warden(dir, ['catalog', 'sign']).code, 0);
    const ok = warden(dir, ['catalog', 'verify']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /every package's lock is covered by the signature/);
    assert.match(ok.stdout, /memory .* \d+ packages/);
    // (a lock changed after signing fails verify: test/unit/registry/lock.test.ts, e2e)
    // an entry from before locking: signed without a lock
    const doc = parse(readFileSync(source, 'utf8')) as { servers: Record<string, unknown>[] };
    delete doc.servers[0]!['lock'];
    writeFileSync(source, stringify(doc));
    assert.equal(warden(dir, ['catalog', 'sign']).code, 0);
    const unlocked = warden(dir, ['catalog', 'verify']);
    assert.equal(unlocked.code, 1);
    assert.match(
      unlocked.stderr,
      /catalog entries without a dependency lock: memory; run 'warden catalog lock memory' and 'warden catalog sign' \[ERR_LOCK_MISSING\]/,
    );
    const lock = warden(dir, ['catalog', 'lock', 'memory']);
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(lock.stdout, /memory: locked \d+ packages/);
    assert.equal(warden(dir, ['catalog', 'sign']).code, 0);
    assert.equal(warden(dir, ['catalog', 'verify']).code, 0);
  });
});
