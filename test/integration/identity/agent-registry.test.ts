import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import {
  AgentRegistry,
  IdentityError,
  createAuthenticator,
  identityMigrations,
} from '../../../src/identity/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';

const isCode = (code: string) => (e: unknown) => e instanceof IdentityError && e.code === code;

async function withStore<T>(
  f: Awaited<ReturnType<typeof storeFixtures>>[number],
  fn: (store: Store, reopen: () => Promise<Store>) => Promise<T>,
): Promise<T> {
  const { store, reopen, cleanup } = await f.open();
  try {
    await migrate(store, 'identity', identityMigrations);
    return await fn(store, reopen);
  } finally {
    await cleanup();
  }
}

/** Polls `probe` until it returns true or the deadline passes (no timed assertion). */
async function eventually(probe: () => Promise<boolean>, deadlineMs = 1000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const f of await storeFixtures()) {
  describe(`agent registry (${f.name})`, { skip: f.skip }, () => {
    it('creates an agent whose credential is shown once and stored only as a digest', async () => {
      await withStore(f, async (store) => {
        const reg = new AgentRegistry(store);
        const { agent, credential } = await reg.create({ name: 'builder', roles: ['dev', 'ci'] });
        assert.equal(agent.name, 'builder');
        assert.deepEqual(agent.roles, ['ci', 'dev']);
        assert.match(credential.token, /^wdn_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
        const secret = credential.token.split('_').slice(2).join('_');
        for (const table of ['identity_agents', 'identity_api_keys']) {
          const dump = JSON.stringify(await store.query(`SELECT * FROM ${table}`), (_k, v: unknown) =>
            Buffer.isBuffer(v) ? v.toString('latin1') : v,
          );
          assert.ok(!dump.includes(secret), `secret absent from ${table}`);
          assert.ok(!dump.includes(credential.token), `token absent from ${table}`);
        }
        assert.deepEqual(
          (await reg.list()).map((a) => a.name),
          ['builder'],
        );
        const boots = await reg.listBootstrapKeys('builder');
        assert.equal(boots.length, 1);
        const other = await reg.create({ name: 'other' });
        const rows = JSON.stringify(await store.query('SELECT * FROM identity_client_keys'));
        assert.ok(rows.includes(other.bootstrap.kid), 'the public half is stored');
        assert.ok(!rows.includes(String(other.bootstrap.privateJwk.d)), 'the private half is absent');
      });
    });

    it('refuses a duplicate name and invalid names, accepts the valid twin', async () => {
      await withStore(f, async (store) => {
        const reg = new AgentRegistry(store);
        await reg.create({ name: 'a1' });
        await assert.rejects(reg.create({ name: 'a1' }), isCode('ERR_AGENT_EXISTS'));
        for (const bad of ['', 'A1', '1a', 'a b', 'a'.repeat(64), 'a/b', 'ä']) {
          await assert.rejects(reg.create({ name: bad }), isCode('ERR_AGENT_NAME_INVALID'), bad);
        }
        await assert.rejects(reg.create({ name: 'ok', roles: ['Admin'] }), isCode('ERR_ROLE_INVALID'));
        assert.equal((await reg.create({ name: 'a'.repeat(63), roles: ['admin'] })).agent.roles[0], 'admin');
        await assert.rejects(reg.get('nobody'), isCode('ERR_AGENT_NOT_FOUND'));
      });
    });

    it('authenticates a valid API key and refuses a wrong secret without echoing it', async () => {
      await withStore(f, async (store) => {
        const reg = new AgentRegistry(store);
        const { agent, credential } = await reg.create({ name: 'reader', roles: ['ro'] });
        const auth = createAuthenticator({ registry: reg, allowApiKeys: true });
        for (let i = 0; i < 2; i++) {
          const p = await auth.authenticate(`Bearer ${credential.token}`);
          assert.equal(p.agentId, agent.id);
          assert.equal(p.agentName, 'reader');
          assert.deepEqual(p.roles, ['ro']);
          assert.deepEqual(p.credential, { kind: 'api-key', id: credential.id });
        }
        const forged = credential.token.slice(0, -1) + (credential.token.endsWith('A') ? 'B' : 'A');
        await assert.rejects(auth.authenticate(`Bearer ${forged}`), (e: unknown) => {
          assert.ok(isCode('ERR_UNAUTHENTICATED')(e));
          const text = JSON.stringify(e) + String((e as Error).message);
          assert.ok(!text.includes(forged.slice(29)), 'the presented secret is not echoed');
          return true;
        });
        for (const h of [
          undefined,
          '',
          'Basic abc',
          `Bearer`,
          `Token ${credential.token}`,
          `Bearer ${'x'.repeat(9000)}`,
        ]) {
          await assert.rejects(auth.authenticate(h), isCode('ERR_UNAUTHENTICATED'), String(h).slice(0, 20));
        }
        await assert.rejects(auth.authenticate('Bearer wdn_short'), isCode('ERR_UNAUTHENTICATED'));
      });
    });

    it('refuses API keys on resource requests when config limits them to bootstrapping', async () => {
      await withStore(f, async (store) => {
        const reg = new AgentRegistry(store);
        const { credential } = await reg.create({ name: 'boot' });
        const strict = createAuthenticator({ registry: reg, allowApiKeys: false });
        await assert.rejects(
          strict.authenticate(`Bearer ${credential.token}`),
          isCode('ERR_UNAUTHENTICATED'),
        );
        const open = createAuthenticator({ registry: reg, allowApiKeys: true });
        assert.equal((await open.authenticate(`Bearer ${credential.token}`)).agentName, 'boot');
      });
    });

    it('[DL-6] disabling an agent or revoking its key takes effect on the next request in this process', async () => {
      await withStore(f, async (store) => {
        const reg = new AgentRegistry(store);
        const a = await reg.create({ name: 'one' });
        const b = await reg.create({ name: 'two' });
        const auth = createAuthenticator({ registry: reg, allowApiKeys: true });
        await auth.authenticate(`Bearer ${a.credential.token}`);
        await auth.authenticate(`Bearer ${b.credential.token}`);
        await reg.disable('one');
        await assert.rejects(auth.authenticate(`Bearer ${a.credential.token}`), isCode('ERR_AGENT_DISABLED'));
        assert.equal((await reg.get('one')).disabled, true);
        assert.ok(await reg.revokeApiKey(b.credential.id));
        await assert.rejects(
          auth.authenticate(`Bearer ${b.credential.token}`),
          isCode('ERR_UNAUTHENTICATED'),
        );
        const again = await reg.issueApiKey('two');
        assert.equal((await auth.authenticate(`Bearer ${again.token}`)).agentName, 'two');
        await assert.rejects(reg.issueApiKey('one'), isCode('ERR_AGENT_DISABLED'));
      });
    });

    it('sees a disable made by another process sharing the store within one second', async () => {
      await withStore(f, async (store, reopen) => {
        const reg = new AgentRegistry(store);
        const { credential } = await reg.create({ name: 'remote', roles: ['x'] });
        const auth = createAuthenticator({ registry: reg, allowApiKeys: true });
        assert.equal((await auth.authenticate(`Bearer ${credential.token}`)).agentName, 'remote');
        const other = await reopen();
        try {
          const otherReg = new AgentRegistry(other);
          await otherReg.setRoles('remote', ['y']);
          assert.ok(
            await eventually(
              async () => (await auth.authenticate(`Bearer ${credential.token}`)).roles[0] === 'y',
            ),
          );
          await otherReg.disable('remote');
          const refused = await eventually(() =>
            auth.authenticate(`Bearer ${credential.token}`).then(
              () => false,
              (e: unknown) => isCode('ERR_AGENT_DISABLED')(e),
            ),
          );
          assert.ok(refused, 'disabled within the 1 s deadline');
        } finally {
          await other.close();
        }
      });
    });
  });
}
