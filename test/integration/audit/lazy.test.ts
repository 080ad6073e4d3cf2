/**
 * Lazy appends (the gateway's "completed" records): they join the next urgent batch instead of
 * starting a commit of their own, yet keep the same contract: durable when the promise
 * resolves (AU-5), in the chain in append order, and never lost on close (AU-6).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sqliteFixture } from '../../helpers/stores.ts';
import { openHarness, sampleEvent } from '../../fixtures/audit/helpers.ts';

for (const offThread of [false, true]) {
  describe(`lazy audit appends (${offThread ? 'worker thread' : 'inline'})`, () => {
    it('[AU-5] a lazy record alone is committed on its own and resolves with its place in the chain', async () => {
      const h = await openHarness(sqliteFixture, { offThread });
      try {
        const rec = await h.log.append(sampleEvent(1), { lazy: true });
        assert.equal(rec.seq, 1);
        assert.deepEqual(await h.log.get(1), rec);
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-5] a lazy record joins the next urgent record ahead of it, in append order', async () => {
      const h = await openHarness(sqliteFixture, { offThread });
      try {
        const lazy = h.log.append(sampleEvent(1), { lazy: true });
        const urgent = await h.log.append(sampleEvent(2));
        const early = await lazy;
        assert.deepEqual(
          [early.seq, urgent.seq],
          [1, 2],
          'the lazy record keeps its place before the urgent one',
        );
        assert.equal(urgent.prevHash, early.hash);
        const v = await h.log.verify();
        assert.ok(v.ok && v.records === 2, JSON.stringify(v));
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-6] flush and close commit lazy records at once: none is lost', async () => {
      const h = await openHarness(sqliteFixture, { offThread });
      try {
        const a = h.log.append(sampleEvent(1), { lazy: true });
        await h.log.flush();
        assert.equal((await a).seq, 1);
        assert.ok((await h.log.get(1)) !== undefined, 'flushed');
        const b = h.log.append(sampleEvent(2), { lazy: true });
        await h.restart();
        assert.equal((await b).seq, 2);
        const v = await h.log.verify();
        assert.ok(v.ok && v.records === 2, JSON.stringify(v));
      } finally {
        await h.cleanup();
      }
    });
  });
}
