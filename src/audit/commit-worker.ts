/**
 * The audit commit worker (a worker thread, started by worker-committer.ts). It owns its own
 * connection to the SQLite file and runs the transactions (seal, insert, move the head, COMMIT
 * with fsync) off the gateway's event loop. Same code as the inline path: commitBatch.
 *
 * Requests are pipelined: the gateway sends each event-loop turn's records as soon as they are
 * queued, without waiting for the commit in progress. When the worker is free it takes every
 * request waiting on its port and commits them as one transaction, in arrival order, so a
 * commit's fixed cost (the fsync) is shared by everything that arrived while the last one ran.
 * After a failed commit the worker refuses every later request (AU-7: the chain stops).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { describeError } from '../core/index.ts';
import { openSqlite } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { commitBatch } from './writer.ts';
import type {
  CheckpointRequest,
  CommitRequest,
  WorkerMessage,
  WorkerReply,
  WorkerSetup,
} from './worker-committer.ts';
import { signAndStoreCheckpoint } from './checkpoint.ts';

const port = parentPort;
if (port === null) throw new Error('commit-worker.ts runs as a worker thread only');
const setup = workerData as WorkerSetup;

let store: Store | undefined;
try {
  // A long busy timeout: another process (or this process's main connection) may hold the
  // write lock briefly; giving up would make the audit log fail for good (AU-7).
  store = openSqlite(setup.file, { busyTimeoutMs: setup.busyTimeoutMs });
  port.postMessage({ kind: 'ready' } satisfies WorkerReply);
} catch (e) {
  port.postMessage({ kind: 'failed', error: describeError(e) } satisfies WorkerReply);
}

/** Most records one transaction takes; the rest wait for the next one. */
const MAX_RECORDS = 1024;
const waiting: WorkerMessage[] = [];
let running = false;
let failed: string | undefined;

port.on('message', (m: WorkerMessage) => {
  waiting.push(m);
  if (!running) void run(port);
});

async function run(p: MessagePort): Promise<void> {
  running = true;
  try {
    while (waiting.length > 0) {
      // Everything that arrived while the last commit ran joins this one.
      for (let r = receiveMessageOnPort(p); r !== undefined; r = receiveMessageOnPort(p))
        waiting.push(r.message as WorkerMessage);
      const batch: CommitRequest[] = [];
      let records = 0;
      while (waiting.length > 0 && waiting[0]!.kind === 'commit') {
        const next = waiting[0] as CommitRequest;
        if (batch.length > 0 && records + next.contents.length > MAX_RECORDS) break;
        batch.push(next);
        records += next.contents.length;
        waiting.shift();
      }
      if (batch.length > 0) {
        await commit(p, batch);
        continue;
      }
      const next = waiting.shift()!;
      if (next.kind === 'checkpoint') {
        await checkpoint(p, next);
        continue;
      }
      // A close request: every commit sent before it has been answered.
      await store?.close();
      store = undefined;
      p.close();
      return;
    }
  } finally {
    running = false;
  }
}

async function commit(p: MessagePort, batch: readonly CommitRequest[]): Promise<void> {
  const ids = batch.map((b) => b.id);
  try {
    if (failed !== undefined) throw new Error(`an earlier commit failed (${failed})`);
    if (store === undefined) throw new Error('the audit commit worker has no database connection');
    const outcomes = await commitBatch(
      store,
      batch.length === 1 ? batch[0]!.contents : batch.flatMap((b) => b.contents),
      setup.maxRecordBytes,
    );
    const results: (typeof outcomes)[] = [];
    let at = 0;
    for (const b of batch) {
      results.push(outcomes.slice(at, at + b.contents.length));
      at += b.contents.length;
    }
    p.postMessage({ kind: 'committed', ids, results } satisfies WorkerReply);
  } catch (e) {
    failed ??= describeError(e);
    p.postMessage({ kind: 'error', ids, error: describeError(e) } satisfies WorkerReply);
  }
}

/** Signs the head after every commit before it (AuditLog's periodic and final checkpoints). */
async function checkpoint(p: MessagePort, m: CheckpointRequest): Promise<void> {
  try {
    if (store === undefined) throw new Error('the audit commit worker has no database connection');
    if (setup.signer === undefined) throw new Error('the audit commit worker holds no signing key');
    const cp = await signAndStoreCheckpoint(store, setup.signer.keys, m.time, setup.signer.logFile);
    p.postMessage({ kind: 'checkpointed', id: m.id, checkpoint: cp } satisfies WorkerReply);
  } catch (e) {
    p.postMessage({ kind: 'error', ids: [m.id], error: describeError(e) } satisfies WorkerReply);
  }
}
