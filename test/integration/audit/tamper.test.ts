/**
 * AU-1 and AU-2: every single-byte flip in any stored column, and every deletion, insertion
 * and reordering, makes verify() fail and point at the right record. Each tampering runs in a
 * transaction that is rolled back, and the verifier reads through that transaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditLog } from '../../../src/audit/index.ts';
import type { VerifyResult } from '../../../src/audit/index.ts';
import type { SqlClient, SqlValue, Store } from '../../../src/store/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { appendMany, openHarness } from '../../fixtures/audit/helpers.ts';
import { forgedRow, hashAt, INSERT_FORGED, shiftUp } from '../../fixtures/audit/tamper.ts';

const TEXT_COLUMNS = [
  'kind',
  'principal',
  'session',
  'trace_id',
  'method',
  'server',
  'tool',
  'decision',
  'outcome',
  'prev_hash',
  'hash',
];
const MASKS = [0x01, 0x20, 0x80, 0xff];
const NOT_NULL = new Set(['kind', 'prev_hash', 'hash']);
class Rollback extends Error {}

/**
 * Applies `tamper` inside a transaction, verifies through it, rolls back. `full` verifies from
 * genesis; otherwise from two records before `seq` to one after it (the verifier's anchor mode),
 * which keeps an exhaustive run short: the records outside the window are untouched.
 */
async function tampered(
  store: Store,
  seq: number,
  full: boolean,
  tamper: (tx: SqlClient) => Promise<unknown>,
): Promise<VerifyResult> {
  let result: VerifyResult | undefined;
  const window = full ? {} : { from: Math.max(1, seq - 2), to: seq + 1 };
  await store
    .transaction(async (tx) => {
      await tamper(tx);
      result = await verifyAuditLog(tx, window);
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return result!;
}

function expectFailAt(r: VerifyResult, seq: number, what: string): void {
  if (r.ok || r.seq !== seq) assert.fail(`${what}: expected failure at ${seq}, got ${JSON.stringify(r)}`);
}

type Raw = Record<string, unknown> & { seq: number; body: Buffer; time: number };

async function rows(store: Store): Promise<Raw[]> {
  return store.query<Raw>('SELECT * FROM audit_records ORDER BY seq');
}

/** Flips every byte of every column of every record, one at a time; returns the flip count. */
async function flipEveryByte(store: Store, n: number, fullEvery: number): Promise<number> {
  let flips = 0;
  const check = async (seq: number, what: string, sql: string, params: SqlValue[]): Promise<void> => {
    const r = await tampered(store, seq, flips % fullEvery === 0, (tx) => tx.run(sql, params));
    expectFailAt(r, seq, what);
    flips++;
  };
  for (const row of await rows(store)) {
    const seq = row.seq;
    for (let i = 0; i < row.body.length; i++) {
      const b = Buffer.from(row.body);
      b[i] = b[i]! ^ MASKS[i % MASKS.length]!;
      await check(seq, `body byte ${i} of ${seq}`, 'UPDATE audit_records SET body = ? WHERE seq = ?', [
        b,
        seq,
      ]);
    }
    for (const col of TEXT_COLUMNS) {
      const v = row[col] as string | null;
      const variants: SqlValue[] = v === null ? ['x'] : [...v].map((_, i) => flipChar(v, i));
      if (v !== null && !NOT_NULL.has(col)) variants.push(null);
      for (const nv of variants) {
        await check(seq, `column ${col} of ${seq}`, `UPDATE audit_records SET ${col} = ? WHERE seq = ?`, [
          nv,
          seq,
        ]);
      }
    }
    for (let bit = 0; bit < 44; bit++) {
      const t = row.time & (2 ** bit) ? row.time - 2 ** bit : row.time + 2 ** bit;
      await check(seq, `time bit ${bit} of ${seq}`, 'UPDATE audit_records SET time = ? WHERE seq = ?', [
        t,
        seq,
      ]);
    }
    for (let bit = 0; bit < 20; bit++) {
      const to = seq ^ (1 << bit);
      if (to >= 1 && to <= n) continue; // would collide with another record: see the reorder tests
      await check(seq, `seq bit ${bit} of ${seq}`, 'UPDATE audit_records SET seq = ? WHERE seq = ?', [
        to,
        seq,
      ]);
    }
  }
  return flips;
}

function flipChar(s: string, i: number): string {
  const c = s.charCodeAt(i) ^ MASKS[i % MASKS.length]!;
  const safe = c === 0 || (c >= 0xd800 && c <= 0xdfff) ? s.charCodeAt(i) ^ 1 : c;
  return s.slice(0, i) + String.fromCharCode(safe) + s.slice(i + 1);
}

function smallEvent(i: number): {
  kind: string;
  principal: string;
  tool: string;
  decision: 'allow' | 'deny';
} {
  return { kind: 'mcp.request', principal: `a${i % 3}`, tool: `t${i}`, decision: i % 2 ? 'allow' : 'deny' };
}

// WARDEN_AUDIT_EXHAUSTIVE=1 runs the 1,000-record log of THREATS.md AU-1 on SQLite (minutes).
const EXHAUSTIVE = process.env.WARDEN_AUDIT_EXHAUSTIVE === '1';

for (const f of await storeFixtures()) {
  const n = f.name === 'sqlite' ? (EXHAUSTIVE ? 1000 : 100) : 5;
  describe(`audit tamper detection (${f.name})`, { skip: f.skip }, () => {
    it(`[AU-1] fails at the right record for every single-byte flip in any column of a ${n}-record log`, async () => {
      const h = await openHarness(f);
      try {
        for (let i = 0; i < n; i++) await h.log.append({ ...smallEvent(i), time: 1_700_000_000_000 + i });
        assert.ok((await verifyAuditLog(h.store)).ok);
        const flips = await flipEveryByte(h.store, n, 50);
        assert.ok(flips > n * 100, `only ${flips} flips`);
        assert.ok((await verifyAuditLog(h.store)).ok, 'the untouched log still verifies');
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-2] fails at the deleted record when the first, a middle or the last record is deleted', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        for (const seq of [1, 15, 30]) {
          const r = await tampered(h.store, seq, true, (tx) =>
            tx.run('DELETE FROM audit_records WHERE seq = ?', [seq]),
          );
          expectFailAt(r, seq, `delete ${seq}`);
        }
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-2] fails at the first record after a correctly linked forged insertion', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const r = await tampered(h.store, 16, true, async (tx) => {
          const last = await hashAt(tx, 30);
          await shiftUp(tx, 16, 1);
          await tx.run(INSERT_FORGED, forgedRow(16, await hashAt(tx, 15), Date.now()) as SqlValue[]);
          await tx.run('UPDATE audit_head SET seq = 31, hash = ? WHERE id = 1', [last]);
        });
        expectFailAt(r, 17, 'insert at 16');
        const tail = await tampered(h.store, 31, true, async (tx) => {
          await tx.run(INSERT_FORGED, forgedRow(31, 'ab'.repeat(32), Date.now()) as SqlValue[]);
          await tx.run('UPDATE audit_head SET seq = 31 WHERE id = 1');
        });
        expectFailAt(tail, 31, 'unlinked record appended');
        const stray = await tampered(h.store, 31, true, async (tx) =>
          tx.run(INSERT_FORGED, forgedRow(31, await hashAt(tx, 30), Date.now()) as SqlValue[]),
        );
        expectFailAt(stray, 31, 'record beyond the head');
        const below = await tampered(h.store, 0, true, (tx) =>
          tx.run(INSERT_FORGED, forgedRow(0, '00'.repeat(32), Date.now()) as SqlValue[]),
        );
        expectFailAt(below, 0, 'record at seq 0');
      } finally {
        await h.cleanup();
      }
    });

    it('[AU-2] fails at the first of two swapped records', async () => {
      const h = await openHarness(f);
      try {
        await appendMany(h.log, 30);
        const r = await tampered(h.store, 10, true, async (tx) => {
          await tx.run('UPDATE audit_records SET seq = -10 WHERE seq = 10');
          await tx.run('UPDATE audit_records SET seq = 10 WHERE seq = 11');
          await tx.run('UPDATE audit_records SET seq = 11 WHERE seq = -10');
        });
        expectFailAt(r, 10, 'swap 10 and 11');
        const bodies = await tampered(h.store, 20, true, async (tx) => {
          const [a, b] = await tx.query<{ body: Buffer }>(
            'SELECT body FROM audit_records WHERE seq IN (20, 25) ORDER BY seq',
          );
          await tx.run('UPDATE audit_records SET body = ? WHERE seq = 20', [b!.body]);
          await tx.run('UPDATE audit_records SET body = ? WHERE seq = 25', [a!.body]);
        });
        expectFailAt(bodies, 20, 'swap bodies of 20 and 25');
      } finally {
        await h.cleanup();
      }
    });
  });
}
