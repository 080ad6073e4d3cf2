/**
 * The group-commit writer: one queue; appends made in one event-loop turn form one batch. With
 * an inline committer one batch is in flight and appends that arrive while it commits wait for
 * the next; a pipelined committer (the SQLite worker thread) takes the next batch at once and
 * merges everything waiting into its next transaction, in order. Each append resolves after
 * COMMIT returns (durable: SQLite synchronous=FULL, PostgreSQL default). The head is read inside the transaction under
 * a lock (SQLite BEGIN IMMEDIATE; PostgreSQL SELECT … FOR UPDATE on audit_head), so several
 * processes on one PostgreSQL database extend one chain and never fork it.
 *
 * A failed commit is fatal (AU-7): that batch and everything queued reject, and so does every
 * later append. Recovery is a restart, which re-reads the head from the store.
 */
import { describeError } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
import type { SqlClient, SqlValue, Store } from '../store/index.ts';
import { AuditError } from './errors.ts';
import { COLUMNS, sealRecord } from './record.ts';
import type { Sealed } from './record.ts';
import type { AuditRecord, Checkpoint } from './types.ts';

interface Pending {
  readonly content: Record<string, unknown>;
  /** An urgent record that arrived at least `quietMs` after the previous urgent one. */
  readonly sparse?: boolean;
  resolve(r: AuditRecord): void;
  reject(e: unknown): void;
}

/** What one record of a committed batch became: its place in the chain, or why it was refused. */
export type CommitOutcome = readonly [seq: number, prevHash: string, hash: string] | string;

/**
 * Commits one batch as one transaction and reports each record's outcome, in order. Throws
 * when the store fails (the writer then fails for good: AU-7). Two implementations: inline on
 * the caller's store (PostgreSQL, in-memory SQLite) and on a worker thread that owns its own
 * SQLite connection (worker-committer.ts), so a commit's fsync never blocks the event loop.
 */
export interface Committer {
  /**
   * True when `commit` may be called again before the previous call settled: batches are then
   * committed in call order, and once one fails every later one fails too.
   */
  readonly pipelined?: boolean;
  commit(contents: readonly Record<string, unknown>[]): Promise<CommitOutcome[]>;
  /**
   * Signs and stores a checkpoint of the head after every commit sent before it, where the
   * commits run (the worker thread), so its fsyncs and write lock stay off the event loop.
   * Absent on the inline committer: the log then checkpoints on its own store.
   */
  readonly checkpoint?: (time: number) => Promise<Checkpoint>;
  /** True while the committer has work in flight (commits or checkpoints). */
  readonly busy?: () => boolean;
  close(): Promise<void>;
}

export interface WriterOptions {
  readonly maxBatch: number;
  readonly logger: Logger;
  /** Called after each committed batch with the number of records it held. */
  readonly onCommit: (count: number) => void;
  /** Called once when a commit fails and the writer enters its failed state. */
  readonly onFailure?: ((error: AuditError) => void) | undefined;
  /**
   * Commits a small batch on `committer` (inline, on the event loop) instead of the pipelined
   * one when appends are sparse and the pipelined committer is idle; see `#quiet`.
   */
  readonly whenQuiet?: { readonly committer: Committer; readonly quietMs: number } | undefined;
}

const ROW_PARAMS = `(${COLUMNS.map(() => '?').join(', ')})`;
const INSERT = `INSERT INTO audit_records (${COLUMNS.join(', ')}) VALUES `;
const PG_CHUNK = 200;
/** The longest a lazy record waits for a batch to join before it is committed on its own. */
export const LAZY_MS = 20;
/** Largest batch committed inline when the gateway is quiet (a decision and a lazy record). */
const QUIET_BATCH = 2;

export class GroupCommitWriter {
  readonly #committer: Committer;
  readonly #opts: WriterOptions;
  #queue: Pending[] = [];
  #lazy: Pending[] = [];
  #lazyTimer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  /** Commits sent to a pipelined committer and not settled yet. */
  readonly #inflight = new Set<Promise<void>>();
  #failed: AuditError | undefined;
  #lastUrgentAt = Number.NEGATIVE_INFINITY;
  #quietCommits = 0;

  constructor(committer: Committer, opts: WriterOptions) {
    this.#committer = committer;
    this.#opts = opts;
  }

  get failed(): AuditError | undefined {
    return this.#failed;
  }

  /** How many batches were committed inline because the log was quiet (diagnostics, tests). */
  get quietCommits(): number {
    return this.#quietCommits;
  }

  /**
   * Queues a record. A `lazy` record (one nobody waits on before acting, such as a call's
   * "completed" record) does not start a commit of its own: it joins the next batch that an
   * urgent record starts, or is committed after `LAZY_MS` at the latest, so a stream of calls
   * pays one commit per call instead of two and a decision never waits behind a lazy commit.
   * The writer takes ownership of `content`: the record it resolves with is that object,
   * completed with seq, prevHash and hash.
   */
  enqueue(content: Record<string, unknown>, lazy = false): Promise<AuditRecord> {
    if (this.#failed !== undefined) return Promise.reject(failedError());
    return new Promise<AuditRecord>((resolve, reject) => {
      if (lazy) {
        this.#lazy.push({ content, resolve, reject });
        this.#lazyTimer ??= setTimeout(() => this.#release(), LAZY_MS);
        return;
      }
      this.#release(false);
      const now = performance.now();
      const sparse = now - this.#lastUrgentAt >= (this.#opts.whenQuiet?.quietMs ?? Infinity);
      this.#lastUrgentAt = now;
      this.#queue.push({ content, resolve, reject, sparse });
      this.#loop ??= this.#drain();
    });
  }

  /** Moves lazy records (older than anything queued after them) into the commit queue. */
  #release(start = true): void {
    if (this.#lazyTimer !== undefined) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    if (this.#lazy.length === 0) return;
    this.#queue.push(...this.#lazy.splice(0));
    if (start) this.#loop ??= this.#drain();
  }

  /** Resolves when everything queued so far (lazy records included) has been committed or rejected. */
  async flush(): Promise<void> {
    this.#release();
    while (this.#loop !== undefined || this.#inflight.size > 0) {
      if (this.#loop !== undefined) await this.#loop;
      else await Promise.all(this.#inflight);
    }
  }

  /** Flushes, then releases the committer (its worker thread and connection). */
  async close(): Promise<void> {
    await this.flush();
    await this.#committer.close();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#failed === undefined) {
        // Yield one event-loop turn first: appends made by I/O callbacks (requests read in this
        // poll phase) join the batch. A microtask would commit a batch of one per request.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.#queue.splice(0, this.#opts.maxBatch);
        const quiet = this.#quiet(batch);
        if (quiet !== undefined) {
          this.#quietCommits++;
          await this.#commit(batch, quiet);
          continue;
        }
        const done = this.#commit(batch);
        if (this.#committer.pipelined !== true) {
          await done;
          continue;
        }
        this.#inflight.add(done);
        void done.then(() => this.#inflight.delete(done));
      }
    } finally {
      this.#loop = undefined;
    }
  }

  /**
   * The inline committer, when this batch should skip the worker thread: the log is quiet (the
   * batch is a decision and at most one lazy record, its decision came at least `quietMs` after
   * the one before) and the pipelined committer has nothing in flight, so every earlier batch
   * is committed and the inline transaction cannot wait on its lock. A quiet gateway pays the
   * fsync on the event loop, which has nothing else to do, instead of two cross-thread wake-ups
   * (measured ~0.2 ms per call at concurrency 1 here); under load batches keep going off-thread.
   */
  #quiet(batch: readonly Pending[]): Committer | undefined {
    const q = this.#opts.whenQuiet;
    if (q === undefined || batch.length > QUIET_BATCH || this.#inflight.size > 0) return undefined;
    if (this.#committer.busy?.() === true) return undefined;
    return batch.every((p) => p.sparse !== false) ? q.committer : undefined;
  }

  async #commit(batch: Pending[], committer: Committer = this.#committer): Promise<void> {
    let outcomes: CommitOutcome[];
    try {
      outcomes = await committer.commit(batch.map((p) => p.content));
    } catch (e) {
      this.#fail(e, batch);
      return;
    }
    let committed = 0;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const o = outcomes[i];
      if (typeof o === 'string' || o === undefined) {
        p.reject(new AuditError('ERR_AUDIT_INPUT', o ?? 'the record was not committed'));
        continue;
      }
      committed++;
      // The content is the writer's own copy (normalizeEvent made it): completed in place
      // rather than spread into a new object on the event loop.
      const record = p.content;
      record.seq = o[0];
      record.prevHash = o[1];
      record.hash = o[2];
      p.resolve(record as unknown as AuditRecord);
    }
    if (committed > 0) this.#opts.onCommit(committed);
  }

  #fail(cause: unknown, batch: Pending[]): void {
    if (this.#failed !== undefined) {
      // A pipelined batch sent before the first failure was known: it fails with the chain.
      for (const p of batch) p.reject(this.#failed);
      return;
    }
    this.#failed = failedError();
    this.#opts.logger.error('audit commit failed: the audit log stops accepting records until restart', {
      error: describeError(cause),
      batch: batch.length,
      queued: this.#queue.length,
    });
    const write = new AuditError(
      'ERR_AUDIT_WRITE',
      `audit commit failed: ${describeError(cause)}`,
      { batch: batch.length },
      { cause },
    );
    for (const p of batch) p.reject(write);
    this.#release(false);
    const rest = this.#queue.splice(0);
    for (const p of rest) p.reject(failedError());
    try {
      this.#opts.onFailure?.(write);
    } catch {
      // The owner's hook must not break the failure path.
    }
  }
}

/** The committer that runs each batch's transaction on `store` itself. */
export function inlineCommitter(store: Store, maxRecordBytes: number): Committer {
  return {
    commit: (contents) => commitBatch(store, contents, maxRecordBytes),
    close: () => Promise.resolve(),
  };
}

/**
 * One batch, one transaction: reads the head under a lock (SQLite BEGIN IMMEDIATE; PostgreSQL
 * SELECT … FOR UPDATE), seals each record onto the chain, inserts, moves the head.
 */
export async function commitBatch(
  store: SqlClient,
  contents: readonly Record<string, unknown>[],
  maxRecordBytes: number,
): Promise<CommitOutcome[]> {
  let outcomes: CommitOutcome[] = [];
  await store.transaction(async (tx) => {
    outcomes = [];
    const rows: SqlValue[][] = [];
    const head = await readHeadForUpdate(tx);
    let seq = head.seq;
    let prev = head.hash;
    for (const content of contents) {
      const s = seal(content, seq + 1, prev, maxRecordBytes);
      if (typeof s === 'string') {
        outcomes.push(s);
        continue;
      }
      seq++;
      outcomes.push([seq, prev, s.hash]);
      rows.push(s.params);
      prev = s.hash;
    }
    if (rows.length === 0) return;
    await insertRows(tx, rows);
    await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [seq, prev]);
  });
  return outcomes;
}

function seal(
  content: Record<string, unknown>,
  seq: number,
  prev: string,
  maxRecordBytes: number,
): Sealed | string {
  let s: Sealed;
  try {
    s = sealRecord(content, seq, prev);
  } catch (e) {
    return `the event cannot be serialised as JSON (${(e as Error).name})`;
  }
  const size = (s.params[s.params.length - 1] as Buffer).length;
  if (size > maxRecordBytes) {
    return `the record is ${size} bytes, over the ${maxRecordBytes}-byte limit`;
  }
  return s;
}

function failedError(): AuditError {
  return new AuditError(
    'ERR_AUDIT_FAILED',
    'the audit log failed earlier and accepts no records until the process restarts',
  );
}

async function readHeadForUpdate(tx: SqlClient): Promise<{ seq: number; hash: string }> {
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const rows = await tx.query<{ seq: number; hash: string }>(
    `SELECT seq, hash FROM audit_head WHERE id = 1${lock}`,
  );
  const head = rows[0];
  if (head === undefined) throw new AuditError('ERR_AUDIT_TAMPERED', 'the audit_head row is missing');
  return { seq: Number(head.seq), hash: head.hash };
}

async function insertRows(tx: SqlClient, rows: SqlValue[][]): Promise<void> {
  if (tx.dialect === 'sqlite') {
    // better-sqlite3 is synchronous: one cached statement per row is the fastest path.
    for (const r of rows) await tx.run(INSERT + ROW_PARAMS, r);
    return;
  }
  for (let i = 0; i < rows.length; i += PG_CHUNK) {
    const chunk = rows.slice(i, i + PG_CHUNK);
    await tx.run(INSERT + chunk.map(() => ROW_PARAMS).join(', '), chunk.flat());
  }
}
