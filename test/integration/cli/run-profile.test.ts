import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxUnavailable } from '../sandbox/helpers.ts';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');
const unavailable = sandboxUnavailable();

function warden(cwd: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const YAML = `version: 1
sandbox_profiles:
  small:
    workspace: { mode: bind, path: ws }
    pids: 64
    env: { GREETING: from-profile }
  broken:
    allowHosts: ["*"]
`;

describe('warden run --profile NAME (sandbox_profiles in warden.yaml)', { skip: unavailable }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-run-profile-'));
    // the sandbox runs as an unprivileged uid: its bound paths must be searchable
    chmodSync(dir, 0o755);
    for (const ws of ['ws', 'other']) {
      mkdirSync(join(dir, ws));
      writeFileSync(join(dir, ws, 'note.txt'), `in ${ws}\n`);
    }
    writeFileSync(join(dir, 'warden.yaml'), YAML);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const show = ['--', '/bin/sh', '-c', 'cat note.txt; echo "greeting=$GREETING"; exit 5'];

  it('runs with the profile: its workspace (relative to warden.yaml) and environment', () => {
    const r = warden(tmpdir(), '--config', join(dir, 'warden.yaml'), 'run', '--profile', 'small', ...show);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /in ws/);
    assert.match(r.stdout, /greeting=from-profile/);
  });

  it('a flag replaces the profile’s key, the rest of the profile still applies', () => {
    const r = warden(
      dir,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--profile',
      'small',
      '--workspace',
      join(dir, 'other'),
      ...show,
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /in other/);
    assert.doesNotMatch(r.stdout, /in ws/);
    assert.match(r.stdout, /greeting=from-profile/);
  });

  it('without --profile, nothing of the profiles applies (twin)', () => {
    const r = warden(
      dir,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--workspace',
      join(dir, 'other'),
      ...show,
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /greeting=$/m);
  });

  it('an unknown profile is refused, naming the known ones', () => {
    const r = warden(
      dir,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--profile',
      'huge',
      '--',
      '/bin/true',
    );
    assert.equal(r.code, 2, 'a usage error exits 2');
    assert.match(r.stderr, /no sandbox profile "huge" in .*warden\.yaml \(known: small, broken\)/);
  });

  it('an invalid profile is refused with its path in warden.yaml, before anything runs', () => {
    const r = warden(
      dir,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--profile',
      'broken',
      '--',
      '/bin/true',
    );
    assert.equal(r.code, 2, 'a usage error exits 2');
    assert.match(r.stderr, /sandbox_profiles\.broken\.allowHosts\.0: /);
  });

  it('an invalid flag value is refused naming the option', () => {
    const r = warden(
      dir,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--profile',
      'small',
      '--memory',
      'lots',
      '--',
      '/bin/true',
    );
    assert.equal(r.code, 2, 'a usage error exits 2');
    assert.match(r.stderr, /option\.memory: expected a size/);
  });
});
