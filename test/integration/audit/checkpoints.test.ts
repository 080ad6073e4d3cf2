/**
 * AU-3: a bare hash chain cannot detect tail truncation or a full rewrite by someone with write
 * access; signed checkpoints kept outside the database can. Each test shows both halves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditError,
  AuditLog,
  CHECKPOINT_LOG_FILE,
  checkpointSignatureOk,
  loadAuditPublicKey,
  PUBLIC_KEY_FILE,
  readCheckpointFile,
  signCheckpoint,
  verifyAuditLog,
} from '../../../src/audit/index.ts';
import type { AuditKeys, VerifyResult } from '../../../src/audit/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { appendMany, openHarness } from '../../fixtures/audit/helpers.ts';
import { hashAt, rewriteFrom, truncateTo } from '../../fixtures/audit/tamper.ts';

function failsAt(r: VerifyResult, seq: number, code: string): void {
  if (r.ok || r.seq !== seq || r.code !== code)
    assert.fail(`expected ${code} at ${seq}, got ${JSON.stringify(r)}`);
}

function attackerKeys(): AuditKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: loadAuditPublicKey(publicKey).keyId };
}

for (const f of await storeFixtures()) {
  describe(`audit checkpoints (${f.name})`, { skip: f.skip }, () => {
    for (const offThread of [false, true]) {
      const where = offThread ? ' (on the commit worker thread)' : '';
      it(`signs checkpoints every N records and on close, into the table and the checkpoint log${where}`, async () => {
        const h = await openHarness(f, { checkpointEvery: { records: 10, ms: 0 }, offThread });
        try {
          for (let i = 0; i < 35; i++) await h.log.append({ kind: 'k', data: { i } });
          await h.log.close();
          const lines = await h.store.query<{ size: number; line: string }>(
            'SELECT size, line FROM audit_checkpoints ORDER BY size',
          );
          const sizes = lines.map((l) => Number(l.size));
          assert.ok(sizes.length >= 3, `checkpoints at ${sizes.join(',')}`);
          assert.equal(sizes.at(-1), 35, 'the close checkpoint covers the head');
          const fromFile = readCheckpointFile(join(h.dir, CHECKPOINT_LOG_FILE));
          assert.deepEqual(
            fromFile.map((c) => c.size),
            sizes,
          );
          const pub = loadAuditPublicKey(join(h.dir, PUBLIC_KEY_FILE)).publicKey;
          for (const cp of fromFile) {
            assert.ok(checkpointSignatureOk(cp, pub));
            assert.equal(cp.hash, await hashAt(h.store, cp.size));
          }
          assert.equal(checkpointSignatureOk({ ...fromFile[0]!, size: fromFile[0]!.size + 1 }, pub), false);
        } finally {
          await h.cleanup();
        }
      });
    }

    it('[AU-3] detects tail truncation against a saved checkpoint, which the bare chain cannot', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 50);
        const saved = await h.log.checkpoint();
        await h.store.transaction(async (tx) => {
          await truncateTo(tx, 40);
          await tx.run('DELETE FROM audit_checkpoints');
        });
        assert.equal((await verifyAuditLog(h.store)).ok, true, 'a bare chain accepts the truncated log');
        failsAt(
          await verifyAuditLog(h.store, { publicKey: h.keys.publicKey, checkpoints: [saved] }),
          41,
          'truncated',
        );
        failsAt(await h.log.verify(), 41, 'truncated'); // the checkpoint log file still has it
        rmSync(join(h.dir, CHECKPOINT_LOG_FILE));
        assert.equal(
          (await h.log.verify()).ok,
          true,
          'without any checkpoint copy the truncation is invisible',
        );
        failsAt(await h.log.verify({ checkpoint: saved }), 41, 'truncated');
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-3] refuses to open a log truncated behind the checkpoint log', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 20);
        await h.log.close(); // final checkpoint at 20
        await truncateTo(h.store, 12);
        await assert.rejects(
          h.restart(),
          (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_TAMPERED' && e.details.seq === 13,
        );
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-3] detects a full rewrite against a saved checkpoint, which the bare chain cannot', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 50);
        const saved = await h.log.checkpoint();
        await h.store.transaction(async (tx) => {
          await rewriteFrom(tx, 10, (b) => (b.args = { path: '/innocent' }));
          await tx.run('DELETE FROM audit_checkpoints');
        });
        rmSync(join(h.dir, CHECKPOINT_LOG_FILE));
        assert.equal((await h.log.verify()).ok, true, 'a re-linked chain verifies on its own');
        const r = await h.log.verify({ checkpoint: saved });
        failsAt(r, 50, 'checkpoint-mismatch');
        assert.match(r.ok ? '' : r.reason, /rewritten/);
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-3] rejects a checkpoint the attacker signed with another key, and a flipped stored one', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const saved = await h.log.checkpoint();
        await rewriteFrom(h.store, 5, (b) => (b.args = { rewritten: true }));
        await h.store.run('UPDATE audit_checkpoints SET line = ?', [
          JSON.stringify(signCheckpoint(attackerKeys(), 30, await hashAt(h.store, 30), Date.now())),
        ]);
        failsAt(await h.log.verify(), 30, 'checkpoint-signature');
        rmSync(join(h.dir, CHECKPOINT_LOG_FILE));
        await h.store.run('DELETE FROM audit_checkpoints');
        failsAt(await h.log.verify({ checkpoint: saved }), 30, 'checkpoint-mismatch');
        const forged = { ...saved, hash: await hashAt(h.store, 30) };
        failsAt(await h.log.verify({ checkpoint: forged }), 30, 'checkpoint-signature');
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-3] detects a truncation followed by new appends against the checkpoint', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const saved = await h.log.checkpoint();
        await h.log.close();
        await truncateTo(h.store, 20);
        rmSync(join(h.dir, CHECKPOINT_LOG_FILE));
        await h.store.run('DELETE FROM audit_checkpoints');
        await h.restart({ checkpointEvery: { records: 0, ms: 0 } });
        await appendMany(h.log, 10, 1000);
        assert.equal((await h.log.verify()).ok, true);
        failsAt(await h.log.verify({ checkpoint: saved }), 30, 'checkpoint-mismatch');
        assert.ok(readFileSync(join(h.dir, 'audit-signing.key')).length > 0);
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-3] fails when a stored checkpoint row is moved to another size', async () => {
      const h = await openHarness(f, { checkpointLog: false });
      try {
        await appendMany(h.log, 10);
        await h.log.checkpoint();
        assert.equal((await h.log.verify()).ok, true);
        await h.store.run('UPDATE audit_checkpoints SET size = 5');
        failsAt(await h.log.verify(), 5, 'checkpoint-signature');
      } finally {
        await h.cleanup();
      }
    });

    it('refuses to open a log whose tail was altered, and verifies with only the public key', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 20);
        await h.log.close();
        const pem = readFileSync(join(h.dir, PUBLIC_KEY_FILE), 'utf8');
        const verifier = await AuditLog.open(h.store, {
          keys: loadAuditPublicKey(pem),
          checkpointLog: join(h.dir, CHECKPOINT_LOG_FILE),
        });
        assert.equal((await verifier.verify()).ok, true);
        assert.equal((await verifier.verify({ publicKey: pem })).checkpoints > 0, true);
        await verifier.close();
        await h.store.run("UPDATE audit_records SET tool = 'other' WHERE seq = 15");
        await assert.rejects(
          h.restart(),
          (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_TAMPERED' && e.details.seq === 15,
        );
      } finally {
        await h.cleanup();
      }
    });
  });
}
