import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  hmacFingerprint,
  loadAuditPublicKey,
  loadOrCreateAuditKeys,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from '../../../src/audit/index.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'warden-audit-keys-'));
}

describe('audit keys', () => {
  it('creates an Ed25519 pair with a 0600 private key and a readable public key, and reloads it', () => {
    const dir = tempDir();
    try {
      const a = loadOrCreateAuditKeys(dir);
      assert.equal(statSync(join(dir, PRIVATE_KEY_FILE)).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, PUBLIC_KEY_FILE)).mode & 0o077, 0o044);
      assert.equal(a.privateKey?.asymmetricKeyType, 'ed25519');
      assert.match(a.keyId, /^ed25519:[0-9a-f]{16}$/);
      const b = loadOrCreateAuditKeys(dir);
      assert.equal(b.keyId, a.keyId);
      assert.equal(loadAuditPublicKey(join(dir, PUBLIC_KEY_FILE)).keyId, a.keyId);
      assert.equal(loadAuditPublicKey(join(dir, PUBLIC_KEY_FILE)).privateKey, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a private key that group or others can read', () => {
    const dir = tempDir();
    try {
      loadOrCreateAuditKeys(dir);
      chmodSync(join(dir, PRIVATE_KEY_FILE), 0o640);
      assert.throws(
        () => loadOrCreateAuditKeys(dir),
        (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_KEY',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key that is not Ed25519', () => {
    const dir = tempDir();
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(join(dir, PRIVATE_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
      assert.throws(() => loadOrCreateAuditKeys(dir), /not an Ed25519 key/);
      assert.throws(() => loadAuditPublicKey(publicKey), /not an Ed25519 key/);
      assert.throws(
        () => loadAuditPublicKey('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'),
        AuditError,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hmacFingerprint', () => {
  it('[AU-8] is deterministic per key, differs across keys and never contains the value', () => {
    const canary = 'sk-live-CANARY-0123456789';
    const a = hmacFingerprint(Buffer.from('key-a'), canary);
    assert.match(a, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.equal(hmacFingerprint(Buffer.from('key-a'), canary), a);
    assert.notEqual(hmacFingerprint(Buffer.from('key-b'), canary), a);
    assert.notEqual(hmacFingerprint(Buffer.from('key-a'), canary + 'x'), a);
    assert.equal(a.includes(canary), false);
    assert.equal(a.includes('CANARY'), false);
  });
});
