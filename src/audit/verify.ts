/**
 * The verifier: walks the chain from seq 1 (or from a trusted anchor), re-hashes every stored
 * body, re-derives every column from it, and checks every signed checkpoint against the chain.
 * It reports the FIRST bad record. It needs only read access and the public key.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import { checkpointSignatureOk, parseCheckpoint } from './checkpoint.ts';
import { chainHash, COLUMNS, DERIVED, GENESIS_HASH, projectColumn, toBuffer } from './record.ts';
import type { RecordRow } from './record.ts';
import type { Checkpoint, VerifyFailureCode, VerifyResult, VerifyWarning } from './types.ts';

export interface VerifyOptions {
  /** Checks checkpoint signatures; without it, checkpoints are not used (and a warning says so). */
  readonly publicKey?: KeyObject;
  /** Checkpoints kept outside the database (a witness copy, `--checkpoint FILE`). */
  readonly checkpoints?: readonly Checkpoint[];
  /** Also check the checkpoints stored in audit_checkpoints (default true). */
  readonly storedCheckpoints?: boolean;
  /** Start at this seq, trusting the stored hash of seq-1 as the anchor (tail checks). */
  readonly from?: number;
  /** Stop after this seq (a partial check: the head and truncation checks are skipped). */
  readonly to?: number;
  readonly pageSize?: number;
}

type Failure = { seq: number; code: VerifyFailureCode; reason: string };
const MAX_WARNINGS = 100;
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM audit_records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`;

export async function verifyAuditLog(db: SqlClient, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const warnings: VerifyWarning[] = [];
  const cps = await collectCheckpoints(db, opts, warnings);
  const fail = (f: Failure, records: number): VerifyResult => ({
    ok: false,
    ...f,
    records,
    checkpoints: cps.checked,
    warnings,
  });
  if (cps.failure) return fail(cps.failure, 0);
  const headRows = await db.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1',
  );
  const head = headRows[0] ?? { seq: 0, hash: GENESIS_HASH };
  const from = Math.max(1, opts.from ?? 1);
  let prev = await anchor(db, from);
  let expected = from;
  let lastTime = Number.NEGATIVE_INFINITY;
  const pageSize = opts.pageSize ?? 2000;
  const last = Math.min(head.seq, opts.to ?? head.seq);
  for (;;) {
    const rows = await db.query<RecordRow>(SELECT, [expected - 1, last, pageSize]);
    for (const row of rows) {
      const r = checkRow(row, expected, prev);
      if ('code' in r) return fail(r, expected - 1);
      if (r.time < lastTime && warnings.length < MAX_WARNINGS) {
        warnings.push({ seq: expected, reason: 'timestamp earlier than the previous record (AU-9)' });
      }
      lastTime = r.time;
      const cp = cps.bySize.get(expected);
      if (cp !== undefined && cp.hash !== r.hash) {
        return fail({ seq: expected, code: 'checkpoint-mismatch', reason: rewriteReason(cp, cps) }, expected);
      }
      prev = r.hash;
      expected++;
    }
    if (rows.length < pageSize) break;
  }
  const size = expected - 1;
  if (last < head.seq) return { ok: true, records: size, head: prev, checkpoints: cps.checked, warnings };
  if (size < head.seq) {
    return fail(
      { seq: expected, code: 'missing', reason: `record ${expected} is missing (head says ${head.seq})` },
      size,
    );
  }
  if (head.seq >= from && head.hash !== prev) {
    return fail(
      { seq: head.seq, code: 'head-mismatch', reason: 'the head row disagrees with the last record' },
      size,
    );
  }
  const stray = await strayRow(db);
  if (stray !== undefined) {
    return fail({ seq: stray, code: 'unexpected', reason: `record ${stray} is outside the chain` }, size);
  }
  const beyond = [...cps.bySize.keys()].filter((s) => s > size).sort((a, b) => a - b)[0];
  if (beyond !== undefined) {
    const reason = `log has ${size} records but a signed checkpoint says ${beyond}: tail truncated`;
    return fail({ seq: size + 1, code: 'truncated', reason }, size);
  }
  return { ok: true, records: size, head: prev, checkpoints: cps.checked, warnings };
}

/**
 * A row the walk cannot see: seq below 1, or past a head that covers it. MAX is read before the
 * head, and a writer commits rows and head together, so a concurrent append is not flagged.
 */
async function strayRow(db: SqlClient): Promise<number | undefined> {
  const mm = await db.query<{ lo: number | null; hi: number | null }>(
    'SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM audit_records',
  );
  const head = await db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1');
  const lo = mm[0]?.lo ?? null;
  const hi = mm[0]?.hi ?? null;
  const h = Number(head[0]?.seq ?? 0);
  if (lo !== null && Number(lo) < 1) return Number(lo);
  return hi !== null && Number(hi) > h ? h + 1 : undefined;
}

async function anchor(db: SqlClient, from: number): Promise<string> {
  if (from <= 1) return GENESIS_HASH;
  const rows = await db.query<{ hash: string }>('SELECT hash FROM audit_records WHERE seq = ?', [from - 1]);
  return rows[0]?.hash ?? GENESIS_HASH;
}

function rewriteReason(cp: Checkpoint, cps: Checkpoints): string {
  const earlier = [...cps.bySize.keys()].filter((s) => s < cp.size);
  const after = earlier.length === 0 ? 0 : Math.max(...earlier);
  return `record ${cp.size} differs from the signed checkpoint of ${new Date(cp.time).toISOString()}: the log was rewritten after seq ${after}`;
}

/** Checks one row against the expected seq and previous hash; returns the failure or facts. */
export function checkRow(
  row: RecordRow,
  expected: number,
  prev: string,
): Failure | { hash: string; time: number } {
  const seq = Number(row.seq);
  if (seq !== expected) {
    if (seq > expected) return { seq: expected, code: 'missing', reason: `record ${expected} is missing` };
    return { seq, code: 'unexpected', reason: `unexpected record ${seq} before ${expected}` };
  }
  const body = toBuffer(row.body);
  const text = body.toString('utf8');
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { seq, code: 'bad-body', reason: 'body is not JSON' };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || !isCanonical(obj, text)) {
    return { seq, code: 'bad-body', reason: 'body is not canonical JSON' };
  }
  if (obj.v !== 1 || typeof obj.kind !== 'string' || !Number.isSafeInteger(obj.time)) {
    return { seq, code: 'bad-body', reason: 'body lacks v, kind or time' };
  }
  if (obj.seq !== expected) return { seq, code: 'bad-body', reason: `body says seq ${String(obj.seq)}` };
  if (obj.prevHash !== prev || row.prev_hash !== prev) {
    return { seq, code: 'bad-link', reason: 'previous-hash link broken' };
  }
  const hash = chainHash(prev, body);
  if (row.hash !== hash) return { seq, code: 'bad-hash', reason: 'hash does not match the body' };
  for (const [col, field] of DERIVED) {
    const want = projectColumn(obj[field]);
    const got = row[col];
    if ((typeof got === 'number' ? got : (got ?? null)) !== want) {
      return { seq, code: 'bad-column', reason: `column ${col} does not match the body` };
    }
  }
  return { hash, time: obj.time as number };
}

/** A flipped digit can turn 29287.79 into 29287E790 (Infinity): not canonical, never a throw. */
function isCanonical(obj: unknown, text: string): boolean {
  try {
    return canonicalJson(obj) === text;
  } catch {
    return false;
  }
}

interface Checkpoints {
  bySize: Map<number, Checkpoint>;
  checked: number;
  failure?: Failure;
}

async function collectCheckpoints(
  db: SqlClient,
  opts: VerifyOptions,
  warnings: VerifyWarning[],
): Promise<Checkpoints> {
  const out: Checkpoints = { bySize: new Map(), checked: 0 };
  // A partial check from `from` needs only the checkpoints it can reach (keeps open() fast).
  const from = Math.max(1, opts.from ?? 1);
  const all: Checkpoint[] = (opts.checkpoints ?? []).filter((c) => c.size >= from);
  if (opts.storedCheckpoints !== false) {
    const rows = await db.query<{ size: number; line: string }>(
      'SELECT size, line FROM audit_checkpoints WHERE size >= ? ORDER BY size',
      [from],
    );
    for (const r of rows) {
      let cp: Checkpoint;
      try {
        cp = parseCheckpoint(r.line, `stored checkpoint ${r.size}`);
        if (cp.size !== Number(r.size)) throw new Error(`stored checkpoint ${r.size}: size column disagrees`);
      } catch (e) {
        out.failure = { seq: Number(r.size), code: 'checkpoint-signature', reason: (e as Error).message };
        return out;
      }
      all.push(cp);
    }
  }
  if (opts.publicKey === undefined) {
    if (all.length > 0) warnings.push({ seq: 0, reason: 'no public key: checkpoints not checked' });
    return out;
  }
  const seen = new Set<string>();
  for (const cp of all) {
    const id = `${cp.size}/${cp.sig}`;
    if (seen.has(id)) continue; // the same checkpoint from the table and the file
    seen.add(id);
    if (!checkpointSignatureOk(cp, opts.publicKey)) {
      out.failure = {
        seq: cp.size,
        code: 'checkpoint-signature',
        reason: `checkpoint ${cp.size} has a bad signature`,
      };
      return out;
    }
    const prior = out.bySize.get(cp.size);
    if (prior !== undefined && prior.hash !== cp.hash) {
      out.failure = {
        seq: cp.size,
        code: 'checkpoint-mismatch',
        reason: `two signed checkpoints disagree at ${cp.size} (fork)`,
      };
      return out;
    }
    out.bySize.set(cp.size, cp);
    out.checked++;
  }
  return out;
}
