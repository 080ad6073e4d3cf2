/**
 * AU-5 / AU-7 with a real full disk: the SQLite file lives on a 512 KiB tmpfs. Needs root and
 * mount(2); skipped with the reason where the machine cannot mount.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditError, AuditLog, loadOrCreateAuditKeys } from '../../../src/audit/index.ts';
import { openSqlite } from '../../../src/store/index.ts';

function mountTmpfs(dir: string): string | false {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? false : `cannot mount a tmpfs here: ${(r.stderr || r.error?.message || '').trim()}`;
}

const dbDir = mkdtempSync(join(tmpdir(), 'warden-audit-full-'));
const skip = process.getuid?.() === 0 ? mountTmpfs(dbDir) : 'needs root to mount a small tmpfs';

describe('audit on a full disk (sqlite)', { skip }, () => {
  it('[AU-5][AU-7] rejects the append that hits ENOSPC, fails every later one, keeps what was acknowledged', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'warden-audit-keys-'));
    const store = openSqlite(join(dbDir, 'warden.db'));
    try {
      const log = await AuditLog.open(store, { keys: loadOrCreateAuditKeys(keysDir) });
      let acked = 0;
      let failure: unknown;
      for (let i = 0; i < 1000 && failure === undefined; i++) {
        try {
          await log.append({ kind: 'fill', args: { pad: 'x'.repeat(8000), i } });
          acked++;
        } catch (e) {
          failure = e;
        }
      }
      assert.ok(failure instanceof AuditError && failure.code === 'ERR_AUDIT_WRITE', String(failure));
      assert.match(failure.message, /full/i);
      assert.ok(acked > 0);
      assert.equal(log.failed, true);
      await assert.rejects(
        log.append({ kind: 'small' }),
        (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_FAILED',
      );
      const v = await log.verify();
      assert.ok(v.ok && v.records === acked, JSON.stringify(v));
      await log.close();
    } finally {
      await store.close();
      spawnSync('umount', [dbDir]);
      rmSync(dbDir, { recursive: true, force: true });
      rmSync(keysDir, { recursive: true, force: true });
    }
  });
});

if (skip !== false) rmSync(dbDir, { recursive: true, force: true });
