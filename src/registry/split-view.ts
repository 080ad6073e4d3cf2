/**
 * Split-view detection (RP-3): a server must return the same tool list to every caller until it
 * announces a change with `notifications/tools/list_changed`. Each observed list hash is
 * recorded per caller; a different list without an announced change flags the server.
 */
import type { Clock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';

export type ObserveStatus = 'first' | 'consistent' | 'updated' | 'split-view';
export type SplitReason = 'different-list-per-caller' | 'changed-without-notification';

export interface ObserveResult {
  readonly status: ObserveStatus;
  /** True when the server is (now or still) flagged; the gateway blocks its calls. */
  readonly flagged: boolean;
  readonly reason?: SplitReason;
  readonly expectedHash?: string;
}

export interface SplitFlag {
  readonly id: number;
  readonly server: string;
  readonly reason: SplitReason;
  readonly expectedHash: string;
  readonly observedHash: string;
  readonly callerId: string;
  readonly at: number;
}

async function hasOpenFlag(tx: SqlClient, server: string): Promise<boolean> {
  const rows = await tx.query('SELECT id FROM registry_flags WHERE server = ? AND cleared = 0 LIMIT 1', [
    server,
  ]);
  return rows.length > 0;
}

async function recordView(
  tx: SqlClient,
  server: string,
  epoch: number,
  hash: string,
  caller: string,
  now: number,
): Promise<void> {
  await tx.run(
    'INSERT INTO registry_list_views (server, epoch, list_hash, caller_id, seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (server, epoch, list_hash, caller_id) DO UPDATE SET seen_at = excluded.seen_at',
    [server, epoch, hash, caller, now],
  );
}

export async function observeList(
  db: SqlClient,
  clock: Clock,
  server: string,
  hash: string,
  callerId: string,
  listChanged: boolean,
): Promise<ObserveResult> {
  const now = clock.now();
  return db.transaction(async (tx) => {
    const cur = (
      await tx.query<{ epoch: number | string; list_hash: string }>(
        'SELECT epoch, list_hash FROM registry_servers WHERE server = ?',
        [server],
      )
    )[0];
    if (cur === undefined) {
      await tx.run(
        'INSERT INTO registry_servers (server, epoch, list_hash, updated_at) VALUES (?, 0, ?, ?) ON CONFLICT (server) DO NOTHING',
        [server, hash, now],
      );
      await recordView(tx, server, 0, hash, callerId, now);
      return { status: 'first', flagged: await hasOpenFlag(tx, server) };
    }
    const epoch = Number(cur.epoch);
    if (cur.list_hash === hash) {
      await recordView(tx, server, epoch, hash, callerId, now);
      return { status: 'consistent', flagged: await hasOpenFlag(tx, server) };
    }
    if (listChanged) {
      await tx.run('UPDATE registry_servers SET epoch = ?, list_hash = ?, updated_at = ? WHERE server = ?', [
        epoch + 1,
        hash,
        now,
        server,
      ]);
      await recordView(tx, server, epoch + 1, hash, callerId, now);
      return { status: 'updated', flagged: await hasOpenFlag(tx, server) };
    }
    const sameCaller = await tx.query(
      'SELECT 1 FROM registry_list_views WHERE server = ? AND epoch = ? AND list_hash = ? AND caller_id = ?',
      [server, epoch, cur.list_hash, callerId],
    );
    const reason: SplitReason =
      sameCaller.length > 0 ? 'changed-without-notification' : 'different-list-per-caller';
    await tx.run(
      'INSERT INTO registry_flags (server, reason, expected_hash, observed_hash, caller_id, at) VALUES (?, ?, ?, ?, ?, ?)',
      [server, reason, cur.list_hash, hash, callerId, now],
    );
    await recordView(tx, server, epoch, hash, callerId, now);
    return { status: 'split-view', flagged: true, reason, expectedHash: cur.list_hash };
  });
}

export async function openFlags(db: SqlClient, server?: string): Promise<SplitFlag[]> {
  const rows = await db.query<{
    id: number | string;
    server: string;
    reason: SplitReason;
    expected_hash: string;
    observed_hash: string;
    caller_id: string;
    at: number | string;
  }>(
    `SELECT id, server, reason, expected_hash, observed_hash, caller_id, at FROM registry_flags WHERE cleared = 0${server === undefined ? '' : ' AND server = ?'} ORDER BY id`,
    server === undefined ? [] : [server],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    server: r.server,
    reason: r.reason,
    expectedHash: r.expected_hash,
    observedHash: r.observed_hash,
    callerId: r.caller_id,
    at: Number(r.at),
  }));
}

/** Clears a server's flags after review; its current list becomes the one last observed. */
export async function clearFlags(
  db: SqlClient,
  clock: Clock,
  server: string,
  acceptHash?: string,
): Promise<number> {
  return db.transaction(async (tx) => {
    const res = await tx.run('UPDATE registry_flags SET cleared = 1 WHERE server = ? AND cleared = 0', [
      server,
    ]);
    if (acceptHash !== undefined) {
      await tx.run(
        'UPDATE registry_servers SET epoch = epoch + 1, list_hash = ?, updated_at = ? WHERE server = ?',
        [acceptHash, clock.now(), server],
      );
    }
    return res.changes;
  });
}
