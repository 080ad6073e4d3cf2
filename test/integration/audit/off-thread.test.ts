/**
 * The audit log committing on a worker thread (AuditLogOptions.offThread, what the gateway
 * uses on SQLite): same chain, same durability contract (AU-5), same fail-closed behaviour
 * (AU-7), and two writers in one process no longer deadlock on the write lock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditError, AuditLog } from '../../../src/audit/index.ts';
import { openSqlite } from '../../../src/store/index.ts';
import { sqliteFixture } from '../../helpers/stores.ts';
import { appendMany, openHarness, sampleEvent } from '../../fixtures/audit/helpers.ts';

const isCode = (code: string) => (e: unknown) => e instanceof AuditError && e.code === code;

describe('audit log committing off the event loop (sqlite worker thread)', () => {
  it('[AU-5] acknowledges each record once committed: records read back equal, the chain verifies', async () => {
    const h = await openHarness(sqliteFixture, { offThread: true });
    try {
      const recs = await Promise.all(Array.from({ length: 500 }, (_, i) => h.log.append(sampleEvent(i))));
      assert.deepEqual(
        recs.map((r) => r.seq).sort((a, b) => a - b),
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
      for (const r of [recs[0]!, recs[250]!, recs[499]!]) assert.deepEqual(await h.log.get(r.seq), r);
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 500, JSON.stringify(v));
      // survives a restart on the inline path too: both write the same format
      await h.restart({ offThread: false });
      await appendMany(h.log, 10, 500);
      assert.equal((await h.log.verify()).records, 510);
    } finally {
      await h.cleanup();
    }
  });

  it('extends one chain from two off-thread writers on one file in one process without forking', async () => {
    const h = await openHarness(sqliteFixture, { offThread: true });
    try {
      const log2 = await AuditLog.open(await h.reopenStore(), { keys: h.keys, offThread: true });
      const [a, b] = await Promise.all([
        Promise.all(Array.from({ length: 300 }, (_, i) => h.log.append(sampleEvent(i)))),
        Promise.all(Array.from({ length: 300 }, (_, i) => log2.append(sampleEvent(1000 + i)))),
      ]);
      await log2.close();
      assert.deepEqual(
        [...a, ...b].map((r) => r.seq).sort((x, y) => x - y),
        Array.from({ length: 600 }, (_, i) => i + 1),
      );
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 600, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('[AU-7] a failed commit rejects its batch, fails every later append, keeps what was acknowledged', async () => {
    let failures = 0;
    const h = await openHarness(sqliteFixture, { offThread: true, onFailure: () => failures++ });
    try {
      await appendMany(h.log, 20);
      await h.store.run(
        "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
      );
      await assert.rejects(h.log.append({ kind: 'x' }), (e: unknown) => {
        assert.ok(isCode('ERR_AUDIT_WRITE')(e), String(e));
        assert.match((e as Error).message, /disk I\/O error \(injected\)/);
        return true;
      });
      assert.equal(h.log.failed, true);
      assert.equal(failures, 1);
      await h.store.run('DROP TRIGGER audit_fault');
      await assert.rejects(h.log.append({ kind: 'y' }), isCode('ERR_AUDIT_FAILED'));
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 20, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('commits records appended over many event-loop turns (pipelined) in the order they were appended', async () => {
    const h = await openHarness(sqliteFixture, { offThread: true });
    try {
      const pending: Promise<{ seq: number }>[] = [];
      for (let turn = 0; turn < 60; turn++) {
        for (let j = 0; j < 3; j++) pending.push(h.log.append(sampleEvent(turn * 3 + j)));
        await new Promise<void>((r) => setImmediate(r));
      }
      const seqs = (await Promise.all(pending)).map((r) => r.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 180 }, (_, i) => i + 1),
      );
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 180, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('[AU-7] batches sent while a failing commit runs fail with it: nothing after the failure is committed', async () => {
    let failures = 0;
    const h = await openHarness(sqliteFixture, { offThread: true, onFailure: () => failures++ });
    try {
      await appendMany(h.log, 20);
      // Only the first batch's record fails to insert: a later batch would commit if the worker
      // did not stop the chain at the first failure.
      await h.store.run(
        "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_records WHEN NEW.kind = 'x' BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
      );
      // Settled at once: a later append may be refused before allSettled would see it.
      const settle = (p: Promise<unknown>) =>
        p.then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        );
      // Three records in one turn: too many for the quiet (inline) path, so this batch goes to
      // the worker, and the later ones are sent while it runs.
      const quietBefore = h.log.quietCommits;
      const pending = [1, 2, 3].map(() => settle(h.log.append({ kind: 'x' })));
      for (let turn = 0; turn < 5; turn++) {
        await new Promise<void>((r) => setImmediate(r));
        pending.push(settle(h.log.append({ kind: 'y' })));
      }
      const results = await Promise.all(pending);
      const first = results[0]!;
      assert.equal(h.log.quietCommits, quietBefore, 'the failing batch went to the worker');
      assert.ok(
        first.status === 'rejected' && isCode('ERR_AUDIT_WRITE')(first.reason),
        JSON.stringify(first),
      );
      for (const r of results.slice(1)) {
        assert.ok(
          r.status === 'rejected' &&
            (isCode('ERR_AUDIT_WRITE')(r.reason) || isCode('ERR_AUDIT_FAILED')(r.reason)),
          JSON.stringify(r),
        );
      }
      assert.equal(failures, 1);
      assert.equal(h.log.failed, true);
      await h.store.run('DROP TRIGGER audit_fault');
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 20, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('commits sparse appends on the event loop and bursts on the worker: one chain, in order, durable', async () => {
    const h = await openHarness(sqliteFixture, { offThread: true });
    const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    try {
      const seqs: number[] = [];
      for (let round = 0; round < 5; round++) {
        await pause(3);
        seqs.push((await h.log.append(sampleEvent(round * 100))).seq);
        await pause(3);
        seqs.push((await h.log.append(sampleEvent(round * 100 + 1))).seq);
        const quietBefore = h.log.quietCommits;
        const burst = await Promise.all(
          Array.from({ length: 40 }, (_, i) => h.log.append(sampleEvent(round * 100 + 2 + i))),
        );
        seqs.push(...burst.map((r) => r.seq));
        assert.equal(h.log.quietCommits, quietBefore, 'a burst goes to the worker');
      }
      assert.ok(h.log.quietCommits >= 8, `sparse appends committed inline: ${h.log.quietCommits}`);
      assert.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, i) => i + 1),
      );
      await h.restart({ offThread: true });
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === seqs.length, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('[AU-7] a failed inline (quiet) commit fails the log like a failed worker commit', async () => {
    let failures = 0;
    const h = await openHarness(sqliteFixture, { offThread: true, onFailure: () => failures++ });
    try {
      await appendMany(h.log, 5);
      await h.store.run(
        "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_records WHEN NEW.kind = 'x' BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
      );
      await new Promise((r) => setTimeout(r, 3));
      const quietBefore = h.log.quietCommits;
      await assert.rejects(h.log.append({ kind: 'x' }), isCode('ERR_AUDIT_WRITE'));
      assert.equal(h.log.quietCommits, quietBefore + 1, 'the failing batch was the quiet path');
      await assert.rejects(h.log.append({ kind: 'y' }), isCode('ERR_AUDIT_FAILED'));
      assert.equal(failures, 1);
      await h.store.run('DROP TRIGGER audit_fault');
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 5, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('refuses only the event that cannot cross to the worker or is too large; the rest of its batch commits', async () => {
    const h = await openHarness(sqliteFixture, { offThread: true, maxRecordBytes: 4096 });
    try {
      const results = await Promise.allSettled([
        h.log.append({ kind: 'a' }),
        h.log.append({ kind: 'b', data: { f: () => 1 } }),
        h.log.append({ kind: 'c', args: { pad: 'x'.repeat(5000) } }),
        h.log.append({ kind: 'd' }),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[3].status, 'fulfilled');
      for (const i of [1, 2]) {
        const r = results[i]!;
        assert.ok(r.status === 'rejected' && isCode('ERR_AUDIT_INPUT')(r.reason), JSON.stringify(r));
      }
      assert.match(String((results[2] as PromiseRejectedResult).reason), /over the 4096-byte limit/);
      assert.equal(h.log.failed, false);
      const v = await h.log.verify();
      assert.ok(v.ok && v.records === 2, JSON.stringify(v));
    } finally {
      await h.cleanup();
    }
  });

  it('does not keep an idle process alive, and a process that exits right after an append keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-audit-exit-'));
    const src = new URL('../../../src/', import.meta.url).href;
    const script = `
      const { AuditLog, loadOrCreateAuditKeys } = await import(${JSON.stringify(src + 'audit/index.ts')});
      const { openSqlite } = await import(${JSON.stringify(src + 'store/index.ts')});
      const log = await AuditLog.open(openSqlite(${JSON.stringify(join(dir, 'w.db'))}), {
        keys: loadOrCreateAuditKeys(${JSON.stringify(dir)}), offThread: true, checkpointEvery: { records: 1000, ms: 0 } });
      const r = await log.append({ kind: 'last words' });
      process.stdout.write(String(r.seq));
      // no close(): the worker must not hold the process open
    `;
    try {
      const child = spawn(
        process.execPath,
        ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0, err);
      assert.equal(out, '1');
      const store = openSqlite(join(dir, 'w.db'));
      const rows = await store.query<{ kind: string }>('SELECT kind FROM audit_records');
      await store.close();
      assert.deepEqual(
        rows.map((r) => r.kind),
        ['last words'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
