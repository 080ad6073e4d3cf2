import type { Migration, SqlClient } from './port.ts';
import { StoreError } from './errors.ts';

/**
 * Applies a domain's migrations in order, once each, inside one transaction per migration.
 * Each domain owns its tables and names them with its own prefix (audit_, identity_, …).
 */
export async function migrate(
  db: SqlClient,
  domain: string,
  migrations: readonly Migration[],
): Promise<number> {
  await db.run(
    'CREATE TABLE IF NOT EXISTS warden_migrations (domain TEXT NOT NULL, id TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (domain, id))',
  );
  const done = new Set(
    (await db.query<{ id: string }>('SELECT id FROM warden_migrations WHERE domain = ?', [domain])).map(
      (r) => r.id,
    ),
  );
  let applied = 0;
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    const sql = db.dialect === 'sqlite' ? m.sqlite : m.postgres;
    try {
      await db.transaction(async (tx) => {
        for (const stmt of splitStatements(sql)) await tx.run(stmt);
        await tx.run(
          'INSERT INTO warden_migrations (domain, id, applied_at) VALUES (?, ?, ?) ON CONFLICT (domain, id) DO NOTHING',
          [domain, m.id, Date.now()],
        );
      });
    } catch (e) {
      throw new StoreError(
        'ERR_STORE_MIGRATION',
        `migration ${domain}/${m.id} failed: ${(e as Error).message}`,
        {
          domain,
          migration: m.id,
        },
      );
    }
    applied++;
  }
  return applied;
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
