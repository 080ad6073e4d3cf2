import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { ManualClock } from '../../../src/core/index.ts';
import { createIdentity, IdentityError, toolAllowed, checkArgs } from '../../../src/identity/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { ISSUER, RESOURCE, eventually, grant, rejectsWith, withIdentity } from './fixture.ts';

const readOnly = () =>
  grant(
    { fs: ['read_*', 'list_directory'] },
    { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } } },
  );

for (const f of await storeFixtures()) {
  describe(`access tokens (${f.name})`, { skip: f.skip }, () => {
    it('issues an at+jwt with one audience, an agent URI subject and the grant, and resolves its principal', async () => {
      await withIdentity(f, async (id) => {
        const { agent } = await id.registry.create({ name: 'worker', roles: ['dev'] });
        const g = readOnly();
        const t = await id.tokens.issue({ agentId: agent.id, grant: g, task: 'fix the build' });
        const h = decodeProtectedHeader(t.token); // test-only inspection of our own output
        assert.equal(h.typ, 'at+jwt');
        assert.equal(h.alg, 'ES256');
        assert.equal(t.claims.aud, RESOURCE);
        assert.equal(t.claims.iss, ISSUER);
        assert.equal(t.claims.sub, `urn:warden:agent:${agent.id}`);
        assert.equal(t.claims.exp - t.claims.iat, 300, 'default lifetime 5 minutes');
        const p = await id.authenticator.authenticate(`Bearer ${t.token}`);
        assert.equal(p.agentName, 'worker');
        assert.deepEqual(p.roles, ['dev']);
        assert.equal(p.taskId, 'fix the build');
        assert.equal(p.grantId, g.id);
        assert.deepEqual(p.credential, { kind: 'access-token', id: t.claims.jti });
        assert.equal(p.actors, undefined);
        assert.ok(toolAllowed(p.grant!, 'fs', 'read_file'));
        assert.ok(!toolAllowed(p.grant!, 'fs', 'write_file'));
        assert.equal(checkArgs(p.grant!, 'fs', 'read_file', { path: '/etc/passwd' }).ok, false);
      });
    });

    it('refuses a TTL above the cap, an expired grant, a disabled agent and a bad task label', async () => {
      await withIdentity(f, async (id) => {
        const { agent } = await id.registry.create({ name: 'w' });
        await assert.rejects(
          id.tokens.issue({ agentId: agent.id, grant: readOnly(), ttlSec: 901 }),
          rejectsWith('ERR_GRANT_INVALID'),
        );
        assert.ok(await id.tokens.issue({ agentId: agent.id, grant: readOnly(), ttlSec: 900 }));
        await assert.rejects(
          id.tokens.issue({ agentId: agent.id, grant: grant({ fs: ['x'] }, undefined, Date.now() - 1000) }),
          rejectsWith('ERR_GRANT_INVALID'),
        );
        await assert.rejects(
          id.tokens.issue({ agentId: agent.id, grant: readOnly(), task: 'a\nb' }),
          rejectsWith('ERR_GRANT_INVALID'),
        );
        await id.registry.disable('w');
        await assert.rejects(
          id.tokens.issue({ agentId: agent.id, grant: readOnly() }),
          rejectsWith('ERR_AGENT_DISABLED'),
        );
      });
    });

    it('[DL-7] delegates a narrower grant to a sub-agent with a nested act chain', async () => {
      await withIdentity(f, async (id) => {
        const orch = (await id.registry.create({ name: 'orch', roles: ['lead'] })).agent;
        const sub = (await id.registry.create({ name: 'sub', roles: ['helper'] })).agent;
        const sub2 = (await id.registry.create({ name: 'sub2' })).agent;
        const root = await id.tokens.issue({ agentId: orch.id, grant: readOnly(), task: 't1' });
        const child = await id.tokens.exchange({
          subjectToken: root.token,
          actorAgentId: sub.id,
          grant: {
            id: 'gchild',
            tools: { fs: ['read_file'] },
            args: { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/docs/**'] } } },
          },
        });
        const p = await id.authenticator.authenticate(`Bearer ${child.token}`);
        assert.equal(p.agentName, 'sub');
        assert.deepEqual(p.roles, ['helper']);
        assert.deepEqual(p.actors, ['sub']);
        assert.deepEqual(p.subject, { agentId: orch.id, agentName: 'orch' });
        assert.equal(p.taskId, 't1');
        assert.ok(child.claims.exp <= root.claims.exp);
        assert.deepEqual(child.claims.anc, [root.claims.jti]);
        const grand = await id.tokens.exchange({ subjectToken: child.token, actorAgentId: sub2.id });
        assert.deepEqual((await id.authenticator.authenticate(`Bearer ${grand.token}`)).actors, [
          'sub2',
          'sub',
        ]);
        assert.deepEqual(grand.claims.act, {
          sub: `urn:warden:agent:${sub2.id}`,
          act: { sub: `urn:warden:agent:${sub.id}` },
        });
      });
    });

    it('[DL-1][DL-8] refuses a wider grant, a repeated actor and a chain deeper than the maximum', async () => {
      await withIdentity(
        f,
        async (id) => {
          const names = ['o', 'a', 'b', 'c'];
          const agents = [];
          for (const n of names) agents.push((await id.registry.create({ name: n })).agent);
          const root = await id.tokens.issue({ agentId: agents[0]!.id, grant: readOnly() });
          const refused = (p: Promise<unknown>, oauth: string) =>
            assert.rejects(
              p,
              (e: unknown) =>
                e instanceof IdentityError &&
                e.code === 'ERR_DELEGATION_REFUSED' &&
                e.details.oauthError === oauth,
            );
          await refused(
            id.tokens.exchange({
              subjectToken: root.token,
              actorAgentId: agents[1]!.id,
              grant: { id: 'gw', tools: { fs: ['*'] } },
            }),
            'invalid_scope',
          );
          const inherited = await id.tokens.exchange({
            subjectToken: root.token,
            actorAgentId: agents[1]!.id,
            grant: { id: 'gn', tools: { fs: ['read_file'] } },
          });
          assert.deepEqual(
            inherited.claims.grant.args,
            { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } } },
            'a tools-only request keeps the parent argument limits',
          );
          await refused(
            id.tokens.exchange({
              subjectToken: root.token,
              actorAgentId: agents[1]!.id,
              grant: {
                id: 'gw',
                tools: { fs: ['read_file'] },
                args: { 'fs.read_file': { path: { kind: 'path', globs: ['/**'] } } },
              },
            }),
            'invalid_scope',
          );
          await refused(
            id.tokens.exchange({ subjectToken: root.token, actorAgentId: agents[0]!.id }),
            'invalid_request',
          );
          const c1 = await id.tokens.exchange({ subjectToken: root.token, actorAgentId: agents[1]!.id });
          await refused(
            id.tokens.exchange({ subjectToken: c1.token, actorAgentId: agents[1]!.id }),
            'invalid_request',
          );
          const c2 = await id.tokens.exchange({ subjectToken: c1.token, actorAgentId: agents[2]!.id });
          await refused(
            id.tokens.exchange({ subjectToken: c2.token, actorAgentId: agents[3]!.id }),
            'invalid_request',
          );
        },
        { maxDepth: 2 },
      );
    });

    it('[DL-6] revoking a token revokes its descendants; revoking by task and by agent works; disabling kills tokens it acts in', async () => {
      await withIdentity(f, async (id) => {
        const o = (await id.registry.create({ name: 'o' })).agent;
        const a = (await id.registry.create({ name: 'a' })).agent;
        const b = (await id.registry.create({ name: 'b' })).agent;
        const auth = (t: string) => id.authenticator.authenticate(`Bearer ${t}`);
        const root = await id.tokens.issue({ agentId: o.id, grant: readOnly(), task: 'T' });
        const child = await id.tokens.exchange({ subjectToken: root.token, actorAgentId: a.id });
        const grand = await id.tokens.exchange({ subjectToken: child.token, actorAgentId: b.id });
        const other = await id.tokens.issue({ agentId: o.id, grant: readOnly(), task: 'U' });
        assert.equal(await id.tokens.revoke({ jti: child.claims.jti }), 2);
        await assert.rejects(auth(child.token), rejectsWith('ERR_TOKEN_REVOKED'));
        await assert.rejects(auth(grand.token), rejectsWith('ERR_TOKEN_REVOKED'));
        assert.ok(await auth(root.token), 'the parent lives on');
        await assert.rejects(
          id.tokens.exchange({ subjectToken: child.token, actorAgentId: b.id }),
          rejectsWith('ERR_TOKEN_REVOKED'),
        );
        await id.tokens.revoke({ task: 'T' });
        await assert.rejects(auth(root.token), rejectsWith('ERR_TOKEN_REVOKED'));
        assert.ok(await auth(other.token));
        await id.tokens.revoke({ agentId: o.id });
        await assert.rejects(auth(other.token), rejectsWith('ERR_TOKEN_REVOKED'));
        const root2 = await id.tokens.issue({ agentId: b.id, grant: readOnly() });
        const viaA = await id.tokens.exchange({ subjectToken: root2.token, actorAgentId: a.id });
        assert.ok(await auth(viaA.token));
        await id.registry.disable('a');
        await assert.rejects(auth(viaA.token), rejectsWith('ERR_AGENT_DISABLED'));
        assert.ok(await auth(root2.token), 'only tokens a acts in are affected');
      });
    });

    it('[DL-6] revoking a task kills its tokens issued so far, not a later re-run under the same label', async () => {
      const clock = new ManualClock(Date.now());
      await withIdentity(
        f,
        async (id) => {
          const { agent } = await id.registry.create({ name: 'rr' });
          const g = grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000);
          const first = await id.tokens.issue({ agentId: agent.id, grant: g, task: 'nightly' });
          await id.tokens.revoke({ task: 'nightly' });
          await assert.rejects(id.tokens.verify(first.token), rejectsWith('ERR_TOKEN_REVOKED'));
          clock.advance(1_000);
          const rerun = await id.tokens.issue({ agentId: agent.id, grant: g, task: 'nightly' });
          assert.ok(await id.tokens.verify(rerun.token));
        },
        { clock },
      );
    });

    it('[DL-6] propagates a revocation to another process on the same store within one second', async () => {
      await withIdentity(f, async (id, { reopen, kek }) => {
        const o = (await id.registry.create({ name: 'o' })).agent;
        const a = (await id.registry.create({ name: 'a' })).agent;
        const root = await id.tokens.issue({ agentId: o.id, grant: readOnly() });
        const child = await id.tokens.exchange({ subjectToken: root.token, actorAgentId: a.id });
        const store2 = await reopen();
        try {
          const other = await createIdentity(store2, {
            issuer: ISSUER,
            resource: RESOURCE,
            kek,
            allowApiKeys: false,
          });
          const auth2 = (t: string) => other.authenticator.authenticate(`Bearer ${t}`);
          assert.equal((await auth2(child.token)).agentName, 'a', 'the other process verifies our tokens');
          await id.tokens.revoke({ jti: root.claims.jti });
          const gone = await eventually(() =>
            auth2(child.token).then(
              () => false,
              (e: unknown) => e instanceof IdentityError && e.code === 'ERR_TOKEN_REVOKED',
            ),
          );
          assert.ok(gone, 'the descendant is refused by the other process within 1 s');
          const fresh = await id.tokens.issue({ agentId: a.id, grant: readOnly() });
          assert.ok(await auth2(fresh.token));
          await id.registry.disable('a');
          assert.ok(
            await eventually(() =>
              auth2(fresh.token).then(
                () => false,
                (e: unknown) => e instanceof IdentityError && e.code === 'ERR_AGENT_DISABLED',
              ),
            ),
          );
        } finally {
          await store2.close();
        }
      });
    });

    it('rotates signing keys with overlap: old tokens verify until the overlap ends, new tokens use the new kid', async () => {
      const clock = new ManualClock(Date.now());
      await withIdentity(
        f,
        async (id) => {
          const { agent } = await id.registry.create({ name: 'r' });
          const t1 = await id.tokens.issue({
            agentId: agent.id,
            grant: grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000),
            ttlSec: 60,
          });
          const k1 = decodeProtectedHeader(t1.token).kid;
          const info = await id.keys.rotate();
          const t2 = await id.tokens.issue({
            agentId: agent.id,
            grant: grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000),
            ttlSec: 60,
          });
          assert.equal(decodeProtectedHeader(t2.token).kid, info.kid);
          assert.notEqual(info.kid, k1);
          assert.deepEqual((await id.keys.jwks()).keys.map((k) => k.kid).sort(), [k1, info.kid].sort());
          assert.ok(
            await id.authenticator.authenticate(`Bearer ${t1.token}`),
            'old key verifies during the overlap',
          );
          clock.advance(20 * 60_000); // past the overlap (900 + 30 + 60 s)
          assert.deepEqual(
            (await id.keys.jwks()).keys.map((k) => k.kid),
            [info.kid],
          );
          const t3 = await id.tokens.issue({
            agentId: agent.id,
            grant: grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000),
            ttlSec: 60,
          });
          await assert.rejects(id.tokens.verify(t1.token), rejectsWith('ERR_TOKEN_INVALID'));
          assert.ok(await id.tokens.verify(t3.token));
          clock.advance(2 * 3600_000); // past the rotation interval: the next issue rotates
          const t4 = await id.tokens.issue({
            agentId: agent.id,
            grant: grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000),
            ttlSec: 60,
          });
          assert.notEqual(decodeProtectedHeader(t4.token).kid, info.kid);
        },
        { clock, rotationIntervalMs: 3600_000 },
      );
    });

    it('[DL-11] refuses a token once it expires even after it was verified (and cached) before', async () => {
      const clock = new ManualClock(Date.now());
      await withIdentity(
        f,
        async (id) => {
          const { agent } = await id.registry.create({ name: 'e' });
          const t = await id.tokens.issue({ agentId: agent.id, grant: readOnly(), ttlSec: 60 });
          assert.ok(await id.tokens.verify(t.token));
          assert.ok(await id.tokens.verify(t.token));
          clock.advance(60_000 + 29_000);
          assert.ok(await id.tokens.verify(t.token), 'within the 30 s leeway');
          clock.advance(2_000);
          await assert.rejects(id.tokens.verify(t.token), rejectsWith('ERR_TOKEN_EXPIRED'));
        },
        { clock },
      );
    });

    it('maintain() purges expired revocations and lineage without reviving anything still live', async () => {
      const clock = new ManualClock(Date.now());
      await withIdentity(
        f,
        async (id, { store }) => {
          const { agent } = await id.registry.create({ name: 'm' });
          const g = grant({ fs: ['read_*'] }, undefined, Date.now() + 86_400_000);
          const old = await id.tokens.issue({ agentId: agent.id, grant: g, ttlSec: 60 });
          await id.tokens.revoke({ jti: old.claims.jti });
          clock.advance(2 * 3600_000);
          const live = await id.tokens.issue({ agentId: agent.id, grant: g, ttlSec: 60 });
          await id.tokens.revoke({ jti: live.claims.jti });
          await id.maintain();
          const rows = await store.query<{ subject: string }>('SELECT subject FROM identity_revocations');
          assert.deepEqual(
            rows.map((r) => r.subject),
            [live.claims.jti],
          );
          await assert.rejects(id.tokens.verify(live.token), rejectsWith('ERR_TOKEN_REVOKED'));
          const lineage = await store.query<{ jti: string }>('SELECT jti FROM identity_tokens');
          assert.deepEqual(
            lineage.map((r) => r.jti),
            [live.claims.jti],
          );
        },
        { clock, rotationIntervalMs: 86_400_000 },
      );
      await assert.rejects(
        withIdentity(f, () => Promise.resolve(), { maxStalenessMs: 600 }),
        RangeError,
      );
    });

    it('creates one signing key when the first requests arrive together', async () => {
      await withIdentity(f, async (id, { store }) => {
        const { agent } = await id.registry.create({ name: 'c' });
        await Promise.all(
          Array.from({ length: 5 }, () => id.tokens.issue({ agentId: agent.id, grant: readOnly() })),
        );
        assert.equal((await store.query('SELECT kid FROM identity_signing_keys')).length, 1);
      });
    });

    it('stores signing keys sealed: the private scalar is absent from the store and a wrong KEK cannot sign', async () => {
      await withIdentity(f, async (id, { store }) => {
        const { agent } = await id.registry.create({ name: 'k' });
        await id.tokens.issue({ agentId: agent.id, grant: readOnly() });
        const rows = await store.query<{ private_enc: Buffer; public_jwk: string }>(
          'SELECT private_enc, public_jwk FROM identity_signing_keys',
        );
        assert.equal(rows.length, 1);
        const dump = Buffer.from(rows[0]!.private_enc).toString('latin1');
        assert.ok(!dump.includes('"d"') && !dump.includes('EC'), 'no JWK text in the sealed blob');
        assert.ok(!rows[0]!.public_jwk.includes('"d"'), 'the public JWK has no private member');
        const wrong = await createIdentity(store, {
          issuer: ISSUER,
          resource: RESOURCE,
          kek: Buffer.alloc(32, 7),
          allowApiKeys: false,
        });
        await assert.rejects(
          wrong.keys.signer().then(() => undefined),
          rejectsWith('ERR_KEY_UNAVAILABLE'),
        );
      });
    });
  });
}
