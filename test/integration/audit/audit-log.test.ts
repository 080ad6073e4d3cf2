import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError, AuditLog, GENESIS_HASH } from '../../../src/audit/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { appendMany, openHarness, sampleEvent } from '../../fixtures/audit/helpers.ts';

/** The same store, counting transactions (a wrapper, not a mock: every call reaches the store). */
function countTransactions(store: Store): { store: Store; count: () => number } {
  let n = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (fn: Parameters<Store['transaction']>[0]) => {
          n++;
          return target.transaction(fn);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, count: () => n };
}

for (const f of await storeFixtures()) {
  describe(`audit log (${f.name})`, { skip: f.skip }, () => {
    it('appends records that chain from genesis and verify', async () => {
      const h = await openHarness(f);
      try {
        const r1 = await h.log.append(sampleEvent(1));
        const r2 = await h.log.append(sampleEvent(2));
        assert.equal(r1.seq, 1);
        assert.equal(r1.prevHash, GENESIS_HASH);
        assert.equal(r2.seq, 2);
        assert.equal(r2.prevHash, r1.hash);
        assert.deepEqual(await h.log.get(2), r2);
        assert.deepEqual(await h.log.head(), { seq: 2, hash: r2.hash });
        const v = await h.log.verify();
        assert.equal(v.ok, true);
        assert.equal(v.records, 2);
      } finally {
        await h.cleanup();
      }
    });

    it('commits 1,000 concurrent appends as 1,000 gap-free records that verify', async () => {
      const h = await openHarness(f);
      try {
        const recs = await Promise.all(Array.from({ length: 1000 }, (_, i) => h.log.append(sampleEvent(i))));
        const seqs = recs.map((r) => r.seq).sort((a, b) => a - b);
        assert.deepEqual(
          seqs,
          Array.from({ length: 1000 }, (_, i) => i + 1),
        );
        const stored = await h.log.range(1, 2000);
        assert.equal(stored.length, 1000);
        assert.deepEqual(
          stored.map((r) => r.seq),
          seqs,
        );
        const v = await h.log.verify();
        assert.ok(v.ok, JSON.stringify(v));
        assert.equal(v.records, 1000);
      } finally {
        await h.cleanup();
      }
    });

    it('continues the same chain after a restart', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 10);
        await h.restart();
        const r = await h.log.append(sampleEvent(99));
        assert.equal(r.seq, 11);
        assert.equal(r.prevHash, (await h.log.get(10))!.hash);
        assert.ok((await h.log.verify()).ok);
      } finally {
        await h.cleanup();
      }
    });

    it('reads back tail and range in seq order and returns undefined for an absent seq', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 20);
        assert.deepEqual(
          (await h.log.tail(3)).map((r) => r.seq),
          [18, 19, 20],
        );
        assert.deepEqual(
          (await h.log.range(5, 3)).map((r) => r.seq),
          [5, 6, 7],
        );
        assert.equal(await h.log.get(21), undefined);
      } finally {
        await h.cleanup();
      }
    });

    it('rejects an event that is not JSON-serialisable without recording it or breaking the log', async () => {
      const h = await openHarness(f);
      try {
        const bad = h.log.append({ kind: 'x', args: { n: 10n } });
        const good = h.log.append({ kind: 'y' });
        await assert.rejects(bad, (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_INPUT');
        assert.equal((await good).seq, 1);
        await assert.rejects(
          h.log.append({ kind: 'x', principal: 5 as unknown as string }),
          (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_INPUT',
        );
        assert.equal((await h.log.append({ kind: 'z' })).seq, 2);
        assert.ok((await h.log.verify()).ok);
      } finally {
        await h.cleanup();
      }
    });

    it('group-commits appends that arrive in separate event-loop callbacks into one transaction', async () => {
      const h = await openHarness(f);
      try {
        const c = countTransactions(h.store);
        const log = await AuditLog.open(c.store, { keys: h.keys, checkpointLog: false });
        const before = c.count();
        const arrivals = Array.from(
          { length: 32 },
          (_, i) =>
            new Promise((resolve, reject) =>
              setImmediate(() => {
                log.append(sampleEvent(i)).then(resolve, reject);
              }),
            ),
        );
        await Promise.all(arrivals);
        assert.ok(c.count() - before <= 2, `${c.count() - before} transactions for 32 appends`);
        const seq = c.count();
        for (let i = 0; i < 3; i++) await log.append(sampleEvent(i));
        assert.equal(c.count() - seq, 3, 'sequential appends each commit on their own');
        await log.close();
        assert.ok((await log.verify()).ok);
      } finally {
        await h.cleanup();
      }
    });
  });
}
