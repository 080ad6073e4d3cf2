/**
 * Runs the audit log's commits on a worker thread with its own SQLite connection. better-sqlite3
 * is synchronous: inline, every COMMIT (an fsync with synchronous=FULL) blocks the gateway's
 * event loop, and at load that is most of the gateway's time. Off the thread, requests keep
 * flowing while a batch is made durable; callers still wait for their record's COMMIT
 * (audit before effect is unchanged). The worker runs the same commitBatch as the inline path,
 * under the same BEGIN IMMEDIATE lock, so several processes on one file still extend one chain.
 *
 * Commits are pipelined (see commit-worker.ts): the writer sends the next records without
 * waiting for the commit in flight, and the worker commits everything waiting as one
 * transaction, in order. The worker holds the process open only while a commit is in flight.
 */
import { Worker } from 'node:worker_threads';
import { AuditError } from './errors.ts';
import type { CommitOutcome, Committer } from './writer.ts';
import type { AuditKeys, Checkpoint } from './types.ts';

/** What the worker needs to sign checkpoints (the key is copied to the worker thread). */
export interface CheckpointSigner {
  readonly keys: AuditKeys;
  readonly logFile: string | undefined;
}

export interface WorkerSetup {
  readonly file: string;
  readonly maxRecordBytes: number;
  readonly busyTimeoutMs: number;
  readonly signer?: CheckpointSigner | undefined;
}
export interface CommitRequest {
  readonly kind: 'commit';
  readonly id: number;
  readonly contents: readonly Record<string, unknown>[];
}
export interface CheckpointRequest {
  readonly kind: 'checkpoint';
  readonly id: number;
  readonly time: number;
}
export type WorkerMessage = CommitRequest | CheckpointRequest | { readonly kind: 'close' };
/** The worker answers several requests at once when it committed them in one transaction. */
export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'committed'; readonly ids: readonly number[]; readonly results: CommitOutcome[][] }
  | { readonly kind: 'checkpointed'; readonly id: number; readonly checkpoint: Checkpoint }
  | { readonly kind: 'error'; readonly ids: readonly number[]; readonly error: string };

interface Waiter {
  resolve(o: CommitOutcome[] | Checkpoint): void;
  reject(e: unknown): void;
}

/** This module's sibling, as .ts from the source tree (tsx) or .js from dist/. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./commit-worker${ext}`, import.meta.url);
}

/**
 * From dist/ the worker is plain JavaScript. From the source tree (tests, `tsx`), Node 20 does
 * not carry `--import tsx` into worker threads, so the worker registers tsx itself first.
 */
function startWorker(url: URL, setup: WorkerSetup): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: setup });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: setup });
}

export async function startWorkerCommitter(
  file: string,
  opts: { maxRecordBytes: number; busyTimeoutMs?: number; signer?: CheckpointSigner },
): Promise<Committer> {
  const setup: WorkerSetup = {
    file,
    maxRecordBytes: opts.maxRecordBytes,
    busyTimeoutMs: opts.busyTimeoutMs ?? 30_000,
    signer: opts.signer,
  };
  const worker = startWorker(workerUrl(), setup);
  const waiters = new Map<number, Waiter>();
  let nextId = 1;
  let dead: string | undefined;

  const die = (why: string): void => {
    if (dead !== undefined) return;
    dead = why;
    for (const w of waiters.values()) w.reject(new AuditError('ERR_AUDIT_WRITE', why));
    waiters.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const onStartError = (e: Error): void =>
      reject(new AuditError('ERR_AUDIT_WRITE', `the audit commit worker did not start: ${e.message}`));
    worker.once('error', onStartError);
    worker.once('message', (m: WorkerReply) => {
      worker.off('error', onStartError);
      if (m.kind === 'ready') resolve();
      else {
        void worker.terminate();
        reject(
          new AuditError(
            'ERR_AUDIT_WRITE',
            `the audit commit worker cannot open ${file}: ${m.kind === 'failed' ? m.error : m.kind}`,
          ),
        );
      }
    });
  });

  worker.on('message', (m: WorkerReply) => {
    if (m.kind === 'checkpointed') {
      const w = waiters.get(m.id);
      waiters.delete(m.id);
      w?.resolve(m.checkpoint);
      if (waiters.size === 0) worker.unref();
      return;
    }
    if (m.kind !== 'committed' && m.kind !== 'error') return;
    m.ids.forEach((id, i) => {
      const w = waiters.get(id);
      waiters.delete(id);
      if (w === undefined) return;
      if (m.kind === 'committed') w.resolve(m.results[i] ?? []);
      else w.reject(new AuditError('ERR_AUDIT_WRITE', m.error));
    });
    if (waiters.size === 0) worker.unref();
  });
  worker.on('error', (e) => die(`the audit commit worker crashed: ${e.message}`));
  worker.on('exit', (code) => die(`the audit commit worker exited (code ${code})`));
  worker.unref();

  function request<T extends CommitOutcome[] | Checkpoint>(
    message: (id: number) => WorkerMessage,
  ): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      try {
        worker.postMessage(message(id));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      waiters.set(id, { resolve: resolve as (v: CommitOutcome[] | Checkpoint) => void, reject });
      worker.ref();
    });
  }
  const send = (contents: readonly Record<string, unknown>[]): Promise<CommitOutcome[]> =>
    request<CommitOutcome[]>((id) => ({ kind: 'commit', id, contents }));

  async function sendCloneable(contents: readonly Record<string, unknown>[]): Promise<CommitOutcome[]> {
    const ok: Record<string, unknown>[] = [];
    const refused = new Map<number, string>();
    contents.forEach((c, i) => {
      try {
        structuredClone(c);
        ok.push(c);
      } catch (e) {
        refused.set(i, `the event cannot be serialised (${(e as Error).name})`);
      }
    });
    const sent = ok.length === 0 ? [] : await send(ok);
    let j = 0;
    return contents.map((_, i) => refused.get(i) ?? sent[j++] ?? 'the record was not committed');
  }

  return {
    pipelined: true,
    busy: () => waiters.size > 0,
    ...(opts.signer === undefined
      ? {}
      : {
          checkpoint: (time: number): Promise<Checkpoint> => {
            if (dead !== undefined) return Promise.reject(new AuditError('ERR_AUDIT_WRITE', dead));
            return request<Checkpoint>((id) => ({ kind: 'checkpoint', id, time }));
          },
        }),
    commit(contents) {
      if (dead !== undefined) return Promise.reject(new AuditError('ERR_AUDIT_WRITE', dead));
      return send(contents).catch((e: unknown) => {
        if ((e as Error).name !== 'DataCloneError') throw e;
        // One event cannot cross the thread boundary: refuse just that one (like an event
        // that is not JSON on the inline path), commit the rest.
        return sendCloneable(contents);
      });
    },
    async close() {
      if (dead !== undefined) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ kind: 'close' });
      await exited;
    },
  };
}
