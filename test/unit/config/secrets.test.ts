import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/index.ts';
import type { ConfigIssue } from '../../../src/config/index.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa } from '../../helpers/tls.ts';

const FILE = '/tmp/warden-test/warden.yaml';
const ENV = { PATH: '/usr/bin:/bin' };

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, FILE, { env: ENV });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return (e.details.issues as ConfigIssue[]) ?? [];
  }
  assert.fail('expected the configuration to be rejected');
}

const server = (extra: string): string => `version: 1\nservers:\n  gh:\n    command: /bin/cat\n${extra}`;

describe('secrets configuration', () => {
  it('defaults: key file in the data dir, 24 h grace, patterns on, no canaries', () => {
    const c = parseConfig('version: 1\n', FILE, { env: ENV });
    assert.deepEqual(c.secrets?.masterKey, { kind: 'file', path: '/tmp/warden-test/.warden/secrets.key' });
    assert.equal(c.secrets?.graceMs, 86_400_000);
    assert.equal(c.secrets?.patterns, true);
    assert.equal(c.secrets?.canaries, 0);
  });

  it('reads providers, TTLs and rotation, resolving programs on PATH', () => {
    const c = parseConfig(
      [
        'version: 1',
        'secrets:',
        '  master_key: { env: WARDEN_MASTER_KEY }',
        '  grace: 1h',
        '  sources:',
        '    GH_TOKEN: { provider: env, env: GITHUB_TOKEN }',
        '    API_KEY: { provider: command, command: [cat, /run/key], ttl: 30s, rotate_every: 1h }',
        '    DB_PASS: { rotate_every: 30d, rotate_command: [cat, /run/new] }',
      ].join('\n'),
      FILE,
      { env: ENV },
    );
    const s = c.secrets!;
    assert.deepEqual(s.masterKey, { kind: 'env', variable: 'WARDEN_MASTER_KEY' });
    assert.equal(s.graceMs, 3_600_000);
    assert.deepEqual(s.sources.GH_TOKEN, { provider: 'env', env: 'GITHUB_TOKEN' });
    assert.equal(s.sources.API_KEY?.command?.command, '/usr/bin/cat');
    assert.deepEqual(s.sources.API_KEY?.command?.args, ['/run/key']);
    assert.equal(s.sources.API_KEY?.ttlMs, 30_000);
    assert.equal(s.sources.DB_PASS?.provider, 'store');
    assert.equal(s.sources.DB_PASS?.rotateEveryMs, 30 * 86_400_000);
  });

  it('gives a stdio server env secrets and placeholders, a remote server headers', () => {
    const c = parseConfig(
      [
        'version: 1',
        'servers:',
        '  gh:',
        '    command: /bin/cat',
        '    secrets:',
        '      env: [GITHUB_TOKEN]',
        '      placeholders: { API_KEY: { hosts: [api.example.com, "127.0.0.1:8080"] } }',
        '    on_secret: block',
        '  remote:',
        '    url: https://mcp.example.com/mcp',
        '    secrets:',
        '      headers: { Authorization: "Bearer ${REMOTE_TOKEN}" }',
      ].join('\n'),
      FILE,
      { env: ENV },
    );
    const [gh, remote] = c.servers;
    assert.deepEqual(gh?.secrets?.env, { GITHUB_TOKEN: 'GITHUB_TOKEN' });
    assert.deepEqual(gh?.secrets?.placeholders, {
      API_KEY: { hosts: ['api.example.com', '127.0.0.1:8080'], env: 'API_KEY' },
    });
    assert.equal(gh?.onSecret, 'block');
    assert.deepEqual(remote?.secrets?.headers, { Authorization: 'Bearer ${REMOTE_TOKEN}' });
    assert.equal(remote?.onSecret, 'redact');
  });

  it('SB-4/CD-5: a secret name with pattern metacharacters is refused', () => {
    const [issue] = issuesOf(server('    secrets:\n      env: ["GITHUB_*"]\n'));
    assert.match(issue!.message, /patterns such as \* are refused/);
    const [h] = issuesOf(
      'version: 1\nservers:\n  r:\n    url: https://x.example/mcp\n    secrets:\n      headers: { X-Key: "${B} ${A*}" }\n',
    );
    assert.match(h!.message, /not a secret name/);
  });

  it('SB-4: a server may not ask for a secret restricted to another server; the owner may', () => {
    const yaml = (who: string): string =>
      `version: 1\nsecrets:\n  sources:\n    Y_TOKEN: { servers: [y] }\nservers:\n  y:\n    command: /bin/cat\n${
        who === 'y' ? '' : `  ${who}:\n    command: /bin/cat\n`
      }    secrets:\n      env: [Y_TOKEN]\n`;
    const [issue] = issuesOf(yaml('x'));
    assert.equal(issue?.path, 'servers.x.secrets.env.Y_TOKEN');
    assert.match(issue.message, /restricted to servers y/);
    assert.equal(parseConfig(yaml('y'), FILE, { env: ENV }).servers[0]?.secrets?.env.Y_TOKEN, 'Y_TOKEN');
  });

  it('SB-4: a secret restricted to a server that servers: does not define is a config error naming both', () => {
    const yaml = (restrictTo: string): string =>
      [
        'version: 1',
        'secrets:',
        '  sources:',
        `    DB_PASSWORD: { servers: [${restrictTo}] }`,
        'servers:',
        '  db:',
        '    command: /bin/cat',
        '    secrets:',
        '      env: [DB_PASSWORD]',
        '  web:',
        '    command: /bin/cat',
      ].join('\n');
    const issues = issuesOf(yaml('db, dbb'));
    assert.equal(issues.length, 1, JSON.stringify(issues));
    const [issue] = issues;
    assert.equal(issue?.file, FILE);
    assert.equal(issue?.path, 'secrets.sources.DB_PASSWORD.servers.1');
    assert.match(
      issue.message,
      /secret DB_PASSWORD is restricted to server "dbb", which is not defined in servers:/,
    );
    assert.match(issue.message, /known: db, web/);
    try {
      parseConfig(yaml('dbb'), FILE, { env: ENV });
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /warden\.yaml: secrets\.sources\.DB_PASSWORD\.servers\.0: secret DB_PASSWORD/);
    }
    // twin: naming only defined servers loads, and the restriction is kept
    const c = parseConfig(yaml('db'), FILE, { env: ENV });
    assert.deepEqual(c.secrets?.sources.DB_PASSWORD?.servers, ['db']);
  });

  it('upstream_ca: a CA certificate file loads; a missing file or a non-CA file is a config error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-ca-'));
    const ca = await createTestCa();
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'leaf.pem'), (await ca.issue('127.0.0.1')).cert);
    const file = join(dir, 'warden.yaml');
    const c = parseConfig('version: 1\nsecrets:\n  upstream_ca: ca.pem\n', file, { env: ENV });
    assert.deepEqual(c.secrets?.upstreamCa, [ca.certPem]);
    const load = (v: string): ConfigIssue[] => {
      try {
        parseConfig(`version: 1\nsecrets:\n  upstream_ca: ${v}\n`, file, { env: ENV });
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.details.issues as ConfigIssue[];
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(load('missing.pem')[0]!.message, /cannot read .*missing\.pem: ENOENT/);
    assert.match(load('[ca.pem, leaf.pem]')[0]!.message, /leaf\.pem is not a PEM CA certificate/);
    assert.equal(load('[ca.pem, leaf.pem]')[0]!.path, 'secrets.upstream_ca.1');
  });

  it('refuses env on a remote server, headers on a stdio server, wildcard placeholder hosts', () => {
    assert.match(
      issuesOf(server('    secrets:\n      headers: { A: "${B}" }\n'))[0]!.message,
      /unknown key "headers"/,
    );
    assert.match(
      issuesOf(
        'version: 1\nservers:\n  r:\n    url: https://x.example/mcp\n    secrets:\n      env: [A]\n',
      )[0]!.message,
      /unknown key "env"/,
    );
    assert.match(
      issuesOf(server('    secrets:\n      placeholders: { K: { hosts: ["*.example.com"] } }\n'))[0]!.message,
      /no wildcards/,
    );
  });

  it('CD-5: a secret cannot be both a placeholder and a real env value of the same server', () => {
    const [issue] = issuesOf(
      server('    secrets:\n      env: [K]\n      placeholders: { K: { hosts: [a.example] } }\n'),
    );
    assert.match(issue!.message, /real value would enter the sandbox/);
  });

  it('refuses inconsistent sources: command without program, rotation of env secrets, two key sources', () => {
    assert.match(
      issuesOf('version: 1\nsecrets:\n  sources:\n    A: { provider: command }\n')[0]!.message,
      /needs command/,
    );
    assert.match(
      issuesOf('version: 1\nsecrets:\n  sources:\n    A: { provider: env, rotate_every: 1h }\n')[0]!.message,
      /cannot be rotated/,
    );
    assert.match(
      issuesOf('version: 1\nsecrets:\n  sources:\n    A: { rotate_every: 1h }\n')[0]!.message,
      /needs rotate_command/,
    );
    assert.match(
      issuesOf('version: 1\nsecrets:\n  master_key: { env: K, file: k.key }\n')[0]!.message,
      /one of file, env or command/,
    );
    assert.match(
      issuesOf(
        'version: 1\nsecrets:\n  sources:\n    A: { provider: command, command: [no-such-program-x] }\n',
      )[0]!.message,
      /not found on PATH/,
    );
  });
});
