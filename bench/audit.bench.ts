/**
 * Audit log cost: durable appends/s at concurrency 1 and 32 (group commit, SQLite FULL, and
 * PostgreSQL if reachable) against a same-run baseline of plain inserts of the same rows in
 * the same transaction sizes without the chain; and verify throughput against a plain read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog, loadOrCreateAuditKeys, verifyAuditLog } from '../src/audit/index.ts';
import type { AuditEventInput } from '../src/audit/index.ts';
import { openPostgres, openSqlite } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import { percentile } from './lib.ts';
import type { BenchContext, BenchRow } from './lib.ts';

const PG_URL = process.env.WARDEN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function event(i: number): AuditEventInput {
  return {
    kind: 'mcp.request',
    principal: `agent-${i % 7}`,
    session: 'sess-0123456789',
    traceId: `trace-${i}`,
    method: 'tools/call',
    server: 'filesystem',
    tool: 'read_file',
    args: { path: `/srv/data/project/file-${i}.txt`, encoding: 'utf8', limit: 4096 },
    decision: 'allow',
    policyIds: ['allow-readers'],
    policyVersion: 'v1',
  };
}

/** Runs `n` operations with `c` workers; returns ops/s. */
async function rate(n: number, c: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** The baseline: the same rows inserted `perTx` at a time, no canonical JSON, no hashing. */
async function plainRate(store: Store, n: number, perTx: number): Promise<number> {
  await store.run(
    'CREATE TABLE IF NOT EXISTS bench_plain (seq BIGINT PRIMARY KEY, time BIGINT, kind TEXT, principal TEXT, body TEXT)',
  );
  const body = JSON.stringify(event(1));
  const t0 = performance.now();
  for (let i = 0; i < n; i += perTx) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + perTx); j++) {
        await tx.run('INSERT INTO bench_plain (seq, time, kind, principal, body) VALUES (?, ?, ?, ?, ?)', [
          j + 1,
          Date.now(),
          'mcp.request',
          'agent',
          body,
        ]);
      }
    });
  }
  const r = n / ((performance.now() - t0) / 1000);
  await store.run('DROP TABLE bench_plain');
  return r;
}

async function measure(name: string, store: Store, ctx: BenchContext, dir: string): Promise<BenchRow[]> {
  const keys = loadOrCreateAuditKeys(dir);
  const log = await AuditLog.open(store, { keys, checkpointEvery: { records: 10_000, ms: 60_000 } });
  const n1 = ctx.quick ? 100 : 400;
  const n32 = ctx.quick ? 2000 : 10_000;
  let i = 0;
  const lat: number[] = [];
  const c1 = await rate(n1, 1, async () => {
    const t = performance.now();
    await log.append(event(i++));
    lat.push(performance.now() - t);
  });
  const base1 = await plainRate(store, n1, 1);
  const cpu0 = process.cpuUsage();
  const c32 = await rate(n32, 32, () => log.append(event(i++)));
  const cpu = process.cpuUsage(cpu0);
  const cpuPerRecord = (cpu.user + cpu.system) / n32;
  const base32 = await plainRate(store, n32, 32);
  await log.close();
  const t0 = performance.now();
  const v = await verifyAuditLog(store, { publicKey: keys.publicKey });
  const verifyRate = v.records / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  const all = await store.query('SELECT * FROM audit_records');
  const readRate = all.length / ((performance.now() - t1) / 1000);
  ctx.log(
    `${name}: c1 ${c1.toFixed(0)}/s, c32 ${c32.toFixed(0)}/s, verify ${verifyRate.toFixed(0)}/s (${v.records} records, ok=${v.ok})`,
  );
  return [
    {
      name: `${name} durable appends/s, concurrency 1`,
      value: c1,
      unit: 'rec/s',
      baseline: { name: 'plain insert, 1 per tx', value: base1 },
    },
    { name: `${name} durable append latency p50, concurrency 1`, value: percentile(lat, 50), unit: 'ms' },
    { name: `${name} durable append latency p99, concurrency 1`, value: percentile(lat, 99), unit: 'ms' },
    {
      name: `${name} durable appends/s, concurrency 32 (group commit)`,
      value: c32,
      unit: 'rec/s',
      baseline: { name: 'plain insert, 32 per tx', value: base32 },
    },
    {
      name: `${name} process CPU per durable append, concurrency 32`,
      value: cpuPerRecord,
      unit: 'µs',
      note: 'insensitive to other load on the machine: capacity per core is about 1e6 / value',
    },
    {
      name: `${name} verify throughput`,
      value: verifyRate,
      unit: 'rec/s',
      baseline: { name: 'plain SELECT of the same rows', value: readRate },
      ...(v.ok ? {} : { note: 'verify failed' }),
    },
  ];
}

export default async function auditBench(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-bench-'));
  const rows: BenchRow[] = [];
  try {
    const sqlite = openSqlite(join(dir, 'warden.db'));
    try {
      rows.push(...(await measure('sqlite', sqlite, ctx, dir)));
    } finally {
      await sqlite.close();
    }
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    let pgStore: Store | undefined;
    try {
      pgStore = await openPostgres(PG_URL, { schema });
    } catch {
      ctx.log('PostgreSQL not reachable: skipped');
    }
    if (pgStore !== undefined) {
      try {
        rows.push(...(await measure('postgres', pgStore, ctx, join(dir, 'pg'))));
      } finally {
        await pgStore.close();
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
