import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, StoreError } from '../../../src/store/index.ts';
import type { Migration } from '../../../src/store/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';

const migrations: Migration[] = [
  {
    id: '001-items',
    sqlite: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)',
    postgres: 'CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BYTEA)',
  },
];

for (const f of await storeFixtures()) {
  describe(`store contract (${f.name})`, { skip: f.skip }, () => {
    it('applies migrations once and survives a reopen', async () => {
      const { store, reopen, cleanup } = await f.open();
      try {
        assert.equal(await migrate(store, 'test', migrations), 1);
        assert.equal(await migrate(store, 'test', migrations), 0);
        await store.run('INSERT INTO items (id, name, data) VALUES (?, ?, ?)', [1, 'a', Buffer.from([1, 2])]);
        await store.close();
        const again = await reopen();
        try {
          assert.equal(await migrate(again, 'test', migrations), 0);
          const rows = await again.query<{ id: number; name: string; data: Buffer }>('SELECT * FROM items');
          assert.equal(rows.length, 1);
          assert.equal(rows[0]!.id, 1);
          assert.deepEqual([...rows[0]!.data], [1, 2]);
        } finally {
          await again.close();
        }
      } finally {
        await cleanup();
      }
    });

    it('rolls back a failed transaction and keeps what was stored before', async () => {
      const { store, cleanup } = await f.open();
      try {
        await migrate(store, 'test', migrations);
        await store.run('INSERT INTO items (id, name) VALUES (?, ?)', [1, 'kept']);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.run('INSERT INTO items (id, name) VALUES (?, ?)', [2, 'new']);
            await tx.run('INSERT INTO items (id, name) VALUES (?, ?)', [3, 'kept']);
          }),
          (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_QUERY',
        );
        const rows = await store.query<{ name: string }>('SELECT name FROM items ORDER BY id');
        assert.deepEqual(
          rows.map((r) => r.name),
          ['kept'],
        );
      } finally {
        await cleanup();
      }
    });

    it('commits a transaction and isolates concurrent statements from it', async () => {
      const { store, cleanup } = await f.open();
      try {
        await migrate(store, 'test', migrations);
        const outside = store.transaction(async (tx) => {
          await tx.run('INSERT INTO items (id, name) VALUES (?, ?)', [1, 'one']);
          await new Promise((r) => setTimeout(r, 20));
          await tx.run('INSERT INTO items (id, name) VALUES (?, ?)', [2, 'two']);
          return 'done';
        });
        const count = store.query<{ n: number }>('SELECT COUNT(*) AS n FROM items');
        assert.equal(await outside, 'done');
        const n = Number((await count)[0]!.n);
        assert.ok(n === 0 || n === 2, `a reader saw a half-done transaction (${n} rows)`);
      } finally {
        await cleanup();
      }
    });

    it('names the failing statement in a query error', async () => {
      const { store, cleanup } = await f.open();
      try {
        await assert.rejects(store.query('SELECT * FROM no_such_table'), (e: unknown) => {
          return e instanceof StoreError && e.code === 'ERR_STORE_QUERY' && /SELECT/.test(e.message);
        });
      } finally {
        await cleanup();
      }
    });
  });
}
