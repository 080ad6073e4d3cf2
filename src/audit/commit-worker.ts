/**
 * The audit commit worker (a worker thread, started by worker-committer.ts). It owns its own
 * connection to the SQLite file and runs each batch's transaction (seal, insert, move the head,
 * COMMIT with fsync) off the gateway's event loop. Same code as the inline path: commitBatch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../core/index.ts';
import { openSqlite } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { commitBatch } from './writer.ts';
import type { CommitRequest, WorkerReply, WorkerSetup } from './worker-committer.ts';

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

let tail: Promise<void> = Promise.resolve();
port.on('message', (m: CommitRequest | { kind: 'close' }) => {
  tail = tail.then(async () => {
    if (m.kind === 'close') {
      await store?.close();
      port.close();
      return;
    }
    try {
      if (store === undefined) throw new Error('the audit commit worker has no database connection');
      const outcomes = await commitBatch(store, m.contents, setup.maxRecordBytes);
      port.postMessage({ kind: 'committed', id: m.id, outcomes } satisfies WorkerReply);
    } catch (e) {
      port.postMessage({ kind: 'error', id: m.id, error: describeError(e) } satisfies WorkerReply);
    }
  });
});
