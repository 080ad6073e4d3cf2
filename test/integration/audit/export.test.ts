/** Offline verification of a JSONL export against the public key and saved checkpoints. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { verifyJsonlExport } from '../../../src/audit/index.ts';
import type { AuditLog, VerifyResult } from '../../../src/audit/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { appendMany, openHarness } from '../../fixtures/audit/helpers.ts';

async function exportLines(log: AuditLog, range: { from?: number; to?: number } = {}): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  await log.exportJsonl(out, range);
  out.end();
  return text.split('\n').filter(Boolean);
}

function failsAt(r: VerifyResult, seq: number, code: string): void {
  if (r.ok || r.seq !== seq || r.code !== code)
    assert.fail(`expected ${code} at ${seq}, got ${JSON.stringify(r)}`);
}

for (const f of await storeFixtures()) {
  describe(`audit export verification (${f.name})`, { skip: f.skip }, () => {
    it('verifies a full export against signed checkpoints and a partial one from its first link', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const cp = await h.log.checkpoint();
        const lines = await exportLines(h.log);
        const opts = { publicKey: h.keys.publicKey, checkpoints: [cp], complete: true };
        const full = await verifyJsonlExport(lines, opts);
        assert.ok(full.ok && full.records === 30 && full.checkpoints === 1, JSON.stringify(full));
        assert.equal(full.ok && full.head, cp.hash);
        const part = await verifyJsonlExport(await exportLines(h.log, { from: 10, to: 20 }), {
          publicKey: h.keys.publicKey,
          checkpoints: [cp],
        });
        assert.ok(part.ok && part.records === 20, JSON.stringify(part));
      } finally {
        await h.cleanup();
      }
    });

    it('fails at the edited, deleted or reordered line and on a truncated export', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const cp = await h.log.checkpoint();
        const lines = await exportLines(h.log);
        const opts = { publicKey: h.keys.publicKey, checkpoints: [cp], complete: true };
        const edited = [...lines];
        edited[4] = edited[4]!.replace('"server":"fs"', '"server":"fx"');
        assert.notEqual(edited[4], lines[4]);
        failsAt(await verifyJsonlExport(edited, opts), 5, 'bad-hash');
        failsAt(await verifyJsonlExport([...lines.slice(0, 9), ...lines.slice(10)], opts), 10, 'missing');
        const swapped = [...lines];
        [swapped[11], swapped[12]] = [swapped[12]!, swapped[11]!];
        assert.equal((await verifyJsonlExport(swapped, opts)).ok, false);
        failsAt(await verifyJsonlExport(lines.slice(0, 25), opts), 26, 'truncated');
        failsAt(await verifyJsonlExport([lines[0]!, 'not json'], opts), 2, 'bad-body');
      } finally {
        await h.cleanup();
      }
    });
  });
}
