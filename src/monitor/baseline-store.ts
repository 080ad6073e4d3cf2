/**
 * Persistence of baselines and alerts over the store port (tables prefixed `monitor_`).
 * Baselines are one JSON document per agent, written in batches; alerts are appended with a
 * store-assigned sequence so `warden alerts --follow` can poll for new ones.
 */
import { migrate } from '../store/index.ts';
import type { Migration, SqlClient } from '../store/index.ts';
import { MonitorError } from './errors.ts';
import type { AgentBaseline } from './baseline.ts';
import type { Alert } from './types.ts';

export const MONITOR_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-baselines',
    sqlite:
      'CREATE TABLE monitor_baselines (agent TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at BIGINT NOT NULL)',
    postgres:
      'CREATE TABLE monitor_baselines (agent TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at BIGINT NOT NULL)',
  },
  {
    id: '002-alerts',
    sqlite:
      'CREATE TABLE monitor_alerts (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, time BIGINT NOT NULL, agent TEXT NOT NULL, detector TEXT NOT NULL, data TEXT NOT NULL);\nCREATE INDEX monitor_alerts_time ON monitor_alerts (time)',
    postgres:
      'CREATE TABLE monitor_alerts (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, time BIGINT NOT NULL, agent TEXT NOT NULL, detector TEXT NOT NULL, data TEXT NOT NULL);\nCREATE INDEX monitor_alerts_time ON monitor_alerts (time)',
  },
];

export class BaselineStore {
  readonly #db: SqlClient;
  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** Creates the monitor tables (idempotent). */
  async migrate(): Promise<void> {
    await migrate(this.#db, 'monitor', MONITOR_MIGRATIONS);
  }

  async get(agent: string): Promise<AgentBaseline | undefined> {
    const rows = await this.#db.query<{ data: string }>(
      'SELECT data FROM monitor_baselines WHERE agent = ?',
      [agent],
    );
    return rows[0] ? parse(rows[0].data, agent) : undefined;
  }

  async loadAll(): Promise<AgentBaseline[]> {
    const rows = await this.#db.query<{ agent: string; data: string }>(
      'SELECT agent, data FROM monitor_baselines',
    );
    return rows.map((r) => parse(r.data, r.agent));
  }

  /** Upserts many baselines in one transaction. */
  async putMany(baselines: readonly AgentBaseline[], now: number): Promise<void> {
    if (baselines.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const b of baselines) {
        await tx.run(
          'INSERT INTO monitor_baselines (agent, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (agent) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
          [b.agent, JSON.stringify(b), now],
        );
      }
    });
  }

  async appendAlerts(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const a of alerts) {
        await tx.run(
          'INSERT INTO monitor_alerts (id, time, agent, detector, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
          [a.id, a.time, a.agent, a.detector, JSON.stringify(a)],
        );
      }
    });
  }

  /** Alerts after store sequence `afterSeq` (oldest first), for listing and `--follow` polling. */
  async listAlerts(
    opts: { afterSeq?: number; limit?: number; agent?: string } = {},
  ): Promise<{ seq: number; alert: Alert }[]> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 10_000);
    const params: (string | number)[] = [opts.afterSeq ?? 0];
    let sql = 'SELECT seq, data FROM monitor_alerts WHERE seq > ?';
    if (opts.agent !== undefined) {
      sql += ' AND agent = ?';
      params.push(opts.agent);
    }
    sql += ' ORDER BY seq ASC LIMIT ?';
    params.push(limit);
    const rows = await this.#db.query<{ seq: number | string; data: string }>(sql, params);
    return rows.map((r) => ({ seq: Number(r.seq), alert: JSON.parse(r.data) as Alert }));
  }

  /** The newest `limit` alerts, oldest first (what `warden alerts` prints without --follow). */
  async recentAlerts(limit = 50): Promise<{ seq: number; alert: Alert }[]> {
    const rows = await this.#db.query<{ seq: number | string; data: string }>(
      'SELECT seq, data FROM monitor_alerts ORDER BY seq DESC LIMIT ?',
      [Math.min(Math.max(limit, 1), 10_000)],
    );
    return rows.reverse().map((r) => ({ seq: Number(r.seq), alert: JSON.parse(r.data) as Alert }));
  }
}

function parse(data: string, agent: string): AgentBaseline {
  try {
    const b = JSON.parse(data) as AgentBaseline;
    if (b.version !== 1 || b.agent !== agent || typeof b.tools !== 'object') throw new Error('shape');
    return b;
  } catch {
    throw new MonitorError(
      'ERR_MONITOR_BASELINE_CORRUPT',
      `stored baseline for agent ${agent} is unreadable`,
      {
        agent,
      },
    );
  }
}
