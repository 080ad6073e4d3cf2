/**
 * Pins over the store port (RP-1, RP-2, RP-3). One row per (server, kind, key) holds the approved
 * definition and hash and the definition last seen, so a change is blocked and can be shown
 * as a diff before approval. `kind` is tool (the default of every method), prompt, resource or
 * resource-template; the key is the tool or prompt name, the resource URI or the URI template
 * (column `tool`, named before prompts and resources were pinned). Tables are prefixed `registry_`.
 */
import { systemClock } from '../core/index.ts';
import type { Clock } from '../core/index.ts';
import { migrate } from '../store/index.ts';
import type { SqlClient } from '../store/index.ts';
import { definitionDiff } from './diff.ts';
import { RegistryError } from './errors.ts';
import { REGISTRY_MIGRATIONS } from './migrations.ts';
import { pinHash, pinnedView } from './pin.ts';
import type { PinKind } from './pin.ts';
import { ITEM_KEY } from '../scan/index.ts';
import { clearFlags, observeList, openFlags } from './split-view.ts';
import type { ObserveResult, SplitFlag } from './split-view.ts';

/** What happens to a tool seen for the first time. */
export type FirstSight = 'trust' | 'hold';
export type PinStatus = 'ok' | 'changed' | 'new' | 'pending' | 'rejected';
export type StoredStatus = 'trusted' | 'pending' | 'rejected';

export interface PinCheck {
  readonly tool: string;
  /** ok: matches the pin · new: first sight, pinned now · changed: differs from the pin · pending: awaiting approval · rejected */
  readonly status: PinStatus;
  readonly oldHash?: string;
  readonly newHash: string;
}

/** Only `ok` and `new` (trusted on first sight) may be called. */
export function isCallable(status: PinStatus): boolean {
  return status === 'ok' || status === 'new';
}

export interface PinRecord {
  readonly server: string;
  /** What is pinned: tool, prompt, resource, resource-template. */
  readonly kind: PinKind;
  /** The tool or prompt name, the resource URI or the URI template. */
  readonly tool: string;
  readonly status: StoredStatus;
  readonly approvedHash: string | null;
  readonly seenHash: string;
  /** True when the last seen definition differs from the approved one. */
  readonly changed: boolean;
  readonly decidedBy: string | null;
  readonly firstSeen: number;
  readonly updatedAt: number;
}

type Row = {
  server: string;
  kind: PinKind;
  tool: string;
  status: StoredStatus;
  approved_hash: string | null;
  approved_def: string | null;
  seen_hash: string;
  seen_def: string;
  decided_by: string | null;
  first_seen: number | string;
  updated_at: number | string;
};

function toRecord(r: Row): PinRecord {
  return {
    server: r.server,
    kind: r.kind,
    tool: r.tool,
    status: r.status,
    approvedHash: r.approved_hash,
    seenHash: r.seen_hash,
    changed: r.approved_hash !== null && r.approved_hash !== r.seen_hash,
    decidedBy: r.decided_by,
    firstSeen: Number(r.first_seen),
    updatedAt: Number(r.updated_at),
  };
}

function statusOf(row: Row, hash: string): PinCheck {
  const old = row.approved_hash ?? undefined;
  switch (row.status) {
    case 'rejected':
      return { tool: row.tool, status: 'rejected', newHash: hash, ...(old ? { oldHash: old } : {}) };
    case 'pending':
      return { tool: row.tool, status: 'pending', newHash: hash, ...(old ? { oldHash: old } : {}) };
    case 'trusted':
      return row.approved_hash === hash
        ? { tool: row.tool, status: 'ok', newHash: hash }
        : { tool: row.tool, status: 'changed', oldHash: row.approved_hash!, newHash: hash };
  }
}

/** `server.tool` for tools (as before); `server prompt name` / `server resource uri` otherwise. */
function label(server: string, key: string, kind: PinKind): string {
  return kind === 'tool' ? `${server}.${key}` : `${server} ${kind} ${key}`;
}

const COLS =
  'server, kind, tool, status, approved_hash, approved_def, seen_hash, seen_def, decided_by, first_seen, updated_at';

export class PinStore {
  private readonly db: SqlClient;
  private readonly clock: Clock;

  private constructor(db: SqlClient, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Applies the registry migrations and returns a store. */
  static async open(db: SqlClient, opts: { clock?: Clock } = {}): Promise<PinStore> {
    await migrate(db, 'registry', REGISTRY_MIGRATIONS);
    return new PinStore(db, opts.clock ?? systemClock);
  }

  get sql(): SqlClient {
    return this.db;
  }

  get now(): number {
    return this.clock.now();
  }

  /**
   * Compares a server's current list of one kind (tools unless `kind` says otherwise) with the
   * pins, recording what was seen. First sight: `trust` pins the definition at once (status
   * `new`, callable); `hold` stores it as `pending` until approved. Use `hold` for definitions
   * announced by `list_changed` (RP-2). Definitions without a string key (name, uri,
   * uriTemplate) are skipped (the gateway never exposes them).
   */
  async check(
    server: string,
    defs: readonly Readonly<Record<string, unknown>>[],
    opts: { firstSight: FirstSight; kind?: PinKind },
  ): Promise<PinCheck[]> {
    const now = this.clock.now();
    const kind = opts.kind ?? 'tool';
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<Row>(`SELECT ${COLS} FROM registry_pins WHERE server = ? AND kind = ?`, [
        server,
        kind,
      ]);
      const byTool = new Map(rows.map((r) => [r.tool, r]));
      const out: PinCheck[] = [];
      for (const def of defs) {
        const tool = def[ITEM_KEY[kind]];
        if (typeof tool !== 'string') continue;
        const hash = pinHash(def, kind);
        const json = JSON.stringify(pinnedView(def, kind));
        const row = byTool.get(tool);
        if (row === undefined) {
          const trusted = opts.firstSight === 'trust';
          await tx.run(
            `INSERT INTO registry_pins (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (server, kind, tool) DO NOTHING`,
            [
              server,
              kind,
              tool,
              trusted ? 'trusted' : 'pending',
              trusted ? hash : null,
              trusted ? json : null,
              hash,
              json,
              trusted ? 'first-sight' : null,
              now,
              now,
            ],
          );
          out.push({ tool, status: trusted ? 'new' : 'pending', newHash: hash });
          continue;
        }
        if (row.seen_hash !== hash) {
          await tx.run(
            'UPDATE registry_pins SET seen_hash = ?, seen_def = ?, updated_at = ? WHERE server = ? AND kind = ? AND tool = ?',
            [hash, json, now, server, kind, tool],
          );
        }
        out.push(statusOf(row, hash));
      }
      return out;
    });
  }

  private async row(server: string, tool: string, kind: PinKind): Promise<Row> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLS} FROM registry_pins WHERE server = ? AND kind = ? AND tool = ?`,
      [server, kind, tool],
    );
    const row = rows[0];
    if (row === undefined)
      throw new RegistryError('ERR_PIN_NOT_FOUND', `no pin for ${label(server, tool, kind)}`, {
        server,
        tool,
        kind,
      });
    return row;
  }

  /**
   * Approves the definition last seen, identified by its hash (the one `diff` showed), so a
   * definition that changed between review and approval is not approved by accident.
   */
  async approve(
    server: string,
    tool: string,
    hash: string,
    by = 'operator',
    kind: PinKind = 'tool',
  ): Promise<void> {
    const row = await this.row(server, tool, kind);
    const what = label(server, tool, kind);
    if (row.seen_hash !== hash) {
      throw new RegistryError(
        'ERR_PIN_HASH_MISMATCH',
        `${what} is now ${row.seen_hash}, not ${hash}; review the diff again`,
        { server, tool, kind, seen: row.seen_hash },
      );
    }
    const res = await this.db.run(
      "UPDATE registry_pins SET status = 'trusted', approved_hash = seen_hash, approved_def = seen_def, decided_by = ?, updated_at = ? WHERE server = ? AND kind = ? AND tool = ? AND seen_hash = ?",
      [by, this.clock.now(), server, kind, tool, hash],
    );
    if (res.changes !== 1) {
      throw new RegistryError(
        'ERR_PIN_HASH_MISMATCH',
        `${what} changed during approval; review the diff again`,
        {
          server,
          tool,
          kind,
        },
      );
    }
  }

  /** Rejects the tool (or other item): it stays blocked, whatever it becomes, until approved. */
  async reject(server: string, tool: string, by = 'operator', kind: PinKind = 'tool'): Promise<void> {
    await this.row(server, tool, kind);
    await this.db.run(
      "UPDATE registry_pins SET status = 'rejected', decided_by = ?, updated_at = ? WHERE server = ? AND kind = ? AND tool = ?",
      [by, this.clock.now(), server, kind, tool],
    );
  }

  /** Pins of every kind (or of `kind`), of all servers or one, ordered by server, kind, key. */
  async list(server?: string, kind?: PinKind): Promise<PinRecord[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (server !== undefined) {
      where.push('server = ?');
      params.push(server);
    }
    if (kind !== undefined) {
      where.push('kind = ?');
      params.push(kind);
    }
    const rows = await this.db.query<Row>(
      `SELECT ${COLS} FROM registry_pins${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY server, kind, tool`,
      params,
    );
    return rows.map(toRecord);
  }

  /**
   * Read-only status of one definition against its pin (for a check right before a call):
   * `unknown` when the item has never been seen.
   */
  async status(
    server: string,
    tool: string,
    hash: string,
    kind: PinKind = 'tool',
  ): Promise<PinStatus | 'unknown'> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLS} FROM registry_pins WHERE server = ? AND kind = ? AND tool = ?`,
      [server, kind, tool],
    );
    return rows[0] === undefined ? 'unknown' : statusOf(rows[0], hash).status;
  }

  /** Readable diff of the approved definition (or nothing) against the one last seen. */
  async diff(server: string, tool: string, kind: PinKind = 'tool'): Promise<string> {
    const r = await this.row(server, tool, kind);
    const parse = (s: string | null): unknown => (s === null ? undefined : (JSON.parse(s) as unknown));
    return definitionDiff(
      label(server, tool, kind),
      r.approved_hash,
      parse(r.approved_def),
      r.seen_hash,
      parse(r.seen_def),
    );
  }

  /**
   * Records that `callerId` received the list with hash `listHash` (see `listHash()`), RP-3.
   * Pass `listChanged: true` for the first listing after a `list_changed` notification.
   */
  observe(
    server: string,
    listHashValue: string,
    callerId: string,
    opts: { listChanged?: boolean } = {},
  ): Promise<ObserveResult> {
    return observeList(this.db, this.clock, server, listHashValue, callerId, opts.listChanged ?? false);
  }

  /** Open split-view flags (all servers, or one). */
  flags(server?: string): Promise<SplitFlag[]> {
    return openFlags(this.db, server);
  }

  /** Clears a server's flags; `acceptHash` makes that list the expected one from now on. */
  clearFlags(server: string, acceptHash?: string): Promise<number> {
    return clearFlags(this.db, this.clock, server, acceptHash);
  }
}
