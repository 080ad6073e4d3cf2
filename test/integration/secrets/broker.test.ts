import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManualClock, MemoryLogger } from '../../../src/core/index.ts';
import {
  SecretBroker,
  SecretStore,
  SecretsError,
  commandProvider,
  countOccurrences,
  envProvider,
  masterKeyFromBytes,
  plantCanaries,
  redactingLogger,
  storeProvider,
} from '../../../src/secrets/index.ts';
import { sqliteFixture } from '../../helpers/stores.ts';

const STORED = 'ghp_Stored_Value_8Jk3Lm';
const ROTATED = 'ghp_Rotated_Value_2Pq7Rs';
const FROM_ENV = 'env_Value_4Tg9Hy2Kq';

describe('SecretBroker', () => {
  it('keeps every resolved, stored, rotated-out and canary value in the redactor', async () => {
    const { store: db, cleanup } = await sqliteFixture.open();
    try {
      const clock = new ManualClock();
      const store = await SecretStore.open(db, masterKeyFromBytes(randomBytes(32)), { clock, graceMs: 1000 });
      await store.set('GH_TOKEN', STORED);
      const canaries = plantCanaries(2);
      const broker = await SecretBroker.create({
        store,
        sources: { GH_TOKEN: storeProvider(store), API_KEY: envProvider({ V: FROM_ENV }, { API_KEY: 'V' }) },
        canaries,
        clock,
        graceMs: 1000,
      });
      assert.equal(broker.redactor().redact(STORED).text, '[REDACTED:secret:GH_TOKEN]');
      assert.equal(broker.redactor().redact(FROM_ENV).text, FROM_ENV, 'not resolved yet: not known');
      assert.deepEqual(await broker.resolveAll(['GH_TOKEN', 'API_KEY']), {
        GH_TOKEN: STORED,
        API_KEY: FROM_ENV,
      });
      assert.equal(broker.redactor().redact(FROM_ENV).text, '[REDACTED:secret:API_KEY]');
      await broker.rotate('GH_TOKEN', ROTATED);
      assert.equal(await broker.resolve('GH_TOKEN'), ROTATED);
      const text = `${STORED} ${ROTATED} ${canaries[0]!.value}`;
      assert.equal(countOccurrences([broker.redactor().redact(text).text], broker.knownSecrets()).total, 0);
      clock.advance(1001);
      await broker.reloadStore();
      assert.equal(broker.redactor().redact(STORED).text, STORED, 'the grace period is over');
    } finally {
      await cleanup();
    }
  });

  it('fails closed for a secret without a provider or with a failing provider', async () => {
    const broker = await SecretBroker.create({
      sources: {
        BROKEN: commandProvider({
          commands: { BROKEN: ['x'] },
          runCommand: () => Promise.reject(new Error('no')),
        }),
      },
    });
    for (const name of ['BROKEN', 'UNKNOWN']) {
      await assert.rejects(
        broker.resolve(name),
        (e: unknown) => e instanceof SecretsError && e.code === 'ERR_SECRET_UNAVAILABLE',
      );
    }
    await assert.rejects(
      broker.resolve('*_TOKEN'),
      (e: unknown) => e instanceof SecretsError && e.code === 'ERR_SECRET_NAME',
    );
  });

  it('keeps a refreshed provider value redacted for the grace period, then drops it', async () => {
    const clock = new ManualClock();
    let value = 'cmd_First_Value_1Az';
    const broker = await SecretBroker.create({
      sources: {
        CMD: commandProvider({ commands: { CMD: ['get'] }, runCommand: () => Promise.resolve(value), clock }),
      },
      clock,
      graceMs: 500,
      patterns: false,
    });
    const logs = new MemoryLogger();
    const log = redactingLogger(logs, () => broker.redactor());
    await broker.resolve('CMD');
    value = 'cmd_Second_Value_2By';
    assert.equal(await broker.refresh('CMD'), 'cmd_Second_Value_2By');
    log.info('both cmd_First_Value_1Az cmd_Second_Value_2By');
    assert.equal(logs.lines[0]!.msg, 'both [REDACTED:secret:CMD] [REDACTED:secret:CMD]');
    clock.advance(501);
    assert.equal(broker.redactor().redact('cmd_First_Value_1Az').text, 'cmd_First_Value_1Az');
    assert.equal(broker.redactor().redact('cmd_Second_Value_2By').text, '[REDACTED:secret:CMD]');
  });
});
