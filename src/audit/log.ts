/**
 * AuditLog: the face of the audit domain. Appends go through the group-commit writer; reads,
 * follow, export and verify go straight to the store; checkpoints are signed every N records
 * or T ms (and on close) into audit_checkpoints and into a checkpoint log file.
 */
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import { canonicalJson, describeError, silentLogger, systemClock } from '../core/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import { migrate } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { readCheckpointFile, signAndStoreCheckpoint } from './checkpoint.ts';
import { AuditError } from './errors.ts';
import { CHECKPOINT_LOG_FILE, loadAuditPublicKey } from './keys.ts';
import { auditMigrations } from './migrations.ts';
import { normalizeEvent, recordFromRow, toBuffer } from './record.ts';
import { verifyAuditLog } from './verify.ts';
import { GroupCommitWriter, inlineCommitter } from './writer.ts';
import type { Committer } from './writer.ts';
import { startWorkerCommitter } from './worker-committer.ts';
import type { AuditEventInput, AuditKeys, AuditRecord, Checkpoint, VerifyResult } from './types.ts';

export interface AuditLogOptions {
  readonly keys: AuditKeys;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Sign a checkpoint after this many records or this many ms with new records (default 1000 / 60 s). */
  readonly checkpointEvery?: { records: number; ms: number };
  /** Most records per transaction (default 512). */
  readonly maxBatch?: number;
  /** Largest canonical body accepted (default 1 MiB); larger events reject with ERR_AUDIT_INPUT. */
  readonly maxRecordBytes?: number;
  /** Checkpoint log path; default <keys.dataDir>/audit-checkpoints.log; false for none. */
  readonly checkpointLog?: string | false;
  /** Records at the tail verified on open (default 1000; 0 skips). */
  readonly verifyTailOnOpen?: number;
  /**
   * Called once when a commit fails (AU-7): the log now rejects every append. The gateway
   * should stop serving and exit so a supervisor restarts it (see docs/audit.md).
   */
  readonly onFailure?: (error: AuditError) => void;
  /**
   * Commit on a worker thread with its own connection, so fsyncs never block the event loop
   * (default false; the gateway turns it on). Only for SQLite on disk; ignored otherwise.
   */
  readonly offThread?: boolean;
}

type Row = { seq: number; hash: string; body: Buffer };
/** Decisions at least this far apart count as a quiet log (committed inline, see writer.ts). */
const QUIET_MS = 1;
const SELECT = 'SELECT seq, hash, body FROM audit_records';

export class AuditLog {
  readonly #store: Store;
  readonly #keys: AuditKeys;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #writer: GroupCommitWriter;
  readonly #committer: Committer;
  readonly #every: { records: number; ms: number };
  readonly #cpLog: string | undefined;
  readonly #stops = new Set<() => void>();
  #sinceCheckpoint = 0;
  #checkpointing: Promise<Checkpoint> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #committerClosed = false;

  /** `quiet`: the inline committer a pipelined (worker) committer hands quiet batches to. */
  private constructor(store: Store, opts: AuditLogOptions, committer: Committer, quiet?: Committer) {
    this.#store = store;
    this.#keys = opts.keys;
    this.#clock = opts.clock ?? systemClock;
    this.#logger = opts.logger ?? silentLogger;
    this.#every = opts.checkpointEvery ?? { records: 1000, ms: 60_000 };
    this.#cpLog = checkpointLogOf(opts);
    this.#committer = committer;
    this.#writer = new GroupCommitWriter(committer, {
      // With the worker thread, a quiet log commits small batches inline (see GroupCommitWriter).
      whenQuiet: quiet === undefined ? undefined : { committer: quiet, quietMs: QUIET_MS },
      maxBatch: opts.maxBatch ?? 512,
      logger: this.#logger,
      onCommit: (n) => this.#committed(n),
      onFailure: opts.onFailure,
    });
  }

  /** Migrates the audit tables, verifies the stored tail against the checkpoints, starts the timer. */
  static async open(store: Store, opts: AuditLogOptions): Promise<AuditLog> {
    await migrate(store, 'audit', auditMigrations);
    const maxRecordBytes = opts.maxRecordBytes ?? 1 << 20;
    const inline = inlineCommitter(store, maxRecordBytes);
    const worker =
      opts.offThread === true && store.dialect === 'sqlite' && store.file !== undefined
        ? await startWorkerCommitter(store.file, {
            maxRecordBytes,
            ...(opts.keys.privateKey === undefined
              ? {}
              : { signer: { keys: opts.keys, logFile: checkpointLogOf(opts) } }),
          })
        : undefined;
    const log =
      worker === undefined ? new AuditLog(store, opts, inline) : new AuditLog(store, opts, worker, inline);
    const tail = opts.verifyTailOnOpen ?? 1000;
    if (tail > 0) {
      const head = await log.#headSeq();
      const r = await log.verify({ from: Math.max(1, head - tail + 1) });
      if (!r.ok) {
        await log.#committer.close();
        throw new AuditError(
          'ERR_AUDIT_TAMPERED',
          `the audit log does not verify at seq ${r.seq}: ${r.reason}`,
          {
            seq: r.seq,
            code: r.code,
          },
        );
      }
    }
    if (log.#every.ms > 0) {
      log.#timer = setInterval(() => {
        if (log.#sinceCheckpoint > 0) log.#autoCheckpoint();
      }, log.#every.ms);
      log.#timer.unref();
    }
    return log;
  }

  /**
   * Records an event. Resolves with the committed record once it is durable; rejects with
   * ERR_AUDIT_WRITE / ERR_AUDIT_FAILED when the store fails (the caller fails closed),
   * ERR_AUDIT_INPUT for an event that cannot be recorded, ERR_AUDIT_CLOSED after close().
   * `lazy`: nothing waits on this record before acting, so it joins the next batch (committed
   * within LAZY_MS); it is still durable when the promise resolves.
   */
  append(e: AuditEventInput, opts: { lazy?: boolean } = {}): Promise<AuditRecord> {
    if (this.#closed) return Promise.reject(new AuditError('ERR_AUDIT_CLOSED', 'the audit log is closed'));
    const content = normalizeEvent(e, this.#clock.now());
    if (typeof content === 'string') return Promise.reject(new AuditError('ERR_AUDIT_INPUT', content));
    return this.#writer.enqueue(content, opts.lazy === true);
  }

  /** Resolves once every record appended so far (lazy ones included) is committed or refused. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Batches committed on the event loop because the log was quiet (diagnostics, tests). */
  get quietCommits(): number {
    return this.#writer.quietCommits;
  }

  /** True once a commit has failed: the process should stop and restart (AU-7). */
  get failed(): boolean {
    return this.#writer.failed !== undefined;
  }

  async get(seq: number): Promise<AuditRecord | undefined> {
    const rows = await this.#store.query<Row>(`${SELECT} WHERE seq = ?`, [seq]);
    return rows[0] === undefined ? undefined : recordFromRow(rows[0]);
  }

  async tail(n: number): Promise<AuditRecord[]> {
    const rows = await this.#store.query<Row>(`${SELECT} ORDER BY seq DESC LIMIT ?`, [n]);
    return rows.reverse().map(recordFromRow);
  }

  async range(fromSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.#store.query<Row>(`${SELECT} WHERE seq >= ? ORDER BY seq LIMIT ?`, [
      fromSeq,
      limit,
    ]);
    return rows.map(recordFromRow);
  }

  /**
   * Records of a trace (indexed) or a session, oldest first, at most `limit` (the decision chain
   * for `warden trace`). With both, records matching either.
   */
  async find(o: { traceIds?: readonly string[]; session?: string; limit?: number }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const ids = o.traceIds ?? [];
    if (ids.length > 0) {
      where.push(`trace_id IN (${ids.map(() => '?').join(', ')})`);
      params.push(...ids);
    }
    if (o.session !== undefined) {
      where.push('session = ?');
      params.push(o.session);
    }
    if (where.length === 0) return [];
    params.push(Math.min(Math.max(o.limit ?? 10_000, 1), 100_000));
    const rows = await this.#store.query<Row>(
      `${SELECT} WHERE ${where.join(' OR ')} ORDER BY seq LIMIT ?`,
      params,
    );
    return rows.map(recordFromRow);
  }

  /** Polls for records from `fromSeq` on (works across processes); returns a stop function. */
  follow(fromSeq: number, onRecord: (r: AuditRecord) => void, pollMs = 500): () => void {
    let next = fromSeq;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      try {
        for (;;) {
          const rows = await this.range(next, 500);
          for (const r of rows) {
            if (stopped) return;
            next = r.seq + 1; // a throwing callback skips the record rather than looping on it
            onRecord(r);
          }
          if (rows.length < 500) break;
        }
      } catch (e) {
        this.#logger.warn('audit follow: read failed, retrying', { error: describeError(e) });
      }
      if (!stopped) timer = setTimeout(() => void tick(), pollMs);
    };
    const stop = (): void => {
      stopped = true;
      clearTimeout(timer);
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    void tick();
    return stop;
  }

  /** Signs the current committed head and stores the checkpoint in the table and the file. */
  checkpoint(): Promise<Checkpoint> {
    this.#checkpointing ??= this.#signHead().finally(() => (this.#checkpointing = undefined));
    return this.#checkpointing;
  }

  async #signHead(): Promise<Checkpoint> {
    this.#sinceCheckpoint = 0;
    const offThread = this.#committer.checkpoint;
    if (offThread !== undefined && !this.#committerClosed) return offThread(this.#clock.now());
    return signAndStoreCheckpoint(this.#store, this.#keys, this.#clock.now(), this.#cpLog);
  }

  #committed(n: number): void {
    this.#sinceCheckpoint += n;
    if (this.#every.records > 0 && this.#sinceCheckpoint >= this.#every.records) this.#autoCheckpoint();
  }

  #autoCheckpoint(): void {
    if (this.#checkpointing !== undefined || this.#keys.privateKey === undefined) return;
    this.checkpoint().catch((e: unknown) => {
      this.#logger.error('audit checkpoint failed', { error: describeError(e) });
    });
  }

  /**
   * Verifies the chain and every signed checkpoint (stored, in the checkpoint log file, and
   * `checkpoint` if given). Reports the first bad record.
   */
  async verify(
    opts: { publicKey?: KeyObject | string; checkpoint?: Checkpoint | Checkpoint[]; from?: number } = {},
  ): Promise<VerifyResult> {
    const publicKey =
      opts.publicKey === undefined ? this.#keys.publicKey : loadAuditPublicKey(opts.publicKey).publicKey;
    const extra = opts.checkpoint === undefined ? [] : [opts.checkpoint].flat();
    const fromFile = this.#cpLog === undefined ? [] : readCheckpointFile(this.#cpLog);
    return verifyAuditLog(this.#store, {
      publicKey,
      checkpoints: [...fromFile, ...extra],
      ...(opts.from === undefined ? {} : { from: opts.from }),
    });
  }

  /** Writes records [from, to] as JSON lines (canonical body plus `hash`); returns the count. */
  async exportJsonl(out: Writable, opts: { from?: number; to?: number } = {}): Promise<number> {
    let next = opts.from ?? 1;
    const to = opts.to ?? Number.MAX_SAFE_INTEGER;
    let count = 0;
    for (;;) {
      const rows = await this.#store.query<Row>(
        `${SELECT} WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT 1000`,
        [next, to],
      );
      for (const row of rows) {
        const obj = JSON.parse(toBuffer(row.body).toString('utf8')) as Record<string, unknown>;
        if (!out.write(canonicalJson({ ...obj, hash: row.hash }) + '\n')) {
          await new Promise<void>((resolve) => out.once('drain', resolve));
        }
        count++;
        next = Number(row.seq) + 1;
      }
      if (rows.length < 1000) return count;
    }
  }

  /** Flushes pending appends, signs a final checkpoint if this instance appended, stops timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
    clearInterval(this.#timer);
    // The final checkpoint goes where commits run, so the committer closes after it.
    await this.#writer.flush();
    if (this.#checkpointing !== undefined) await this.#checkpointing.catch(() => undefined);
    if (this.#sinceCheckpoint > 0 && !this.failed && this.#keys.privateKey !== undefined) {
      await this.checkpoint().catch((e: unknown) => {
        this.#logger.error('audit checkpoint on close failed', { error: describeError(e) });
      });
    }
    this.#committerClosed = true;
    await this.#writer.close();
  }

  /** The last committed record's seq and hash (seq 0 and the genesis hash when empty). */
  async head(): Promise<{ seq: number; hash: string }> {
    const rows = await this.#store.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_head WHERE id = 1',
    );
    const h = rows[0];
    if (h === undefined) throw new AuditError('ERR_AUDIT_TAMPERED', 'the audit_head row is missing');
    return { seq: Number(h.seq), hash: h.hash };
  }

  async #headSeq(): Promise<number> {
    return (await this.head()).seq;
  }
}

/** Where checkpoints are appended: the option, else <keys.dataDir>/audit-checkpoints.log; none for false. */
function checkpointLogOf(opts: AuditLogOptions): string | undefined {
  if (opts.checkpointLog === false) return undefined;
  const dir = opts.keys.dataDir;
  return opts.checkpointLog ?? (dir === undefined ? undefined : join(dir, CHECKPOINT_LOG_FILE));
}
