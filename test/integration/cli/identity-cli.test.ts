/**
 * `warden agent create` (bootstrap key), `warden token issue|revoke`, `warden keys list|rotate`
 * as real processes on a real SQLite store; tokens checked with the gateway's own verifier.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import { openStore } from '../../../src/store/index.ts';
import { openIdentity } from '../../../src/gateway/index.ts';
import { readBootstrapFile } from '../../../src/identity/index.ts';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

function warden(cwd: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Verifies a token the way the gateway does (same store, same KEK, same audience). */
async function verify(
  dir: string,
  token: string,
): Promise<{ ok: true; task?: string } | { ok: false; code: string }> {
  const cfg = loadConfig(join(dir, 'warden.yaml'));
  const store = await openStore({ url: cfg.store.url, dataDir: cfg.dataDir });
  try {
    const id = await openIdentity(store, cfg, cfg.gateway.publicUrl);
    const v = await id.tokens.verify(token);
    return { ok: true, ...(v.claims.task === undefined ? {} : { task: v.claims.task }) };
  } catch (e) {
    return { ok: false, code: (e as { code: string }).code };
  } finally {
    await store.close();
  }
}

describe('warden token, keys and agent bootstrap (CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-cli-id-'));
    assert.equal(warden(dir, 'init', '--demo').code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('agent create writes the bootstrap key 0600 and never prints the private key', () => {
    const file = join(dir, 'orch.bootstrap.json');
    const r = warden(
      dir,
      'agent',
      'create',
      'orch',
      '--role',
      'dev',
      '--bootstrap-file',
      file,
      '--key-file',
      join(dir, 'orch.key'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const { credential, tokenEndpoint } = readBootstrapFile(file);
    assert.equal(tokenEndpoint, 'http://127.0.0.1:7420/token');
    const d = (credential.privateJwk as { d: string }).d;
    assert.ok(!r.stdout.includes(d) && !r.stderr.includes(d), 'the private key is not printed');
    // Without a file it is shown once, in the JSON output.
    const shown = warden(dir, '--json', 'agent', 'create', 'helper');
    assert.equal(shown.code, 0, shown.stderr);
    const out = JSON.parse(shown.stdout) as { bootstrap: { private_jwk: { d: string } } };
    assert.equal(typeof out.bootstrap.private_jwk.d, 'string');
  });

  it('token issue mints a token carrying the grant; token revoke --jti makes it fail', async () => {
    const r = warden(
      dir,
      '--json',
      'token',
      'issue',
      '--agent',
      'orch',
      '--task',
      'triage',
      '--tool',
      'fs.read_*',
      '--arg',
      'fs.read_file.path=/workspace/**',
      '--ttl',
      '15m',
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: string; jti: string };
    assert.deepEqual(await verify(dir, out.token), { ok: true, task: 'triage' });
    const rev = warden(dir, 'token', 'revoke', '--jti', out.jti);
    assert.equal(rev.code, 0, rev.stderr);
    assert.deepEqual(await verify(dir, out.token), { ok: false, code: 'ERR_TOKEN_REVOKED' });
  });

  it('token revoke --agent and --task revoke every matching token', async () => {
    const issue = (task: string) =>
      (
        JSON.parse(
          warden(
            dir,
            '--json',
            'token',
            'issue',
            '--agent',
            'helper',
            '--task',
            task,
            '--tool',
            'fs.read_file',
          ).stdout,
        ) as {
          token: string;
        }
      ).token;
    const a = issue('one');
    const b = issue('two');
    assert.equal(warden(dir, 'token', 'revoke', '--task', 'one').code, 0);
    assert.equal((await verify(dir, a)).ok, false);
    assert.equal((await verify(dir, b)).ok, true);
    assert.equal(warden(dir, 'token', 'revoke', '--agent', 'helper').code, 0);
    assert.equal((await verify(dir, b)).ok, false);
  });

  it('refuses bad grant flags, a TTL over the cap and an unknown agent with a clear error (exit 1); usage errors exit 2', () => {
    const noTool = warden(dir, 'token', 'issue', '--agent', 'orch');
    assert.equal(noTool.code, 1);
    assert.match(noTool.stderr, /at least one --tool/);
    const star = warden(dir, 'token', 'issue', '--agent', 'orch', '--tool', '*.read');
    assert.equal(star.code, 1);
    const long = warden(dir, 'token', 'issue', '--agent', 'orch', '--tool', 'fs.read_file', '--ttl', '2h');
    assert.equal(long.code, 1);
    assert.match(long.stderr, /cap/);
    const nobody = warden(dir, 'token', 'issue', '--agent', 'nobody', '--tool', 'fs.read_file');
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no agent named nobody/);
    const both = warden(dir, 'token', 'revoke', '--jti', 'x', '--task', 'y');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one/);
    assert.equal(warden(dir, 'token', 'issue').code, 2, 'missing --agent');
  });

  it('keys rotate starts a new signing key; the old one keeps verifying its tokens', async () => {
    const before = JSON.parse(warden(dir, '--json', 'keys', 'list').stdout) as { kid: string }[];
    const t = (
      JSON.parse(
        warden(dir, '--json', 'token', 'issue', '--agent', 'orch', '--tool', 'fs.read_file').stdout,
      ) as {
        token: string;
      }
    ).token;
    const rot = warden(dir, '--json', 'keys', 'rotate');
    assert.equal(rot.code, 0, rot.stderr);
    const fresh = (JSON.parse(rot.stdout) as { kid: string }).kid;
    const list = JSON.parse(warden(dir, '--json', 'keys', 'list').stdout) as {
      kid: string;
      retiredAt?: number;
    }[];
    assert.equal(list.length, before.length + 1);
    assert.equal(list.find((k) => k.kid === fresh)?.retiredAt, undefined);
    assert.ok(list.filter((k) => k.kid !== fresh).every((k) => k.retiredAt !== undefined));
    assert.equal((await verify(dir, t)).ok, true, 'a token signed by the retired key still verifies');
    assert.match(warden(dir, 'keys', 'list').stdout, /active/);
    assert.equal(warden(dir, 'token', '--help').code, 0);
  });

  it('the private half of a bootstrap key is stored nowhere in the data directory', () => {
    const { credential } = readBootstrapFile(join(dir, 'orch.bootstrap.json'));
    const d = (credential.privateJwk as { d: string }).d;
    const db = readFileSync(join(dir, '.warden', 'warden.db'));
    assert.ok(!db.includes(Buffer.from(d)), 'the private key is not in the database');
  });
});
