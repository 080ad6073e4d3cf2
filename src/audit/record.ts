/**
 * The record format: one canonical JSON body per record (RFC 8785), hashed with the previous
 * record's hash, plus query columns that are a pure projection of the body (the verifier
 * re-derives every column from the body and compares).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/index.ts';
import type { SqlValue } from '../store/index.ts';
import type { AuditEventInput, AuditRecord } from './types.ts';

export const RECORD_VERSION = 1;
/** The prevHash of record 1: 32 zero bytes, hex. */
export const GENESIS_HASH = '0'.repeat(64);
/** Query columns hold at most this many UTF-16 code units of the body's value. */
export const COLUMN_MAX = 200;

/** Columns derived from the body, in insert order (after seq). */
export const DERIVED = [
  ['time', 'time'],
  ['kind', 'kind'],
  ['principal', 'principal'],
  ['session', 'session'],
  ['trace_id', 'traceId'],
  ['method', 'method'],
  ['server', 'server'],
  ['tool', 'tool'],
  ['decision', 'decision'],
  ['outcome', 'outcome'],
] as const;

export const COLUMNS = ['seq', ...DERIVED.map(([c]) => c), 'prev_hash', 'hash', 'body'] as const;

export type RecordRow = {
  seq: number;
  time: number;
  kind: string;
  principal: string | null;
  session: string | null;
  trace_id: string | null;
  method: string | null;
  server: string | null;
  tool: string | null;
  decision: string | null;
  outcome: string | null;
  prev_hash: string;
  hash: string;
  body: Buffer;
};

/**
 * A query column's value for a body value: strings only, capped, well-formed UTF-16 and
 * without NUL (PostgreSQL TEXT rejects NUL and lone surrogates would not round-trip), so that
 * no caller-controlled value can make an insert fail and take the log down with it.
 */
export function projectColumn(value: unknown): string | number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const s = value.length > COLUMN_MAX ? value.slice(0, COLUMN_MAX) : value;
  return NEEDS_REPAIR.test(s) ? wellFormed(s).replace(/\0/g, '\uFFFD') : s;
}

// eslint-disable-next-line no-control-regex
const NEEDS_REPAIR = /[\uD800-\uDFFF\u0000]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** String.prototype.toWellFormed (ES2024): lone surrogates become U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

export interface Sealed {
  /** The record's chain hash (hex). */
  readonly hash: string;
  /** The row's values, in COLUMNS order. */
  readonly params: SqlValue[];
}

/** Builds the canonical body for `content` at `seq` after `prevHash`, hashes it, returns the row. */
export function sealRecord(content: Record<string, unknown>, seq: number, prevHash: string): Sealed {
  const text = canonicalBody(content, seq, prevHash);
  const body = Buffer.from(text, 'utf8');
  const hash = chainHash(prevHash, body);
  const params: SqlValue[] = [seq];
  for (const [, field] of DERIVED) params.push(projectColumn(content[field]));
  params.push(prevHash, hash, body);
  return { hash, params };
}

/** The body fields the chain adds to an event (they override the event's own, if any). */
const CHAIN_FIELDS = new Set(['v', 'seq', 'prevHash']);

/**
 * canonicalJson({ ...content, v, seq, prevHash }) without copying the event (a spread of an
 * 18-field object costs more than serialising it).
 */
export function canonicalBody(content: Record<string, unknown>, seq: number, prevHash: string): string {
  const view: Record<string, unknown> = {};
  for (const k of Object.keys(content)) if (!CHAIN_FIELDS.has(k)) view[k] = content[k];
  view.v = RECORD_VERSION;
  view.seq = seq;
  view.prevHash = prevHash;
  return canonicalJson(view);
}

/** SHA-256 over the 32 raw bytes of the previous hash followed by the body bytes, hex. */
export function chainHash(prevHash: string, body: Buffer): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(body).digest('hex');
}

/** The record a stored row holds (its body is the source of truth). */
export function recordFromRow(row: Pick<RecordRow, 'body' | 'hash'>): AuditRecord {
  const obj = JSON.parse(toBuffer(row.body).toString('utf8')) as Record<string, unknown>;
  delete obj.v;
  return { ...obj, hash: row.hash } as AuditRecord;
}

export function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.alloc(0);
}

const STRING_FIELDS = [
  'kind',
  'principal',
  'session',
  'traceId',
  'spanId',
  'parentSpanId',
  'method',
  'server',
  'tool',
  'toolHash',
  'policyVersion',
  'errorCode',
  'grantId',
  'taskId',
] as const;
const NUMBER_FIELDS = ['durationMs', 'resultBytes'] as const;
const STRING_ARRAY_FIELDS = ['policyIds', 'reasons', 'actors'] as const;
const DECISIONS = new Set(['allow', 'deny']);
const OUTCOMES = new Set(['ok', 'error', 'denied', 'timeout']);

/**
 * Copies the known fields of an event into a plain object, checking their types. Returns a
 * problem description instead of throwing so the caller can reject just this event.
 */
export function normalizeEvent(e: AuditEventInput, now: number): Record<string, unknown> | string {
  if (typeof e !== 'object' || e === null) return 'event must be an object';
  const out: Record<string, unknown> = {};
  if (typeof e.kind !== 'string' || e.kind === '') return 'kind must be a non-empty string';
  for (const k of STRING_FIELDS) {
    const v = e[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') return `${k} must be a string`;
    out[k] = v;
  }
  for (const k of NUMBER_FIELDS) {
    const v = e[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${k} must be a finite number`;
    out[k] = v;
  }
  for (const k of STRING_ARRAY_FIELDS) {
    const v = e[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `${k} must be strings`;
    out[k] = [...v];
  }
  if (e.decision !== undefined && !DECISIONS.has(e.decision)) return 'decision must be allow or deny';
  if (e.outcome !== undefined && !OUTCOMES.has(e.outcome)) return 'outcome is not a known value';
  if (e.decision !== undefined) out.decision = e.decision;
  if (e.outcome !== undefined) out.outcome = e.outcome;
  const time = e.time ?? now;
  if (typeof time !== 'number' || !Number.isSafeInteger(time)) return 'time must be an integer (ms)';
  out.time = time;
  if (e.args !== undefined) out.args = e.args;
  if (e.data !== undefined) {
    if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data))
      return 'data must be an object';
    out.data = e.data;
  }
  return out;
}
