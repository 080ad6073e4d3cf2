import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/index.ts';
import type { ConfigIssue, StdioServerConfig } from '../../../src/config/index.ts';

const FILE = '/tmp/warden-test/warden.yaml';
const ENV = { env: { PATH: '/usr/bin:/bin' } };

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, FILE, ENV);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return (e.details.issues as ConfigIssue[]) ?? [];
  }
  assert.fail('expected the configuration to be rejected');
}

const server = (sandbox: string): string =>
  `version: 1\nservers:\n  fs:\n    command: /bin/cat\n${sandbox === '' ? '' : `    sandbox: ${sandbox}\n`}`;

describe('config: the sandbox key of a stdio server (raw; validated by the gateway)', () => {
  it('defaults to sandboxed (an empty mapping) when the key is absent, and keeps a mapping raw', () => {
    const plain = parseConfig(server(''), FILE, ENV).servers[0] as StdioServerConfig;
    assert.deepEqual(plain.sandbox, {});
    const raw = parseConfig(server('{ memory: 256M, allowHosts: [api.example.com] }'), FILE, ENV)
      .servers[0] as StdioServerConfig;
    assert.deepEqual(raw.sandbox, { memory: '256M', allowHosts: ['api.example.com'] });
    const yes = parseConfig(server('true'), FILE, ENV).servers[0] as StdioServerConfig;
    assert.deepEqual(yes.sandbox, {});
  });

  it('keeps an explicit opt-out as false', () => {
    const s = parseConfig(server('false'), FILE, ENV).servers[0] as StdioServerConfig;
    assert.equal(s.sandbox, false);
  });

  it('rejects a value that is neither false nor a mapping, naming servers.<name>.sandbox', () => {
    const [issue] = issuesOf(server('"off"'));
    assert.equal(issue?.path, 'servers.fs.sandbox');
    assert.equal(issue?.line, 5);
    assert.match(issue.message, /false .* or a mapping of sandbox settings/);
  });

  it('rejects sandbox on a remote server (remote servers are not launched)', () => {
    const [issue] = issuesOf(
      'version: 1\nservers:\n  r:\n    url: https://mcp.example.com/mcp\n    sandbox: false\n',
    );
    assert.match(issue?.path ?? '', /^servers\.r/);
    assert.match(issue?.message ?? '', /unknown key "sandbox"/);
  });

  it('reads sandbox_profiles and rejects a bad profile name', () => {
    const c = parseConfig('version: 1\nsandbox_profiles:\n  agent: { memory: 1G }\n', FILE, ENV);
    assert.deepEqual(c.sandboxProfiles, { agent: { memory: '1G' } });
    const [issue] = issuesOf('version: 1\nsandbox_profiles:\n  Bad Name: {}\n');
    assert.match(issue?.path ?? '', /^sandbox_profiles/);
    assert.match(issue?.message ?? '', /profile names/);
  });
});
