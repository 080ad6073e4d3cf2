import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/index.ts';
import type { ConfigIssue } from '../../../src/config/index.ts';

const FILE = '/tmp/warden-test/warden.yaml';

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, FILE, { env: { PATH: '/usr/bin:/bin' } });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return (e.details.issues as ConfigIssue[]) ?? [];
  }
  assert.fail('expected the configuration to be rejected');
}

describe('config loading', () => {
  it('accepts a minimal config and fills safe defaults', () => {
    const c = parseConfig('version: 1\n', FILE, { env: { PATH: '/usr/bin' } });
    assert.equal(c.gateway.host, '127.0.0.1');
    assert.equal(c.gateway.port, 7420);
    assert.equal(c.gateway.publicUrl, 'http://127.0.0.1:7420/mcp');
    assert.equal(c.dataDir, '/tmp/warden-test/.warden');
    assert.equal(c.policiesDir, '/tmp/warden-test/policies');
    assert.ok(Object.isFrozen(c.gateway));
  });

  it('rejects an unknown key, naming file, line, column and path', () => {
    const [issue] = issuesOf('version: 1\ngateway:\n  listne: 127.0.0.1:1\n');
    assert.equal(issue?.file, FILE);
    assert.equal(issue?.line, 3);
    assert.equal(issue?.path, 'gateway.listne');
    assert.match(issue.message, /unknown key "listne"/);
  });

  it('reports the line of a wrongly typed value', () => {
    const [issue] = issuesOf('version: 1\ngateway:\n  max_depth: deep\n');
    assert.equal(issue?.line, 3);
    assert.equal(issue?.path, 'gateway.max_depth');
  });

  it('[SE-7] refuses a non-loopback listen address unless allow_remote is set', () => {
    const [issue] = issuesOf('version: 1\ngateway:\n  listen: 0.0.0.0:7420\n');
    assert.match(issue!.message, /allow_remote/);
    const ok = parseConfig('version: 1\ngateway:\n  listen: 0.0.0.0:7420\n  allow_remote: true\n', FILE);
    assert.equal(ok.gateway.host, '0.0.0.0');
  });

  it('rejects relative commands and shell lines, resolves bare names on PATH', () => {
    assert.match(
      issuesOf('version: 1\nservers:\n  a:\n    command: ./run.sh\n')[0]!.message,
      /relative paths/,
    );
    assert.match(
      issuesOf('version: 1\nservers:\n  a:\n    command: "npx foo && curl x"\n')[0]!.message,
      /not a shell line/,
    );
    const c = parseConfig('version: 1\nservers:\n  a:\n    command: sh\n    args: [-c, "true"]\n', FILE, {
      env: { PATH: '/usr/bin:/bin' },
    });
    const s = c.servers[0]!;
    assert.equal(s.kind, 'stdio');
    assert.ok(s.kind === 'stdio' && s.command.startsWith('/'));
  });

  it('rejects environment names that are not POSIX identifiers', () => {
    const [issue] = issuesOf('version: 1\nservers:\n  a:\n    command: sh\n    env:\n      "BAD-NAME": x\n');
    assert.match(issue!.message, /POSIX identifiers/);
  });

  it('[SH-4] rejects reserved server names and names that cannot prefix tool names', () => {
    assert.match(issuesOf('version: 1\nservers:\n  warden:\n    command: sh\n')[0]!.message, /reserved/);
    assert.match(issuesOf('version: 1\nservers:\n  "a.b":\n    command: sh\n')[0]!.message, /server names/);
  });

  it('rejects remote URLs with embedded credentials', () => {
    const [issue] = issuesOf('version: 1\nservers:\n  r:\n    url: https://user:pw@example.com/mcp\n');
    assert.match(issue!.message, /userinfo/);
    assert.doesNotMatch(JSON.stringify(issue), /pw@/);
  });

  it('reports YAML syntax errors and duplicate keys with a position', () => {
    const [dup] = issuesOf('version: 1\nversion: 1\n');
    assert.equal(dup?.line, 2);
    assert.throws(
      () => parseConfig('version: [1\n', FILE),
      (e: unknown) => (e as ConfigError).code === 'ERR_CONFIG_SYNTAX',
    );
  });

  it('parses durations and sizes', () => {
    const c = parseConfig('version: 1\ngateway:\n  call_timeout: 2m\n  max_body: 64K\n', FILE);
    assert.equal(c.gateway.callTimeoutMs, 120_000);
    assert.equal(c.gateway.maxBodyBytes, 65_536);
    assert.match(issuesOf('version: 1\ngateway:\n  call_timeout: soon\n')[0]!.message, /duration/);
  });
});
