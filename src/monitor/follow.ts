/**
 * `warden alerts --follow`: polls the store for alerts after the last sequence seen, so it works
 * against any gateway replica writing to the same store. Resolves when `signal` aborts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BaselineStore } from './baseline-store.ts';
import type { Alert } from './types.ts';

export interface FollowOptions {
  /** Start after this store sequence (default: after the newest alert at start). */
  readonly afterSeq?: number;
  readonly intervalMs?: number;
  readonly signal: AbortSignal;
  readonly onAlert: (alert: Alert, seq: number) => void;
}

export async function followAlerts(store: BaselineStore, o: FollowOptions): Promise<void> {
  let after = o.afterSeq ?? (await store.recentAlerts(1))[0]?.seq ?? 0;
  while (!o.signal.aborted) {
    const rows = await store.listAlerts({ afterSeq: after, limit: 500 });
    for (const r of rows) {
      o.onAlert(r.alert, r.seq);
      after = r.seq;
    }
    if (rows.length === 500) continue;
    try {
      await sleep(o.intervalMs ?? 1000, undefined, { signal: o.signal });
    } catch {
      return; // aborted
    }
  }
}
