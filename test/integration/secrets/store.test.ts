import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../../src/core/index.ts';
import {
  SecretStore,
  SecretsError,
  loadOrCreateKeyFile,
  masterKeyFromBytes,
} from '../../../src/secrets/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';

const VALUE = 'ghp_TestValue_9fK2xQ7mZ1';
const NEXT = 'ghp_NextValue_3bW8yR5nP0';
const key = masterKeyFromBytes(randomBytes(32));

async function dump(store: Store): Promise<string> {
  const rows = await store.query('SELECT * FROM secrets_values ORDER BY name, version');
  const meta = await store.query('SELECT * FROM secrets_meta ORDER BY k');
  return JSON.stringify({ rows, meta }, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('hex')
      : v,
  );
}

function isCode(code: string) {
  return (e: unknown) => e instanceof SecretsError && e.code === code;
}

for (const f of await storeFixtures()) {
  describe(`SecretStore (${f.name})`, { skip: f.skip }, () => {
    it('stores a value encrypted and reads it back after a reopen', async () => {
      const { store, reopen, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        const info = await s.set('GITHUB_TOKEN', VALUE);
        assert.equal(info.version, 1);
        assert.match(info.fingerprint, /^hmac-sha256:[0-9a-f]{64}$/);
        assert.equal(await s.get('GITHUB_TOKEN'), VALUE);
        const raw = await dump(store);
        assert.ok(!raw.includes(VALUE), 'the value is not stored in clear');
        assert.ok(!raw.includes(Buffer.from(VALUE).toString('hex')), 'nor in hex');
        await store.close();
        const again = await reopen();
        try {
          assert.equal(await (await SecretStore.open(again, key)).get('GITHUB_TOKEN'), VALUE);
        } finally {
          await again.close();
        }
      } finally {
        await cleanup();
      }
    });

    it('refuses a wrong master key with ERR_SECRET_MASTER_KEY and changes nothing', async () => {
      const { store, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        await s.set('API_KEY', VALUE);
        const before = await dump(store);
        const wrong = masterKeyFromBytes(randomBytes(32));
        await assert.rejects(SecretStore.open(store, wrong), isCode('ERR_SECRET_MASTER_KEY'));
        assert.equal(await dump(store), before);
        assert.equal(await (await SecretStore.open(store, key)).get('API_KEY'), VALUE);
      } finally {
        await cleanup();
      }
    });

    it('binds a ciphertext to its name: a row copied to another name does not decrypt', async () => {
      const { store, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        await s.set('A_TOKEN', VALUE);
        await store.run(
          "INSERT INTO secrets_values (name, version, nonce, ciphertext, fingerprint, created_at, retired_at, rotated) SELECT 'B_TOKEN', version, nonce, ciphertext, fingerprint, created_at, retired_at, rotated FROM secrets_values WHERE name = 'A_TOKEN'",
        );
        await assert.rejects(s.get('B_TOKEN'), isCode('ERR_SECRET_CORRUPT'));
      } finally {
        await cleanup();
      }
    });

    it('[SB-7] refuses short or low-entropy values and stores nothing', async () => {
      const { store, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        for (const weak of ['Ab3$xY', 'aaaaaaaaaaaa', 'abababababab', 'passpasspass']) {
          await assert.rejects(s.set('WEAK', weak), isCode('ERR_SECRET_WEAK'));
        }
        assert.deepEqual(await s.list(), []);
        await s.set('STRONG', VALUE);
        await assert.rejects(s.rotate('STRONG', 'short'), isCode('ERR_SECRET_WEAK'));
        assert.equal(await s.get('STRONG'), VALUE);
      } finally {
        await cleanup();
      }
    });

    it('[CD-5][SB-4] refuses names with pattern metacharacters', async () => {
      const { store, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        for (const bad of ['GITHUB_*', '*_TOKEN', 'A.B', 'a-b', '1ABC', '', 'X Y', 'A[0]', 'A?']) {
          await assert.rejects(s.set(bad, VALUE), isCode('ERR_SECRET_NAME'));
        }
        assert.deepEqual(await s.list(), []);
      } finally {
        await cleanup();
      }
    });

    it('lists names, versions, fingerprints and rotation times, never values', async () => {
      const { store, cleanup } = await f.open();
      try {
        const clock = new ManualClock();
        const s = await SecretStore.open(store, key, { clock });
        await s.set('ONE_TOKEN', VALUE);
        await assert.rejects(s.set('ONE_TOKEN', NEXT), isCode('ERR_SECRET_EXISTS'));
        clock.advance(1000);
        await s.rotate('ONE_TOKEN', NEXT);
        const list = await s.list();
        assert.equal(list.length, 1);
        assert.equal(list[0]!.version, 2);
        assert.equal(list[0]!.lastRotatedAt, clock.now());
        assert.equal(list[0]!.fingerprint, s.fingerprint(NEXT));
        const text = JSON.stringify(list);
        assert.ok(!text.includes(VALUE) && !text.includes(NEXT));
      } finally {
        await cleanup();
      }
    });

    it('rotates: new value current, old value kept in the redaction set for the grace period only', async () => {
      const { store, cleanup } = await f.open();
      try {
        const clock = new ManualClock();
        const s = await SecretStore.open(store, key, { clock, graceMs: 60_000 });
        await s.set('ROT_TOKEN', VALUE);
        await s.rotate('ROT_TOKEN', NEXT);
        assert.equal(await s.get('ROT_TOKEN'), NEXT);
        assert.deepEqual((await s.redactionSet()).map((x) => x.value).sort(), [NEXT, VALUE].sort());
        clock.advance(60_001);
        assert.deepEqual(
          (await s.redactionSet()).map((x) => x.value),
          [NEXT],
        );
        assert.equal(await s.prune(), 1);
        assert.equal((await s.info('ROT_TOKEN'))!.version, 2);
      } finally {
        await cleanup();
      }
    });

    it('removes a secret and then reports it missing', async () => {
      const { store, cleanup } = await f.open();
      try {
        const s = await SecretStore.open(store, key);
        await s.set('GONE_TOKEN', VALUE);
        assert.equal(await s.rm('GONE_TOKEN'), true);
        assert.equal(await s.rm('GONE_TOKEN'), false);
        await assert.rejects(s.get('GONE_TOKEN'), isCode('ERR_SECRET_NOT_FOUND'));
        await assert.rejects(s.rotate('GONE_TOKEN', NEXT), isCode('ERR_SECRET_NOT_FOUND'));
      } finally {
        await cleanup();
      }
    });
  });
}

describe('master key file', () => {
  it('is created 0600 on first use and gives the same key afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
    try {
      const path = join(dir, 'secrets.key');
      const k1 = loadOrCreateKeyFile(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(readFileSync(path, 'utf8'), /^[0-9a-f]{64}\n$/);
      const k2 = loadOrCreateKeyFile(path);
      assert.deepEqual(k1.encKey, k2.encKey);
      const { sqliteFixture } = await import('../../helpers/stores.ts');
      const { store, cleanup } = await sqliteFixture.open();
      try {
        await (await SecretStore.open(store, k1)).set('K_TOKEN', VALUE);
        assert.equal(await (await SecretStore.open(store, k2)).get('K_TOKEN'), VALUE);
      } finally {
        await cleanup();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key file readable by others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
    try {
      const path = join(dir, 'secrets.key');
      writeFileSync(path, randomBytes(32).toString('hex'));
      chmodSync(path, 0o644);
      assert.throws(() => loadOrCreateKeyFile(path), isCode('ERR_SECRET_MASTER_KEY'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts hex or base64 key material (env variable, key command) and refuses other lengths', () => {
    const raw = randomBytes(32);
    assert.deepEqual(masterKeyFromBytes(raw.toString('hex')).encKey, masterKeyFromBytes(raw).encKey);
    assert.deepEqual(
      masterKeyFromBytes(raw.toString('base64') + '\n').encKey,
      masterKeyFromBytes(raw).encKey,
    );
    assert.throws(() => masterKeyFromBytes('too-short'), isCode('ERR_SECRET_MASTER_KEY'));
    assert.throws(() => masterKeyFromBytes(randomBytes(16)), isCode('ERR_SECRET_MASTER_KEY'));
  });
});
