/**
 * The persistence port. Domains write portable SQL with `?` placeholders against `SqlClient`
 * and own their tables through migrations; adapters (SQLite embedded, PostgreSQL shared)
 * implement it. The same contract tests run against both adapters.
 *
 * Portable SQL rules: `?` placeholders only; INTEGER/BIGINT columns come back as JS numbers
 * (values must stay below 2^53); BLOB/BYTEA come back as Buffer; booleans are stored as 0/1;
 * `INSERT … ON CONFLICT … DO …` and `RETURNING` work on both.
 */
export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, unknown>;
export type Dialect = 'sqlite' | 'postgres';

export interface SqlClient {
  readonly dialect: Dialect;
  /** Runs a statement that returns rows. */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement for its effect. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Runs `fn` inside one transaction: committed when it resolves, rolled back when it throws.
   * Commit is durable when the promise resolves (SQLite synchronous=FULL, PostgreSQL default).
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

export interface Store extends SqlClient {
  /** Human-readable location without credentials (`sqlite:/path`, `postgres://host/db`). */
  readonly location: string;
  /**
   * The database file for adapters that have one (SQLite on disk); undefined for PostgreSQL
   * and in-memory SQLite. Lets a domain open its own connection on a worker thread.
   */
  readonly file?: string | undefined;
  close(): Promise<void>;
}

/** A domain's schema change; ids are applied once each, in order, per domain. */
export interface Migration {
  readonly id: string;
  readonly sqlite: string;
  readonly postgres: string;
}
