/**
 * Offline verification of a JSONL export (`exportJsonl`): another host or a witness can check a
 * copy of the log with only the public key and saved checkpoints, without the database.
 * Each line is the canonical body plus `hash`; removing `hash` and re-canonicalising gives the
 * exact bytes that were hashed.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../core/index.ts';
import { checkpointSignatureOk } from './checkpoint.ts';
import { DERIVED, GENESIS_HASH, projectColumn } from './record.ts';
import type { RecordRow } from './record.ts';
import type { Checkpoint, VerifyResult, VerifyWarning } from './types.ts';
import { checkRow } from './verify.ts';

export interface VerifyExportOptions {
  readonly publicKey?: KeyObject;
  readonly checkpoints?: readonly Checkpoint[];
  /** The export claims to be the whole log: a checkpoint beyond its last record is a truncation. */
  readonly complete?: boolean;
}

type Fail = Extract<VerifyResult, { ok: false }>;

export async function verifyJsonlExport(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: VerifyExportOptions = {},
): Promise<VerifyResult> {
  const warnings: VerifyWarning[] = [];
  const bySize = new Map<number, Checkpoint>();
  let checked = 0;
  let expected = 0;
  let prev = GENESIS_HASH;
  let lastTime = Number.NEGATIVE_INFINITY;
  const fail = (seq: number, code: Fail['code'], reason: string): VerifyResult => ({
    ok: false,
    seq,
    code,
    reason,
    records: Math.max(0, expected - 1),
    checkpoints: checked,
    warnings,
  });
  for (const cp of opts.checkpoints ?? []) {
    if (opts.publicKey === undefined) break;
    if (!checkpointSignatureOk(cp, opts.publicKey)) {
      return fail(cp.size, 'checkpoint-signature', `checkpoint ${cp.size} has a bad signature`);
    }
    bySize.set(cp.size, cp);
  }
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const row = rowFromLine(line, expected === 0);
    if (typeof row === 'string') return fail(Math.max(expected, 1), 'bad-body', row);
    if (expected === 0) {
      expected = row.seq;
      prev = row.seq === 1 ? GENESIS_HASH : row.prev_hash; // a partial export trusts its first link
    }
    const r = checkRow(row, expected, prev);
    if ('code' in r) return fail(r.seq, r.code, r.reason);
    if (r.time < lastTime)
      warnings.push({ seq: expected, reason: 'timestamp earlier than the previous record (AU-9)' });
    lastTime = r.time;
    const cp = bySize.get(expected);
    if (cp !== undefined) {
      if (cp.hash !== r.hash)
        return fail(expected, 'checkpoint-mismatch', `record ${expected} differs from a signed checkpoint`);
      checked++;
    }
    prev = r.hash;
    expected++;
  }
  const last = expected - 1;
  if (opts.complete === true) {
    const beyond = [...bySize.keys()].filter((s) => s > last).sort((a, b) => a - b)[0];
    if (beyond !== undefined) {
      return fail(last + 1, 'truncated', `export ends at ${last} but a signed checkpoint says ${beyond}`);
    }
  }
  return { ok: true, records: Math.max(0, last), head: prev, checkpoints: checked, warnings };
}

/** Rebuilds the stored row a line came from (columns re-projected, body re-canonicalised). */
function rowFromLine(line: string, first: boolean): RecordRow | string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return 'line is not JSON';
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'line is not an object';
  const { hash, ...body } = obj;
  if (typeof hash !== 'string' || !Number.isSafeInteger(body.seq)) return 'line lacks hash or seq';
  if (first && typeof body.prevHash !== 'string') return 'line lacks prevHash';
  let text: string;
  try {
    text = canonicalJson(body);
  } catch {
    return 'line holds a value that is not canonical JSON';
  }
  const row: Record<string, unknown> = {
    seq: body.seq,
    prev_hash: body.prevHash,
    hash,
    body: Buffer.from(text, 'utf8'),
  };
  for (const [col, field] of DERIVED) row[col] = projectColumn(body[field]);
  return row as RecordRow;
}
