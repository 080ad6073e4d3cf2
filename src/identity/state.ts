import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';

/**
 * The invalidation scheme shared by every cache of the identity domain.
 *
 * One row, `identity_state.version`, is incremented in the same transaction as every change
 * that must invalidate a cached decision (agent disabled, roles changed, API key or token
 * revoked, signing key rotated). Readers call `current()` before deciding: when the last poll
 * is older than `maxStalenessMs` (default 250 ms) it reads the row again, and when the version
 * moved every registered cache is dropped. A change made through this process marks the state
 * stale at once, so it is seen by the very next request; other processes sharing the store see
 * it within `maxStalenessMs` plus one query. Polling is lazy (no timer keeps the process alive):
 * a decision is never made on state older than the staleness bound.
 */
export class IdentityState {
  readonly #db: SqlClient;
  readonly #clock: Clock;
  readonly #maxStalenessMs: number;
  readonly #listeners: (() => void)[] = [];
  #version = -1;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<number> | undefined;
  #generation = 0;

  constructor(db: SqlClient, options: { clock?: Clock; maxStalenessMs?: number } = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#maxStalenessMs = options.maxStalenessMs ?? 250;
    if (this.#maxStalenessMs < 0 || this.#maxStalenessMs > 500) {
      throw new RangeError('maxStalenessMs must be within 0..500 (revocation must propagate within 1 s)');
    }
  }

  /** Registers a cache to drop when the version moves. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The current version, polling the store when the last poll is too old. */
  current(): Promise<number> {
    if (this.#clock.monotonic() - this.#checkedAt <= this.#maxStalenessMs)
      return Promise.resolve(this.#version);
    if (this.#inflight !== undefined) return this.#inflight;
    const p = this.#poll().finally(() => {
      if (this.#inflight === p) this.#inflight = undefined;
    });
    this.#inflight = p;
    return p;
  }

  /** Increments the version inside the caller's transaction. */
  async bump(tx: SqlClient): Promise<void> {
    await tx.run('UPDATE identity_state SET version = version + 1 WHERE id = 1');
  }

  /** Forces the next `current()` to poll (call after a local change commits). */
  markStale(): void {
    this.#generation++;
    this.#checkedAt = Number.NEGATIVE_INFINITY;
    this.#inflight = undefined;
  }

  async #poll(): Promise<number> {
    const started = this.#clock.monotonic();
    const generation = this.#generation;
    const rows = await this.#db.query<{ version: number | string }>(
      'SELECT version FROM identity_state WHERE id = 1',
    );
    const v = Number(rows[0]?.version ?? 0);
    if (v !== this.#version) {
      this.#version = v;
      for (const l of this.#listeners) l();
    }
    // A local change made while this poll was in flight may not be in what it read.
    if (generation === this.#generation) this.#checkedAt = started;
    return v;
  }
}

const shared = new WeakMap<SqlClient, IdentityState>();

/**
 * The state object for a store: every registry, token service and authenticator built on the
 * same store object shares it, so a local change is visible to all of them on the next call.
 */
export function stateFor(
  db: SqlClient,
  options: { clock?: Clock; maxStalenessMs?: number } = {},
): IdentityState {
  let s = shared.get(db);
  if (s === undefined) {
    s = new IdentityState(db, options);
    shared.set(db, s);
  }
  return s;
}
