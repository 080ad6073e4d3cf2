import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BaselineStore, followAlerts } from '../../../src/monitor/index.ts';
import type { Alert } from '../../../src/monitor/index.ts';
import { sqliteFixture } from '../../helpers/stores.ts';

const alert = (id: string): Alert => ({
  id,
  time: 1,
  severity: 'medium',
  detector: 'first-tool',
  agent: 'a',
  message: id,
  evidence: { auditSeqs: [] },
  mode: 'alert',
  dedupKey: id,
  count: 1,
});

describe('warden alerts --follow', () => {
  it('delivers alerts written after it started, in order, and not the older ones', async () => {
    const { store, cleanup } = await sqliteFixture.open();
    try {
      const bs = new BaselineStore(store);
      await bs.migrate();
      await bs.appendAlerts([alert('old')]);
      const [oldest] = await bs.recentAlerts(1);
      const ac = new AbortController();
      const got: string[] = [];
      const done = followAlerts(bs, {
        afterSeq: oldest!.seq,
        intervalMs: 10,
        signal: ac.signal,
        onAlert: (a) => {
          got.push(a.id);
          if (got.length === 2) ac.abort();
        },
      });
      await bs.appendAlerts([alert('n1'), alert('n2')]);
      await done;
      assert.deepEqual(got, ['n1', 'n2']);
    } finally {
      await cleanup();
    }
  });
});
