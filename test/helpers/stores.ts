/**
 * Runs a contract suite against every store adapter: a real SQLite file in a temp dir and a
 * real PostgreSQL server (a fresh schema per test, dropped afterwards).
 *
 * PostgreSQL comes from WARDEN_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 * If it is unreachable the PostgreSQL half is skipped with the reason, except under CI=true,
 * where .ci/run starts the server and a missing server is a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres, openSqlite } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';

export const PG_URL = process.env.WARDEN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface StoreFixture {
  readonly name: 'sqlite' | 'postgres';
  /** Opens a fresh, empty store; `reopen` opens the same one again (restart). */
  open(): Promise<{ store: Store; reopen: () => Promise<Store>; cleanup: () => Promise<void> }>;
}

let pgProbe: Promise<string | null> | undefined;

/** null when PostgreSQL answers, otherwise the reason it does not. */
export function probePostgres(): Promise<string | null> {
  pgProbe ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return null;
    } catch (e) {
      return `PostgreSQL not reachable at ${PG_URL}: ${(e as Error).message}`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return pgProbe;
}

export const sqliteFixture: StoreFixture = {
  name: 'sqlite',
  open() {
    const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
    const path = join(dir, 'warden.db');
    const store = openSqlite(path);
    return Promise.resolve({
      store,
      reopen: () => Promise.resolve(openSqlite(path)),
      cleanup: async () => {
        await store.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

export const postgresFixture: StoreFixture = {
  name: 'postgres',
  async open() {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const store = await openPostgres(PG_URL, { schema });
    return {
      store,
      reopen: () => openPostgres(PG_URL, { schema }),
      cleanup: async () => {
        await store.close().catch(() => {});
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  },
};

/**
 * The adapters to run a contract suite against, each with a skip reason (or false).
 * Usage: for (const f of await storeFixtures()) describe(f.name, { skip: f.skip }, () => …)
 */
export async function storeFixtures(): Promise<(StoreFixture & { skip: string | false })[]> {
  const reason = await probePostgres();
  if (reason !== null && process.env.CI === 'true') throw new Error(reason);
  return [
    { ...sqliteFixture, skip: false },
    { ...postgresFixture, skip: reason ?? false },
  ];
}

/** Runs `fn` on a fresh store of fixture `f`, cleaned up afterwards whatever happens. */
export async function withStore(f: StoreFixture, fn: (store: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await f.open();
  try {
    await fn(store);
  } finally {
    await cleanup();
  }
}
