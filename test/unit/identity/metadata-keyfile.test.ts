import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IdentityError,
  authorizationServerMetadata,
  hasDuplicateKeys,
  loadOrCreateKeyFile,
  protectedResourceMetadata,
  readKeyFile,
  wwwAuthenticate,
} from '../../../src/identity/index.ts';

describe('discovery metadata', () => {
  const m = { issuer: 'http://127.0.0.1:7420', resource: 'http://127.0.0.1:7420/mcp' };
  it('builds RFC 9728 protected resource metadata naming our one resource and issuer', () => {
    const prm = protectedResourceMetadata(m);
    assert.equal(prm.resource, m.resource);
    assert.deepEqual(prm.authorization_servers, [m.issuer]);
    assert.deepEqual(prm.bearer_methods_supported, ['header']);
    assert.equal(prm.jwks_uri, 'http://127.0.0.1:7420/.well-known/jwks.json');
  });
  it('builds RFC 8414 metadata with the token endpoint, JWKS, grant types and no password or implicit flows', () => {
    const as = authorizationServerMetadata(m);
    assert.equal(as.issuer, m.issuer);
    assert.equal(as.token_endpoint, 'http://127.0.0.1:7420/token');
    assert.deepEqual(as.grant_types_supported, [
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.ok(!as.grant_types_supported.includes('password'));
    assert.deepEqual(as.response_types_supported, []);
    assert.equal(
      wwwAuthenticate('http://x/.well-known/oauth-protected-resource', 'invalid_token'),
      'Bearer resource_metadata="http://x/.well-known/oauth-protected-resource", error="invalid_token"',
    );
  });
});

describe('key-encryption key file', () => {
  it('creates a 0600 key file once and reads the same key back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-kek-'));
    try {
      const p = join(dir, 'identity.key');
      const k1 = loadOrCreateKeyFile(p);
      assert.equal(k1.length, 32);
      assert.equal(statSync(p).mode & 0o777, 0o600);
      assert.deepEqual(loadOrCreateKeyFile(p), k1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses a key file readable by group or others, and a short key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-kek-'));
    try {
      const p = join(dir, 'k');
      writeFileSync(p, Buffer.alloc(32, 1).toString('base64'), { mode: 0o644 });
      chmodSync(p, 0o644);
      assert.throws(
        () => readKeyFile(p),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_KEY_UNAVAILABLE',
      );
      chmodSync(p, 0o600);
      assert.equal(readKeyFile(p).length, 32);
      writeFileSync(p, 'c2hvcnQ=');
      assert.throws(
        () => readKeyFile(p),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_KEY_UNAVAILABLE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('duplicate JSON keys', () => {
  it('[DL-9] finds repeated keys at any depth, including escaped spellings', () => {
    assert.ok(hasDuplicateKeys('{"a":1,"a":2}'));
    assert.ok(hasDuplicateKeys('{"x":{"b":1,"c":[{"d":1,"d":2}]}}'));
    assert.ok(hasDuplicateKeys('{"sub":"a","s\\u0075b":"b"}'));
  });
  it('accepts objects whose keys repeat only across different objects or inside strings', () => {
    assert.ok(!hasDuplicateKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'));
    assert.ok(!hasDuplicateKeys('{"a":"\\"a\\":1,","b":"a"}'));
    assert.ok(!hasDuplicateKeys('[1,2,"x"]'));
  });
});

describe('bootstrap file and ttl flags', () => {
  it('writes a 0600 bootstrap file once and reads it back as a credential', async () => {
    const { createClientAssertion, readBootstrapFile, writeBootstrapFile } =
      await import('../../../src/identity/index.ts');
    const { generateKeyPair, exportJWK } = await import('jose');
    const dir = mkdtempSync(join(tmpdir(), 'warden-boot-'));
    try {
      const p = join(dir, 'agent.json');
      const kp = await generateKeyPair('ES256', { extractable: true });
      const cred = {
        clientId: 'agt_x',
        kid: 'cAAAAAAAAAAAAAAAAAAAAAA',
        privateJwk: await exportJWK(kp.privateKey),
      };
      writeBootstrapFile(p, cred, 'http://127.0.0.1:7420/token');
      assert.equal(statSync(p).mode & 0o777, 0o600);
      assert.throws(
        () => writeBootstrapFile(p, cred, 'x'),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_IDENTITY_CONFIG',
      );
      const back = readBootstrapFile(p);
      assert.equal(back.tokenEndpoint, 'http://127.0.0.1:7420/token');
      assert.match(
        await createClientAssertion(back.credential, { audience: 'http://127.0.0.1:7420/token' }),
        /^ey/,
      );
      chmodSync(p, 0o640);
      assert.throws(
        () => readBootstrapFile(p),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_KEY_UNAVAILABLE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('parses --ttl values and refuses malformed ones', async () => {
    const { parseTtl } = await import('../../../src/identity/index.ts');
    assert.equal(parseTtl('90'), 90);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('1h'), 3600);
    for (const bad of ['0', '-1', '1d', '1.5m', '', 'm'])
      assert.throws(() => parseTtl(bad), IdentityError, bad);
  });
});
