import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Row, SqlClient, SqlValue, Store } from './port.ts';
import { StoreError } from './errors.ts';

export interface SqliteOptions {
  /** FULL (default) makes every commit durable; NORMAL may lose the last commits on power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  readonly busyTimeoutMs?: number;
}

type Db = InstanceType<typeof Database>;

/**
 * The embedded adapter on better-sqlite3 (WAL). better-sqlite3 is synchronous, so statements
 * run immediately; an async lock keeps statements from outside a transaction from running
 * inside it while the transaction's callback awaits.
 */
export function openSqlite(path: string, options: SqliteOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('foreign_keys = ON');
  } catch (e) {
    throw new StoreError(
      'ERR_STORE_OPEN',
      `cannot open SQLite database at ${path}: ${(e as Error).message}`,
      {
        path,
      },
    );
  }
  return new SqliteStore(db, path);
}

class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly file: string | undefined;
  readonly #db: Db;
  readonly #cache = new Map<string, Database.Statement>();
  #txTail: Promise<void> = Promise.resolve();
  #inTx = false;
  #closed = false;

  constructor(db: Db, path: string) {
    this.#db = db;
    this.location = `sqlite:${path}`;
    this.file = path === ':memory:' || path === '' ? undefined : path;
  }

  #stmt(sql: string): Database.Statement {
    if (this.#closed) throw new StoreError('ERR_STORE_CLOSED', 'the store is closed');
    let s = this.#cache.get(sql);
    if (s === undefined) {
      try {
        s = this.#db.prepare(sql);
      } catch (e) {
        throw queryError(e, sql);
      }
      if (this.#cache.size > 500) this.#cache.clear();
      this.#cache.set(sql, s);
    }
    return s;
  }

  queryNow<T extends Row>(sql: string, params: readonly SqlValue[]): T[] {
    const s = this.#stmt(sql);
    try {
      return s.all(...params) as T[];
    } catch (e) {
      throw queryError(e, sql);
    }
  }

  runNow(sql: string, params: readonly SqlValue[]): { changes: number } {
    const s = this.#stmt(sql);
    try {
      return { changes: s.run(...params).changes };
    } catch (e) {
      throw queryError(e, sql);
    }
  }

  async #outside<T>(fn: () => T): Promise<T> {
    while (this.#inTx) await this.#txTail;
    return fn();
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    if (!this.#inTx) return Promise.resolve().then(() => this.queryNow<T>(sql, params));
    return this.#outside(() => this.queryNow<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    if (!this.#inTx) return Promise.resolve().then(() => this.runNow(sql, params));
    return this.#outside(() => this.runNow(sql, params));
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    while (this.#inTx) await this.#txTail;
    let release!: () => void;
    this.#txTail = new Promise<void>((r) => (release = r));
    this.#inTx = true;
    const tx = new SqliteTx(this);
    try {
      this.runNow('BEGIN IMMEDIATE', []);
      try {
        const out = await fn(tx);
        this.runNow('COMMIT', []);
        return out;
      } catch (e) {
        if (this.#db.inTransaction) this.runNow('ROLLBACK', []);
        throw e;
      }
    } finally {
      tx.done = true;
      this.#inTx = false;
      release();
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#cache.clear();
      this.#db.close();
    }
    return Promise.resolve();
  }
}

class SqliteTx implements SqlClient {
  readonly dialect = 'sqlite' as const;
  done = false;
  readonly #store: SqliteStore;
  constructor(store: SqliteStore) {
    this.#store = store;
  }
  #check(): void {
    if (this.done) throw new StoreError('ERR_STORE_CLOSED', 'transaction already finished');
  }
  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#check();
    return Promise.resolve(this.#store.queryNow<T>(sql, params));
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    this.#check();
    return Promise.resolve(this.#store.runNow(sql, params));
  }
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    // Nested transactions join the outer one.
    return fn(this);
  }
}

function queryError(e: unknown, sql: string): StoreError {
  const first = sql.trim().split(/\s+/).slice(0, 3).join(' ');
  return new StoreError(
    'ERR_STORE_QUERY',
    `SQLite statement failed (${first} …): ${(e as Error).message}`,
    {},
    {
      cause: e,
    },
  );
}
