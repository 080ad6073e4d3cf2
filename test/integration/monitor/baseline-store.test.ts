import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BaselineStore, Monitor, parseMonitorConfig } from '../../../src/monitor/index.ts';
import type { MonitorEvent } from '../../../src/monitor/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;
const cfg = parseMonitorConfig({ learning: { minEvents: 20, minDurationMs: 24 * HOUR } });
const ev = (i: number, tool: string, seq = i): MonitorEvent => ({
  seq,
  time: T0 + i * HOUR,
  agent: 'agent-a',
  session: 's1',
  method: 'tools/call',
  server: 'fs',
  tool,
  args: { path: `/work/repo/f${i % 7}` },
  decision: 'allow',
  outcome: 'ok',
  resultBytes: 300,
});

for (const f of await storeFixtures()) {
  describe(`monitor store (${f.name})`, { skip: f.skip }, () => {
    it('[G-ANOM-1] keeps baselines across a restart: a known tool stays known, a new one still alerts', async () => {
      const { store, reopen, cleanup } = await f.open();
      try {
        const m = new Monitor({ config: cfg, store: new BaselineStore(store) });
        await m.start();
        for (let i = 0; i < 60; i++) {
          const e = ev(i, i % 2 ? 'read_file' : 'list_dir');
          m.pre(e);
          m.post(e);
        }
        await m.close();
        await store.close();
        const again = await reopen();
        try {
          const m2 = new Monitor({ config: cfg, store: new BaselineStore(again) });
          await m2.start();
          assert.equal(m2.baseline('agent-a')?.events, 60);
          assert.deepEqual(m2.pre(ev(100, 'read_file')).alerts, []);
          const novel = m2.pre(ev(101, 'delete_file', 4242));
          assert.equal(novel.alerts.length, 1);
          await m2.close();
          const listed = await new BaselineStore(again).recentAlerts(10);
          assert.equal(listed.length, 1);
          assert.equal(listed[0]!.alert.detector, 'first-tool');
          assert.deepEqual(listed[0]!.alert.evidence.auditSeqs, [4242]);
          const after = await new BaselineStore(again).listAlerts({ afterSeq: listed[0]!.seq });
          assert.deepEqual(after, []);
        } finally {
          await again.close();
        }
      } finally {
        await cleanup();
      }
    });

    it('rejects a corrupted stored baseline with a code instead of using it', async () => {
      const { store, cleanup } = await f.open();
      try {
        const bs = new BaselineStore(store);
        await bs.migrate();
        await store.run('INSERT INTO monitor_baselines (agent, data, updated_at) VALUES (?, ?, ?)', [
          'x',
          '{"version":9}',
          0,
        ]);
        await assert.rejects(() => bs.get('x'), { code: 'ERR_MONITOR_BASELINE_CORRUPT' });
        assert.equal(await bs.get('nobody'), undefined);
      } finally {
        await cleanup();
      }
    });
  });
}
