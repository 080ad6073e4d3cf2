/** Property tests of the record format and the per-record verifier, without a store. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  GENESIS_HASH,
  RECORD_VERSION,
  canonicalBody,
  normalizeEvent,
  sealRecord,
} from '../../../src/audit/record.ts';
import { canonicalJson } from '../../../src/core/index.ts';
import type { RecordRow } from '../../../src/audit/record.ts';
import { checkRow } from '../../../src/audit/verify.ts';
import type { AuditEventInput } from '../../../src/audit/index.ts';

const COLS = [
  'seq',
  'time',
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
  'body',
] as const;

function toRow(params: unknown[]): RecordRow {
  return Object.fromEntries(COLS.map((c, i) => [c, params[i]])) as RecordRow;
}

const event: fc.Arbitrary<AuditEventInput> = fc.record(
  {
    kind: fc.string({ minLength: 1, maxLength: 20 }),
    principal: fc.string({ maxLength: 300 }),
    tool: fc.string({ unit: 'grapheme', maxLength: 30 }),
    traceId: fc.string({ maxLength: 10 }),
    decision: fc.constantFrom('allow' as const, 'deny' as const),
    args: fc.jsonValue(),
    durationMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    policyIds: fc.array(fc.string(), { maxLength: 3 }),
  },
  { requiredKeys: ['kind'] },
);

function chain(events: AuditEventInput[]): RecordRow[] {
  let prev = GENESIS_HASH;
  return events.map((e, i) => {
    const content = normalizeEvent(e, 1_700_000_000_000 + i);
    if (typeof content === 'string') throw new Error(content);
    const s = sealRecord(content, i + 1, prev);
    prev = s.hash;
    return toRow(s.params);
  });
}

describe('audit chain properties', () => {
  it('the sealed body is the canonical JSON of the event plus v, seq and prevHash (which override)', () => {
    const extra = fc.dictionary(fc.constantFrom('v', 'seq', 'prevHash', 'kind', 'zz', 'a'), fc.jsonValue());
    fc.assert(
      fc.property(extra, fc.nat(), fc.stringMatching(/^[0-9a-f]{64}$/), (content, seq, prev) => {
        assert.equal(
          canonicalBody(content, seq, prev),
          canonicalJson({ ...content, v: RECORD_VERSION, seq, prevHash: prev }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('every sealed chain verifies record by record', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), (events) => {
        let prev = GENESIS_HASH;
        for (const [i, row] of chain(events).entries()) {
          const r = checkRow(row, i + 1, prev);
          assert.ok(!('code' in r), JSON.stringify(r));
          prev = r.hash;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('any single-byte change of a body fails that record', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (events, which, pos, mask) => {
          const rows = chain(events);
          const k = which % rows.length;
          const row = rows[k]!;
          const body = Buffer.from(row.body);
          const i = pos % body.length;
          body[i] = body[i]! ^ mask;
          const prev = k === 0 ? GENESIS_HASH : rows[k - 1]!.hash;
          const r = checkRow({ ...row, body }, k + 1, prev);
          assert.ok('code' in r && r.seq === k + 1, JSON.stringify(r));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects events whose fields have the wrong types and drops unknown fields', () => {
    assert.equal(typeof normalizeEvent({ kind: '' }, 1), 'string');
    assert.equal(typeof normalizeEvent({ kind: 'k', decision: 'maybe' as 'allow' }, 1), 'string');
    assert.equal(typeof normalizeEvent({ kind: 'k', durationMs: Number.NaN }, 1), 'string');
    assert.equal(typeof normalizeEvent({ kind: 'k', time: 1.5 }, 1), 'string');
    assert.equal(typeof normalizeEvent({ kind: 'k', policyIds: [1 as unknown as string] }, 1), 'string');
    assert.deepEqual(normalizeEvent({ kind: 'k', extra: 'x' } as AuditEventInput, 7), { kind: 'k', time: 7 });
  });

  it('reports a flipped digit that overflows a number to Infinity as a bad body, without throwing', () => {
    const [row] = chain([{ kind: 'k', durationMs: 29287.7907032505 }]);
    const body = Buffer.from(row!.body.toString('utf8').replace('29287.790', '29287E790'), 'utf8');
    const r = checkRow({ ...row!, body }, 1, GENESIS_HASH);
    assert.ok('code' in r && r.code === 'bad-body', JSON.stringify(r));
  });
});
