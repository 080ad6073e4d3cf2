/**
 * AU-6: a writer process is SIGKILLed at a random moment while appending; after a restart every
 * acknowledged record is present and the chain (and its checkpoints) verify.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { AuditLog, loadOrCreateAuditKeys } from '../../../src/audit/index.ts';
import { openPostgres, openSqlite } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { PG_URL, probePostgres } from '../../helpers/stores.ts';

const WRITER = fileURLToPath(new URL('../../fixtures/audit/writer.ts', import.meta.url));
// G-AUD-1 asks for 100 runs: WARDEN_AUDIT_CRASH_RUNS=100 (minutes); the default run does 3.
const RUNS = Number(process.env.WARDEN_AUDIT_CRASH_RUNS ?? 3);

interface Target {
  args: string[];
  open(): Promise<Store>;
  drop(): Promise<void>;
}

/** Runs the writer, kills it `delayMs` after its first acknowledgement, returns the acked seqs. */
function runAndKill(target: Target, keysDir: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...target.args, '--keys', keysDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        return reject(new Error(`writer exited ${code ?? signal}: ${err.slice(0, 2000)}`));
      // Only complete lines were acknowledged; a torn last line is dropped.
      resolve(
        out
          .slice(0, out.lastIndexOf('\n') + 1)
          .split('\n')
          .filter(Boolean)
          .map(Number),
      );
    });
  });
}

async function targets(): Promise<{ name: string; skip: string | false; make: () => Target }[]> {
  const pgReason = await probePostgres();
  return [
    {
      name: 'sqlite',
      skip: false,
      make: () => {
        const path = join(mkdtempSync(join(tmpdir(), 'warden-audit-crash-')), 'warden.db');
        return {
          args: ['--sqlite', path],
          open: () => Promise.resolve(openSqlite(path)),
          drop: () => Promise.resolve(),
        };
      },
    },
    {
      name: 'postgres',
      skip: pgReason ?? false,
      make: () => {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        return {
          args: ['--pg', PG_URL, '--schema', schema],
          open: () => openPostgres(PG_URL, { schema }),
          drop: async () => {
            const c = new pg.Client({ connectionString: PG_URL });
            await c.connect();
            await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            await c.end();
          },
        };
      },
    },
  ];
}

/** Runs the writer to completion; returns the acked seqs. */
function runToEnd(target: Target, keysDir: string, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const args = [...target.args, '--keys', keysDir, '--count', String(count), '--concurrency', '4'];
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`writer exited ${code}: ${err.slice(0, 2000)}`));
      resolve(out.split('\n').filter(Boolean).map(Number));
    });
  });
}

for (const t of await targets()) {
  describe(`audit crash safety (${t.name})`, { skip: t.skip }, () => {
    it(`[AU-6] keeps every acknowledged record across ${RUNS} SIGKILLs at random moments`, async () => {
      const target = t.make();
      const keysDir = mkdtempSync(join(tmpdir(), 'warden-audit-keys-'));
      const acked = new Set<number>();
      try {
        for (let run = 0; run < RUNS; run++) {
          const delay = randomInt(20, 400);
          const seqs = await runAndKill(target, keysDir, delay);
          assert.ok(seqs.length > 0, `run ${run}: the writer acknowledged nothing`);
          for (const s of seqs) acked.add(s);
          const store = await target.open();
          try {
            const log = await AuditLog.open(store, { keys: loadOrCreateAuditKeys(keysDir) });
            const v = await log.verify();
            assert.ok(v.ok, `run ${run} (kill after ${delay} ms): ${JSON.stringify(v)}`);
            const present = new Set((await log.range(1, 1_000_000)).map((r) => r.seq));
            assert.equal(present.size, v.records, 'gap-free');
            const lost = [...acked].filter((s) => !present.has(s));
            assert.deepEqual(lost, [], `run ${run}: acknowledged records lost`);
            await log.close();
          } finally {
            await store.close();
          }
        }
      } finally {
        await target.drop();
        rmSync(keysDir, { recursive: true, force: true });
      }
    });

    it('extends one chain from two writer processes without forking', async () => {
      const target = t.make();
      const keysDir = mkdtempSync(join(tmpdir(), 'warden-audit-keys-'));
      try {
        const store = await target.open(); // create the tables before the race
        await (await AuditLog.open(store, { keys: loadOrCreateAuditKeys(keysDir) })).close();
        await store.close();
        const [a, b] = await Promise.all([runToEnd(target, keysDir, 300), runToEnd(target, keysDir, 300)]);
        const all = [...a, ...b].sort((x, y) => x - y);
        assert.deepEqual(
          all,
          Array.from({ length: 600 }, (_, i) => i + 1),
        );
        const again = await target.open();
        try {
          const log = await AuditLog.open(again, { keys: loadOrCreateAuditKeys(keysDir) });
          const v = await log.verify();
          assert.ok(v.ok && v.records === 600, JSON.stringify(v));
          await log.close();
        } finally {
          await again.close();
        }
      } finally {
        await target.drop();
        rmSync(keysDir, { recursive: true, force: true });
      }
    });
  });
}
