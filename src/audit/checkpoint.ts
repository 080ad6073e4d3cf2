/**
 * Signed checkpoints: Ed25519 over the canonical JSON of {v, origin, size, hash, time, keyId}.
 * Serialised as one line of canonical JSON (with `sig`), so a checkpoint log is JSONL.
 */
import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { canonicalJson } from '../core/index.ts';
import { AuditError } from './errors.ts';
import { checkpointSchema } from './schema.ts';
import type { AuditKeys, Checkpoint } from './types.ts';
import type { SqlClient } from '../store/index.ts';

export const CHECKPOINT_ORIGIN = 'warden-audit/v1';

function signedBytes(cp: Omit<Checkpoint, 'sig'>): Buffer {
  const { v, origin, size, hash, time, keyId } = cp;
  return Buffer.from(canonicalJson({ v, origin, size, hash, time, keyId }), 'utf8');
}

export function signCheckpoint(keys: AuditKeys, size: number, hash: string, time: number): Checkpoint {
  if (keys.privateKey === undefined) {
    throw new AuditError('ERR_AUDIT_KEY', 'signing a checkpoint needs the audit private key');
  }
  const body = { v: 1 as const, origin: CHECKPOINT_ORIGIN, size, hash, time, keyId: keys.keyId };
  const sig = sign(null, signedBytes(body), keys.privateKey).toString('base64');
  return { ...body, sig };
}

export function checkpointSignatureOk(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, signedBytes(cp), publicKey, Buffer.from(cp.sig, 'base64'));
  } catch {
    return false;
  }
}

export function formatCheckpoint(cp: Checkpoint): string {
  return canonicalJson(cp);
}

/** Parses one checkpoint (JSON text); throws ERR_AUDIT_CHECKPOINT naming `where`. */
export function parseCheckpoint(text: string, where = 'checkpoint'): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AuditError('ERR_AUDIT_CHECKPOINT', `${where}: not JSON`);
  }
  const r = checkpointSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AuditError(
      'ERR_AUDIT_CHECKPOINT',
      `${where}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  return r.data;
}

/** Reads a checkpoint log (one checkpoint per line) or a file holding one checkpoint. */
export function readCheckpointFile(path: string): Checkpoint[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const out: Checkpoint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push(parseCheckpoint(line, `${path}:${i + 1}`));
    } catch (e) {
      // A crash mid-append leaves a torn last line without its newline: it was never relied on.
      if (i === lines.length - 1) continue;
      throw e;
    }
  }
  return out;
}

/**
 * Signs the committed head read from `store` at `time`, stores the checkpoint in
 * audit_checkpoints and appends it to `logFile` (fsynced). One implementation for the inline
 * path and the commit worker.
 */
export async function signAndStoreCheckpoint(
  store: SqlClient,
  keys: AuditKeys,
  time: number,
  logFile: string | undefined,
): Promise<Checkpoint> {
  const rows = await store.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1',
  );
  const head = rows[0];
  if (head === undefined) throw new AuditError('ERR_AUDIT_TAMPERED', 'the audit_head row is missing');
  const cp = signCheckpoint(keys, Number(head.seq), head.hash, time);
  await store.run(
    'INSERT INTO audit_checkpoints (size, key_id, line) VALUES (?, ?, ?) ON CONFLICT (size, key_id) DO NOTHING',
    [cp.size, cp.keyId, formatCheckpoint(cp)],
  );
  if (logFile !== undefined) appendCheckpointLine(logFile, cp);
  return cp;
}

/** Appends one line and fsyncs: a crash leaves at most a torn last line, never a lie. */
export function appendCheckpointLine(path: string, cp: Checkpoint): void {
  const fd = openSync(path, 'a', 0o644);
  try {
    writeSync(fd, formatCheckpoint(cp) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
