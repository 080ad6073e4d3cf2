import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

function warden(
  cwd: string,
  input: string,
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const VALUE = `wdn-cli-${randomBytes(15).toString('base64url')}`;
const NEXT = `wdn-cli-next-${randomBytes(15).toString('base64url')}`;

describe('warden secret and warden redact', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-secret-cli-'));
    writeFileSync(join(dir, 'warden.yaml'), 'version: 1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('set reads the value from stdin and never prints it; a value on the command line is refused', () => {
    const r = warden(dir, `${VALUE}\n`, ['secret', 'set', 'API_TOKEN']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stored API_TOKEN \(version 1, hmac-sha256:/);
    assert.ok(!r.stdout.includes(VALUE) && !r.stderr.includes(VALUE));
    const argv = warden(dir, '', ['secret', 'set', 'OTHER', 'the-value-on-argv']);
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /too many arguments/);
    const weak = warden(dir, 'aaaabbbbaaaa\n', ['secret', 'set', 'WEAK']);
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /ERR_SECRET_WEAK/);
    const dup = warden(dir, `${VALUE}\n`, ['secret', 'set', 'API_TOKEN']);
    assert.match(dup.stderr, /already exists: use rotate.*ERR_SECRET_EXISTS/);
  });

  it('list shows names, versions, fingerprints and rotations, never values; rotate adds a version', () => {
    const rot = warden(dir, NEXT, ['secret', 'rotate', 'API_TOKEN']);
    assert.equal(rot.code, 0, rot.stderr);
    const r = warden(dir, '', ['--json', 'secret', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const { secrets } = JSON.parse(r.stdout) as {
      secrets: {
        name: string;
        version: number;
        fingerprint: string;
        lastRotatedAt: number | null;
        graceVersions: number;
      }[];
    };
    assert.equal(secrets.length, 1);
    assert.equal(secrets[0]!.name, 'API_TOKEN');
    assert.equal(secrets[0]!.version, 2);
    assert.ok(secrets[0]!.lastRotatedAt !== null);
    assert.equal(secrets[0]!.graceVersions, 1);
    assert.ok(!r.stdout.includes(VALUE) && !r.stdout.includes(NEXT));
    assert.match(warden(dir, '', ['secret', 'list']).stdout, /API_TOKEN\s+2\s+hmac-sha256:/);
  });

  it('a wrong master key is a clear error and changes nothing', () => {
    writeFileSync(
      join(dir, 'wrong.yaml'),
      'version: 1\nsecrets:\n  master_key: { env: WARDEN_TEST_MASTER_KEY }\n',
    );
    const key = randomBytes(32).toString('hex');
    const r = warden(dir, 'wdn-x-Zq8vL2mN4pR7tY\n', ['-c', 'wrong.yaml', 'secret', 'rotate', 'API_TOKEN'], {
      WARDEN_TEST_MASTER_KEY: key,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /master key does not match this secret store.*nothing was changed.*ERR_SECRET_MASTER_KEY/,
    );
    const missing = warden(dir, '', ['-c', 'wrong.yaml', 'secret', 'list']);
    assert.match(missing.stderr, /master key variable WARDEN_TEST_MASTER_KEY is not set/);
    const list = JSON.parse(warden(dir, '', ['--json', 'secret', 'list']).stdout) as {
      secrets: { version: number }[];
    };
    assert.equal(list.secrets[0]!.version, 2, 'still version 2');
  });

  it('redact replaces known values (any encoding, old versions in grace too) and pattern matches', () => {
    const gh = `ghp_${'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4'}`;
    const input = `a=${NEXT} b=${Buffer.from(VALUE).toString('base64')} c=${gh} d=plain text\n`;
    const r = warden(dir, input, ['redact']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^a=\[REDACTED:secret:API_TOKEN\] b=\S*\[REDACTED:secret:API_TOKEN\]\S* c=\[REDACTED:pattern:[^\]]+\] d=plain text\n$/,
    );
    const j = warden(dir, `é ${NEXT}`, ['--json', 'redact']);
    const out = JSON.parse(j.stdout) as { findings: { ruleId: string; start: number; end: number }[] };
    assert.deepEqual(out.findings, [{ ruleId: 'secret:API_TOKEN', start: 3, end: 3 + NEXT.length }]);
    const clean = warden(dir, 'nothing secret here\n', ['redact', '--patterns-only']);
    assert.equal(clean.stdout, 'nothing secret here\n');
  });

  it('verify counts occurrences in logs and audit rows: zero passes, a leak fails', () => {
    writeFileSync(join(dir, 'clean.log'), '{"msg":"ok"}\n');
    writeFileSync(join(dir, 'leaky.log'), `{"msg":"token ${encodeURIComponent(NEXT)}"}\n`);
    const ok = warden(dir, '', ['secret', 'verify', '--log', 'clean.log']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /OK: zero occurrences/);
    const bad = warden(dir, '', [
      '--json',
      'secret',
      'verify',
      '--log',
      'clean.log',
      '--transcript',
      'leaky.log',
    ]);
    assert.equal(bad.code, 1);
    const rep = JSON.parse(bad.stdout) as {
      total: number;
      report: { transcripts: { byName: Record<string, number> } };
    };
    assert.equal(rep.total, 1);
    assert.deepEqual(rep.report.transcripts.byName, { API_TOKEN: 1 });
  });

  it('rm deletes a secret; removing it again fails', () => {
    assert.equal(warden(dir, '', ['secret', 'rm', 'API_TOKEN']).code, 0);
    const again = warden(dir, '', ['secret', 'rm', 'API_TOKEN']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no secret named API_TOKEN/);
  });

  it('answers --help', () => {
    const r = warden(dir, '', ['secret', 'set', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /never from the command line/);
    assert.match(warden(dir, '', ['redact', '--help']).stdout, /--patterns-only/);
  });
});
