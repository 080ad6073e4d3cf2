import pg from 'pg';
import type { Row, SqlClient, SqlValue, Store } from './port.ts';
import { StoreError } from './errors.ts';

// INT8 (bigint/count) as JS numbers: our values stay below 2^53 (sequence numbers, ms times).
pg.types.setTypeParser(20, (v) => Number(v));

export interface PostgresOptions {
  /** Schema to create (if missing) and use for every connection: lets tests isolate themselves. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Converts `?` placeholders to `$1…$n`. Portable SQL never uses `?` inside literals. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Store> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`invalid schema name: ${schema}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  pool.on('error', () => {
    // Idle-client errors surface on the next query; nothing to do here.
  });
  if (schema !== undefined) {
    // Every pooled connection uses the schema (set in the connection string, so it applies
    // before any query runs).
  }
  try {
    const c = await pool.connect();
    try {
      if (schema !== undefined) {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await c.query(`SET search_path TO ${schema}`);
      }
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end().catch(() => {});
    throw new StoreError(
      'ERR_STORE_OPEN',
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`,
      {
        location: redactUrl(url),
      },
    );
  }
  return new PostgresStore(pool, redactUrl(url));
}

/** A URL with its password removed, for messages and `location`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

type Queryable = pg.Pool | pg.PoolClient;

async function pgQuery<T extends Row>(
  q: Queryable,
  sql: string,
  params: readonly SqlValue[],
): Promise<pg.QueryResult<T>> {
  try {
    return await q.query<T>(toPgPlaceholders(sql), params as unknown[]);
  } catch (e) {
    const first = sql.trim().split(/\s+/).slice(0, 3).join(' ');
    throw new StoreError(
      'ERR_STORE_QUERY',
      `PostgreSQL statement failed (${first} …): ${(e as Error).message}`,
      {},
      {
        cause: e,
      },
    );
  }
}

class PgClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  protected readonly q: Queryable;
  constructor(q: Queryable) {
    this.q = q;
  }
  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await pgQuery<T>(this.q, sql, params)).rows;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await pgQuery(this.q, sql, params)).rowCount ?? 0 };
  }
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    // Nested transactions join the outer one.
    return fn(this);
  }
}

class PostgresStore extends PgClient implements Store {
  readonly location: string;
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool, location: string) {
    super(pool);
    this.#pool = pool;
    this.location = location;
  }
  override async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw new StoreError('ERR_STORE_QUERY', `cannot get a PostgreSQL connection: ${(e as Error).message}`);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(new PgClient(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
  async close(): Promise<void> {
    await this.#pool.end();
  }
}
