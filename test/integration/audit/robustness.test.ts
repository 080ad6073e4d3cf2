/** AU-4, AU-5/AU-7, AU-9, multi-process appends, follow and export, on both adapters. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ManualClock } from '../../../src/core/index.ts';
import { AuditError, AuditLog, formatRecord } from '../../../src/audit/index.ts';
import type { AuditRecord } from '../../../src/audit/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { appendMany, openHarness, sampleEvent } from '../../fixtures/audit/helpers.ts';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\r\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f\u2028\u2029\u202e]/;

const NASTY = [
  'line1\r\nline2',
  '\u001b[2J\u001b[31mred',
  '"quoted" \\ back\\slash',
  'nul\u0000byte',
  'sep\u2028\u2029',
  'lone\uD800surrogate',
  'bidi\u202Eevil',
  '{"kind":"forged"}\n{"seq":1}',
  '😀 ünïcödé',
];

function isCode(code: string) {
  return (e: unknown) => e instanceof AuditError && e.code === code;
}

async function injectFault(store: Store): Promise<void> {
  if (store.dialect === 'sqlite') {
    await store.run(
      "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
    );
    return;
  }
  await store.run(
    "CREATE FUNCTION audit_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'No space left on device (injected)'; END $$ LANGUAGE plpgsql",
  );
  await store.run(
    'CREATE TRIGGER audit_fault BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_fault()',
  );
}

async function removeFault(store: Store): Promise<void> {
  await store.run(
    store.dialect === 'sqlite' ? 'DROP TRIGGER audit_fault' : 'DROP TRIGGER audit_fault ON audit_records',
  );
}

for (const f of await storeFixtures()) {
  describe(`audit robustness (${f.name})`, { skip: f.skip }, () => {
    it('[AU-4] keeps records with CR/LF, ANSI, quotes, NUL and bidi controls valid and verifying', async () => {
      const h = await openHarness(f);
      try {
        const recs: AuditRecord[] = [];
        for (const s of NASTY) {
          recs.push(
            await h.log.append({
              kind: s,
              principal: s,
              server: s,
              tool: s,
              method: s,
              args: { [s]: s },
              reasons: [s],
            }),
          );
        }
        const v = await h.log.verify();
        assert.ok(v.ok, JSON.stringify(v));
        for (const r of recs) assert.deepEqual(await h.log.get(r.seq), r);
        const out = new PassThrough();
        let text = '';
        out.setEncoding('utf8').on('data', (d: string) => (text += d));
        assert.equal(await h.log.exportJsonl(out), NASTY.length);
        out.end();
        const lines = text.split('\n').filter(Boolean);
        assert.equal(lines.length, NASTY.length, 'one line per record');
        for (const [i, line] of lines.entries()) {
          assert.equal(RAW_CONTROL.test(line), false, 'no raw control characters in JSONL');
          const obj = JSON.parse(line) as { seq: number; tool: string; hash: string };
          assert.equal(obj.seq, i + 1);
          assert.equal(obj.tool, NASTY[i]);
          assert.equal(obj.hash, recs[i]!.hash);
        }
        for (const r of recs) {
          const line = formatRecord(r);
          assert.equal(UNSAFE_IN_LINE.test(line), false, `unsafe char in ${JSON.stringify(line)}`);
        }
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-5][AU-7] rejects appends when the store fails and stays failed until restart', async () => {
      const failures: AuditError[] = [];
      const h = await openHarness(f, { onFailure: (e) => failures.push(e) });
      try {
        await appendMany(h.log, 3);
        assert.equal(failures.length, 0);
        const other = await h.reopenStore();
        await injectFault(other);
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => h.log.append(sampleEvent(i))),
        );
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          assert.ok(isCode('ERR_AUDIT_WRITE')(r.reason) || isCode('ERR_AUDIT_FAILED')(r.reason));
        }
        assert.equal(h.log.failed, true);
        assert.equal(failures.length, 1, 'the owner is told once');
        assert.equal(failures[0]!.code, 'ERR_AUDIT_WRITE');
        await removeFault(other);
        await assert.rejects(
          h.log.append(sampleEvent(9)),
          isCode('ERR_AUDIT_FAILED'),
          'no retry-and-carry-on',
        );
        await h.restart();
        assert.equal(h.log.failed, false);
        const r = await h.log.append(sampleEvent(10));
        assert.equal(r.seq, 4, 'no rejected event was stored');
        assert.ok((await h.log.verify()).ok);
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-5] rejects appends once the store is closed underneath the log', async () => {
      const h = await openHarness(f);
      try {
        await h.log.append(sampleEvent(1));
        await h.store.close();
        await assert.rejects(h.log.append(sampleEvent(2)), isCode('ERR_AUDIT_WRITE'));
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-9] flags a timestamp that goes backwards as a warning and keeps seq authoritative', async () => {
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const h = await openHarness(f, { clock });
      try {
        await h.log.append({ kind: 'a' });
        clock.set(Date.UTC(2020, 0, 1));
        const r = await h.log.append({ kind: 'b' });
        assert.equal(r.seq, 2);
        const v = await h.log.verify();
        assert.ok(v.ok);
        assert.deepEqual(
          v.warnings.map((w) => w.seq),
          [2],
        );
        clock.set(Date.UTC(2026, 5, 2));
        await h.log.append({ kind: 'c' });
        assert.equal((await h.log.verify()).warnings.length, 1, 'a forward clock is not flagged');
      } finally {
        await h.cleanup();
      }
    });

    // Two SQLite connections in one process deadlock on the write lock (better-sqlite3 waits
    // synchronously); the two-process SQLite case is in crash.test.ts.
    const inProcess = f.name === 'sqlite' ? 'SQLite: one writer connection per process' : false;
    it(
      'extends one chain from two writers on two connections without forking',
      { skip: inProcess },
      async () => {
        const h = await openHarness(f);
        try {
          const store2 = await h.reopenStore();
          const log2 = await AuditLog.open(store2, { keys: h.keys });
          const [a, b] = await Promise.all([
            Promise.all(Array.from({ length: 300 }, (_, i) => h.log.append(sampleEvent(i)))),
            Promise.all(Array.from({ length: 300 }, (_, i) => log2.append(sampleEvent(1000 + i)))),
          ]);
          await log2.close();
          const all = [...a, ...b].map((r) => r.seq).sort((x, y) => x - y);
          assert.deepEqual(
            all,
            Array.from({ length: 600 }, (_, i) => i + 1),
          );
          const v = await h.log.verify();
          assert.ok(v.ok, JSON.stringify(v));
          assert.equal(v.records, 600);
        } finally {
          await h.cleanup();
        }
      },
    );

    it('follows appends made through another connection, in order, until stopped', async () => {
      const h = await openHarness(f);
      try {
        const store2 = await h.reopenStore();
        const writer = await AuditLog.open(store2, { keys: h.keys });
        const seen: number[] = [];
        let done!: () => void;
        const got = new Promise<void>((r) => (done = r));
        const stop = h.log.follow(
          1,
          (r) => {
            seen.push(r.seq);
            if (seen.length === 20) done();
          },
          10,
        );
        await appendMany(writer, 20);
        await got;
        stop();
        await appendMany(writer, 5, 100);
        await new Promise((r) => setTimeout(r, 50));
        await writer.close();
        assert.deepEqual(
          seen,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      } finally {
        await h.cleanup();
      }
    });

    it('flushes pending appends on close and rejects appends after it', async () => {
      const h = await openHarness(f);
      try {
        const pending = Array.from({ length: 100 }, (_, i) => h.log.append(sampleEvent(i)));
        await h.log.close();
        assert.equal((await Promise.all(pending)).length, 100);
        await assert.rejects(h.log.append(sampleEvent(1)), isCode('ERR_AUDIT_CLOSED'));
        assert.equal((await h.log.tail(1))[0]!.seq, 100);
      } finally {
        await h.cleanup();
      }
    });
  });
}
