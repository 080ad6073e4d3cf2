import type { Clock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import type { AccessClaims } from './claims.ts';
import { actorChain, agentIdOf } from './claims.ts';
import type { IdentityState } from './state.ts';

export interface RevocationSnapshot {
  readonly jtis: ReadonlySet<string>;
  /** task id → revoked at (epoch ms) */
  readonly tasks: ReadonlyMap<string, number>;
  /** agent id → revoked at (epoch ms): tokens it holds or acts in, issued up to then, are dead */
  readonly agents: ReadonlyMap<string, number>;
}

export type RevokeTarget =
  { readonly jti: string } | { readonly agentId: string } | { readonly task: string };

const DESCENDANTS_SQL = `WITH RECURSIVE d(jti, expires_at) AS (
  SELECT jti, expires_at FROM identity_tokens WHERE jti = ?
  UNION ALL SELECT t.jti, t.expires_at FROM identity_tokens t JOIN d ON t.parent_jti = d.jti
) SELECT jti, expires_at FROM d`;

/**
 * Revocations by token id (with every descendant, DL-6), by task and by agent, kept in the
 * store and mirrored in memory per state version: the hot path checks sets, never the store.
 * A token also names its ancestors (`anc`), so a descendant minted while its parent was being
 * revoked is still refused.
 */
export class Revocations {
  readonly #db: SqlClient;
  readonly #state: IdentityState;
  readonly #clock: Clock;
  readonly #horizonMs: number;
  #snap: { version: number; value: RevocationSnapshot } | undefined;

  constructor(db: SqlClient, state: IdentityState, clock: Clock, horizonMs: number) {
    this.#db = db;
    this.#state = state;
    this.#clock = clock;
    this.#horizonMs = horizonMs;
  }

  async snapshot(): Promise<RevocationSnapshot> {
    const version = await this.#state.current();
    if (this.#snap?.version === version) return this.#snap.value;
    const rows = await this.#db.query<{ kind: string; subject: string; revoked_at: number }>(
      'SELECT kind, subject, revoked_at FROM identity_revocations WHERE expires_at > ?',
      [this.#clock.now()],
    );
    const jtis = new Set<string>();
    const tasks = new Map<string, number>();
    const agents = new Map<string, number>();
    for (const r of rows) {
      if (r.kind === 'jti') jtis.add(r.subject);
      else if (r.kind === 'task') tasks.set(r.subject, Number(r.revoked_at));
      else if (r.kind === 'agent') agents.set(r.subject, Number(r.revoked_at));
    }
    const value = { jtis, tasks, agents };
    this.#snap = { version, value };
    return value;
  }

  /** Why these claims are revoked, or null. `iat` is compared conservatively (whole second). */
  static reason(s: RevocationSnapshot, c: AccessClaims): string | null {
    if (s.jtis.has(c.jti)) return 'the token was revoked';
    for (const a of c.anc ?? []) if (s.jtis.has(a)) return 'an ancestor token was revoked';
    const issuedMs = c.iat * 1000;
    if (c.task !== undefined) {
      const t = s.tasks.get(c.task);
      if (t !== undefined && issuedMs <= t) return 'the task was revoked';
    }
    for (const uri of [c.sub, ...actorChain(c.act)]) {
      const t = s.agents.get(agentIdOf(uri));
      if (t !== undefined && issuedMs <= t) return 'the agent’s tokens were revoked';
    }
    return null;
  }

  /** Records a revocation and bumps the state version; returns how many token ids it covered. */
  async revoke(target: RevokeTarget): Promise<number> {
    const now = this.#clock.now();
    let count = 0;
    await this.#db.transaction(async (tx) => {
      if ('jti' in target) {
        count = await this.#revokeTree(tx, target.jti, now);
      } else if ('task' in target) {
        await upsert(tx, 'task', target.task, now, now + this.#horizonMs);
        const roots = await tx.query<{ jti: string }>(
          'SELECT jti FROM identity_tokens WHERE task = ? AND expires_at > ?',
          [target.task, now - 60_000],
        );
        for (const r of roots) count += await this.#revokeTree(tx, r.jti, now);
      } else {
        await upsert(tx, 'agent', target.agentId, now, now + this.#horizonMs);
        const r = await tx.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM identity_tokens WHERE (agent_id = ? OR actor_id = ?) AND expires_at > ?',
          [target.agentId, target.agentId, now],
        );
        count = Number(r[0]?.n ?? 0);
      }
      await this.#state.bump(tx);
    });
    this.#state.markStale();
    return count;
  }

  async #revokeTree(tx: SqlClient, jti: string, now: number): Promise<number> {
    const rows = await tx.query<{ jti: string; expires_at: number }>(DESCENDANTS_SQL, [jti]);
    if (rows.length === 0) rows.push({ jti, expires_at: now + this.#horizonMs });
    for (const r of rows) await upsert(tx, 'jti', r.jti, now, Number(r.expires_at) + 120_000);
    return rows.length;
  }

  /** Drops revocations and lineage rows that can no longer matter. */
  async purge(): Promise<void> {
    const now = this.#clock.now();
    await this.#db.run('DELETE FROM identity_revocations WHERE expires_at <= ?', [now]);
    await this.#db.run('DELETE FROM identity_tokens WHERE expires_at <= ?', [now - 3_600_000]);
    await this.#db.run('DELETE FROM identity_assertions WHERE expires_at <= ?', [now]);
  }
}

async function upsert(
  tx: SqlClient,
  kind: string,
  subject: string,
  at: number,
  expiresAt: number,
): Promise<void> {
  await tx.run(
    'INSERT INTO identity_revocations (kind, subject, revoked_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, subject) DO UPDATE SET revoked_at = excluded.revoked_at, expires_at = excluded.expires_at',
    [kind, subject, at, expiresAt],
  );
}
