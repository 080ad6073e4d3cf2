import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, exportJWK } from 'jose';
import {
  ASSERTION_TYPE,
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
  createClientAssertion,
  handleTokenRequest,
} from '../../../src/identity/index.ts';
import type { Identity, TokenEvent, TokenEndpointContext } from '../../../src/identity/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { ISSUER, RESOURCE, withIdentity } from './fixture.ts';

function ctxFor(
  id: Identity,
  events: TokenEvent[],
  over: Partial<TokenEndpointContext> = {},
): TokenEndpointContext {
  return { tokens: id.tokens, clients: id.clients, onEvent: (e) => events.push(e), ...over };
}

const form = (o: Record<string, string>) => new URLSearchParams(o);
const READ_DETAILS = JSON.stringify([
  {
    type: 'warden_grant',
    tools: { fs: ['read_*'] },
    args: { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } } },
  },
]);

async function bootstrapForm(id: Identity, name: string, extra: Record<string, string> = {}) {
  const created = await id.registry.create({ name });
  const assertion = await createClientAssertion(created.bootstrap, { audience: `${ISSUER}/token` });
  return {
    created,
    assertion,
    f: form({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      authorization_details: READ_DETAILS,
      ...extra,
    }),
  };
}

for (const f of await storeFixtures()) {
  describe(`token endpoint (${f.name})`, { skip: f.skip }, () => {
    it('issues a token for a bootstrap private_key_jwt assertion, once (replay refused)', async () => {
      await withIdentity(f, async (id) => {
        const events: TokenEvent[] = [];
        const { created, f: body } = await bootstrapForm(id, 'boot', {
          task: 'index repo',
          resource: RESOURCE,
        });
        const r = await handleTokenRequest(body, ctxFor(id, events));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.headers['cache-control'], 'no-store');
        assert.equal(r.body.token_type, 'Bearer');
        assert.equal(r.body.expires_in, 300);
        const p = await id.authenticator.authenticate(`Bearer ${String(r.body.access_token)}`);
        assert.equal(p.agentId, created.agent.id);
        assert.equal(p.taskId, 'index repo');
        assert.equal(events[0]?.type, 'token.issued');
        const replay = await handleTokenRequest(body, ctxFor(id, events));
        assert.equal(replay.status, 401);
        assert.equal(replay.body.error, 'invalid_client');
        assert.equal(events[1]?.type, 'token.refused');
        assert.ok(!JSON.stringify(events).includes(String(r.body.access_token)), 'events hold no token');
      });
    });

    it('refuses assertions with a wrong audience, a foreign key, a disabled agent or a revoked bootstrap key', async () => {
      await withIdentity(f, async (id) => {
        const { created } = await bootstrapForm(id, 'c1');
        const send = async (assertion: string) =>
          handleTokenRequest(
            form({
              grant_type: 'client_credentials',
              client_assertion_type: ASSERTION_TYPE,
              client_assertion: assertion,
              scope: 'fs.read_file',
            }),
            ctxFor(id, []),
          );
        assert.equal(
          (await send(await createClientAssertion(created.bootstrap, { audience: ISSUER }))).status,
          200,
          'issuer as audience is fine',
        );
        assert.equal(
          (
            await send(
              await createClientAssertion(created.bootstrap, { audience: 'https://other.example/token' }),
            )
          ).body.error,
          'invalid_client',
        );
        const attacker = await generateKeyPair('ES256', { extractable: true });
        const forged = {
          ...created.bootstrap,
          privateJwk: { ...(await exportJWK(attacker.privateKey)), kid: created.bootstrap.kid },
        };
        assert.equal(
          (await send(await createClientAssertion(forged, { audience: ISSUER }))).body.error,
          'invalid_client',
        );
        assert.equal(
          (await send(await createClientAssertion(created.bootstrap, { audience: ISSUER, ttlSec: 3600 })))
            .body.error,
          'invalid_client',
        );
        await id.registry.revokeBootstrapKey(created.bootstrap.kid);
        assert.equal(
          (await send(await createClientAssertion(created.bootstrap, { audience: ISSUER }))).body.error,
          'invalid_client',
        );
        const c2 = await bootstrapForm(id, 'c2');
        await id.registry.disable('c2');
        assert.equal((await send(c2.assertion)).status, 400);
        assert.equal(
          (await send(await createClientAssertion(c2.created.bootstrap, { audience: ISSUER }))).body.error,
          'invalid_grant',
        );
      });
    });

    it('accepts an API key as client secret only while API-key bootstrapping is allowed', async () => {
      await withIdentity(f, async (id) => {
        const { agent, credential } = await id.registry.create({ name: 'keyed' });
        const basic = `Basic ${Buffer.from(`${agent.id}:${credential.token}`).toString('base64')}`;
        const body = form({ grant_type: 'client_credentials', scope: 'fs.read_*' });
        const ok = await handleTokenRequest(body, ctxFor(id, [], { authorization: basic }));
        assert.equal(ok.status, 200);
        const off = await handleTokenRequest(
          body,
          ctxFor(id, [], { authorization: basic, allowApiKeyClients: false }),
        );
        assert.equal(off.body.error, 'invalid_client');
        const wrongId = `Basic ${Buffer.from(`agt_other:${credential.token}`).toString('base64')}`;
        assert.equal(
          (await handleTokenRequest(body, ctxFor(id, [], { authorization: wrongId }))).body.error,
          'invalid_client',
        );
        assert.equal((await handleTokenRequest(body, ctxFor(id, []))).body.error, 'invalid_client');
      });
    });

    it('[CD-2][CD-9] refuses a missing grant, a wildcard server, a foreign resource and unknown grant types', async () => {
      await withIdentity(f, async (id) => {
        const { credential } = await id.registry.create({ name: 'p' });
        const send = (o: Record<string, string>) =>
          handleTokenRequest(
            form({ grant_type: 'client_credentials', client_secret: credential.token, ...o }),
            ctxFor(id, []),
          );
        assert.equal((await send({})).body.error, 'invalid_scope');
        assert.equal((await send({ scope: '*.admin' })).body.error, 'invalid_scope');
        assert.equal(
          (await send({ scope: 'fs.read_*', resource: 'https://other.example/mcp' })).body.error,
          'invalid_target',
        );
        assert.equal(
          (await send({ scope: 'fs.read_*', audience: 'https://other.example/mcp' })).body.error,
          'invalid_target',
        );
        assert.equal((await send({ scope: 'fs.read_*', ttl: '99999' })).body.error, 'invalid_scope');
        assert.equal((await send({ scope: 'fs.read_*', ttl: '600' })).status, 200);
        assert.equal(
          (await handleTokenRequest(form({ grant_type: 'password' }), ctxFor(id, []))).body.error,
          'unsupported_grant_type',
        );
        const chosen = await send({
          authorization_details: JSON.stringify([
            { type: 'warden_grant', id: 'attacker-chosen', expiresAt: 9e15, tools: { fs: ['read_file'] } },
          ]),
        });
        assert.equal(chosen.status, 200);
        const claims = (await id.tokens.verify(String(chosen.body.access_token))).claims;
        assert.notEqual(claims.grant.id, 'attacker-chosen', 'the server names the grant');
        assert.ok(claims.grant.expiresAt <= claims.exp * 1000, 'the grant ends with the token');
        const dup = new URLSearchParams('grant_type=client_credentials&scope=fs.a&scope=fs.b');
        assert.equal((await handleTokenRequest(dup, ctxFor(id, []))).body.error, 'invalid_request');
      });
    });

    it('[DL-7] exchanges a subject token for a narrower one with an actor token, refuses impersonation and widening', async () => {
      await withIdentity(f, async (id) => {
        const events: TokenEvent[] = [];
        const orch = await bootstrapForm(id, 'orch');
        const parent = String((await handleTokenRequest(orch.f, ctxFor(id, []))).body.access_token);
        const sub = await id.registry.create({ name: 'helper' });
        const actorAssertion = await createClientAssertion(sub.bootstrap, { audience: `${ISSUER}/token` });
        const narrow = JSON.stringify([
          {
            type: 'warden_grant',
            tools: { fs: ['read_file'] },
            args: { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/docs/**'] } } },
          },
        ]);
        const base = {
          grant_type: GRANT_TOKEN_EXCHANGE,
          subject_token: parent,
          subject_token_type: TOKEN_TYPE_ACCESS,
        };
        const r = await handleTokenRequest(
          form({
            ...base,
            actor_token: actorAssertion,
            actor_token_type: TOKEN_TYPE_JWT,
            authorization_details: narrow,
          }),
          ctxFor(id, events),
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.issued_token_type, TOKEN_TYPE_ACCESS);
        const p = await id.authenticator.authenticate(`Bearer ${String(r.body.access_token)}`);
        assert.deepEqual(p.actors, ['helper']);
        assert.equal(p.subject?.agentName, 'orch');
        const ev = events[0];
        assert.ok(ev?.type === 'token.issued' && ev.actors?.length === 1 && ev.parentJti !== undefined);
        const imp = await handleTokenRequest(form({ ...base, scope: 'fs.read_file' }), ctxFor(id, events));
        assert.equal(imp.body.error, 'invalid_request');
        assert.match(String(imp.body.error_description), /actor_token/);
        const subToken = String(
          (
            await handleTokenRequest(
              form({
                grant_type: 'client_credentials',
                client_secret: sub.credential.token,
                scope: 'fs.read_file',
              }),
              ctxFor(id, []),
            )
          ).body.access_token,
        );
        const wide = await handleTokenRequest(
          form({
            ...base,
            actor_token: subToken,
            actor_token_type: TOKEN_TYPE_ACCESS,
            scope: 'fs.write_file',
          }),
          ctxFor(id, events),
        );
        assert.equal(wide.body.error, 'invalid_scope');
        const last = events[events.length - 1];
        assert.ok(last?.type === 'token.refused' && last.error === 'invalid_scope');
        const ok2 = await handleTokenRequest(
          form({ ...base, actor_token: subToken, actor_token_type: TOKEN_TYPE_ACCESS }),
          ctxFor(id, events),
        );
        assert.equal(ok2.status, 200, 'same grant, no scope requested: allowed');
        await id.tokens.revoke({ jti: (await id.tokens.verify(parent)).claims.jti });
        const revoked = await handleTokenRequest(
          form({ ...base, actor_token: subToken, actor_token_type: TOKEN_TYPE_ACCESS }),
          ctxFor(id, events),
        );
        assert.equal(revoked.body.error, 'invalid_grant');
      });
    });
  });
}
