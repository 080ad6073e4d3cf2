import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/index.ts';

const FILE = '/etc/warden/warden.yaml';
const parse = (text: string) => parseConfig(`version: 1\n${text}`, FILE, { env: { PATH: '/usr/bin:/bin' } });
const refused = (text: string, re: RegExp) =>
  assert.throws(
    () => parse(text),
    (e: unknown) => e instanceof ConfigError && re.test(e.message),
  );

describe('identity configuration', () => {
  it('defaults to bootstrap-only API keys, 5 min tokens capped at 15 min, 30 s leeway', () => {
    const c = parse('');
    assert.equal(c.identity.apiKeys, 'bootstrap');
    assert.equal(c.identity.tokenTtlSec, 300);
    assert.equal(c.identity.maxTokenTtlSec, 900);
    assert.equal(c.identity.leewaySec, 30);
    assert.equal(c.identity.maxDelegationDepth, 4);
    assert.deepEqual(c.identity.delegate, []);
  });

  it('[DL-11] refuses a leeway over 60 s; 60 s is allowed', () => {
    refused('identity:\n  leeway: 61s\n', /identity\.leeway: leeway must be at most 60s \(THREATS DL-11\)/);
    assert.equal(parse('identity:\n  leeway: 60s\n').identity.leewaySec, 60);
  });

  it('refuses a token TTL above the cap and a cap above 1 h; within them is allowed', () => {
    refused(
      'identity:\n  token_ttl: 20m\n',
      /identity\.token_ttl: token_ttl must be within 1s\.\.max_token_ttl/,
    );
    refused('identity:\n  max_token_ttl: 2h\n', /max_token_ttl must be within 1s\.\.1h/);
    const c = parse('identity:\n  token_ttl: 20m\n  max_token_ttl: 1h\n');
    assert.equal(c.identity.tokenTtlSec, 1200);
  });

  it('[DL-8] refuses a delegation depth over 8 and an unknown key', () => {
    refused('identity:\n  max_delegation_depth: 9\n', /identity\.max_delegation_depth/);
    refused('identity:\n  api_key: direct\n', /unknown key "api_key"/);
    refused('identity:\n  api_keys: always\n', /identity\.api_keys/);
  });

  it('resolves a delegate command on PATH; a relative path or a shell line is refused', () => {
    const c = parse(
      'identity:\n  delegate:\n    lead:\n      command: sh\n      args: ["-c", "true"]\n      timeout: 30s\n',
    );
    assert.equal(c.identity.delegate[0]?.role, 'lead');
    assert.match(c.identity.delegate[0]?.command ?? '', /^\/.*\/sh$/);
    assert.equal(c.identity.delegate[0]?.timeoutMs, 30_000);
    refused(
      'identity:\n  delegate:\n    lead:\n      command: ./agent\n',
      /identity\.delegate\.lead\.command: command must be an absolute path/,
    );
    refused(
      'identity:\n  delegate:\n    lead:\n      command: "agent --x; rm"\n',
      /one program, not a shell line/,
    );
    refused(
      'identity:\n  delegate:\n    lead:\n      command: no-such-agent-xyz\n',
      /identity\.delegate\.lead\.command: no-such-agent-xyz was not found on PATH/,
    );
  });
});
