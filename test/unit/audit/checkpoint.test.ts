import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  checkpointSignatureOk,
  formatCheckpoint,
  loadAuditPublicKey,
  parseCheckpoint,
  readCheckpointFile,
  signCheckpoint,
} from '../../../src/audit/index.ts';
import type { AuditKeys } from '../../../src/audit/index.ts';

function keys(): AuditKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: loadAuditPublicKey(publicKey).keyId };
}
const HASH = 'ab'.repeat(32);

describe('audit checkpoints', () => {
  it('verifies a signed checkpoint and rejects any changed field or another key', () => {
    const k = keys();
    const cp = signCheckpoint(k, 10, HASH, 1_700_000_000_000);
    assert.equal(checkpointSignatureOk(cp, k.publicKey), true);
    assert.equal(checkpointSignatureOk({ ...cp, size: 11 }, k.publicKey), false);
    assert.equal(checkpointSignatureOk({ ...cp, hash: 'cd'.repeat(32) }, k.publicKey), false);
    assert.equal(checkpointSignatureOk({ ...cp, time: cp.time + 1 }, k.publicKey), false);
    assert.equal(checkpointSignatureOk({ ...cp, origin: 'other' }, k.publicKey), false);
    assert.equal(checkpointSignatureOk({ ...cp, sig: 'AAAA' }, k.publicKey), false);
    assert.equal(checkpointSignatureOk(cp, keys().publicKey), false);
  });

  it('round-trips through its one-line form and rejects malformed checkpoints', () => {
    const cp = signCheckpoint(keys(), 3, HASH, 5);
    const line = formatCheckpoint(cp);
    assert.equal(line.includes('\n'), false);
    assert.deepEqual(parseCheckpoint(line), cp);
    const bad = (text: string): void =>
      assert.throws(
        () => parseCheckpoint(text),
        (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_CHECKPOINT',
      );
    bad('not json');
    bad(JSON.stringify({ ...cp, size: -1 }));
    bad(JSON.stringify({ ...cp, hash: 'XY' }));
    bad(JSON.stringify({ ...cp, extra: 1 }));
    const { sig: _sig, ...unsigned } = cp;
    bad(JSON.stringify(unsigned));
  });

  it('ignores a torn last line of a checkpoint log but not a corrupt line before it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-audit-cp-'));
    try {
      const k = keys();
      const a = formatCheckpoint(signCheckpoint(k, 1, HASH, 1));
      const b = formatCheckpoint(signCheckpoint(k, 2, HASH, 2));
      const path = join(dir, 'cp.log');
      writeFileSync(path, `${a}\n${b}\n${b.slice(0, 20)}`);
      assert.deepEqual(
        readCheckpointFile(path).map((c) => c.size),
        [1, 2],
      );
      writeFileSync(path, `${a}\n${b.slice(0, 20)}\n${b}\n`);
      assert.throws(() => readCheckpointFile(path), /cp\.log:2/);
      assert.deepEqual(readCheckpointFile(join(dir, 'absent.log')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to sign without a private key', () => {
    const k = keys();
    assert.throws(
      () => signCheckpoint({ publicKey: k.publicKey, keyId: k.keyId }, 1, HASH, 1),
      (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_KEY',
    );
  });
});
