/**
 * The identity surface wired the way the gateway is meant to wire it, over a real loopback HTTP
 * server: discovery, bootstrap at /token, a resource call with the bearer token, delegation by
 * token exchange, and revocation of the parent cutting off the sub-agent's next call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ASSERTION_TYPE,
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
  authorizationServerMetadata,
  checkArgs,
  createClientAssertion,
  handleTokenRequest,
  isAuthenticationFailure,
  protectedResourceMetadata,
  toolAllowed,
  wwwAuthenticate,
} from '../../../src/identity/index.ts';
import type { Identity, TokenEvent } from '../../../src/identity/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { ISSUER, RESOURCE, withIdentity } from './fixture.ts';

async function serve(id: Identity, events: TokenEvent[]) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        const meta = { issuer: ISSUER, resource: RESOURCE };
        if (req.url === '/.well-known/oauth-protected-resource')
          return send(200, protectedResourceMetadata(meta));
        if (req.url === '/.well-known/oauth-authorization-server')
          return send(200, authorizationServerMetadata(meta));
        if (req.url === '/.well-known/jwks.json') return send(200, await id.keys.jwks());
        if (req.url === '/token' && req.method === 'POST') {
          const r = await handleTokenRequest(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), {
            tokens: id.tokens,
            clients: id.clients,
            ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
            onEvent: (e) => events.push(e),
          });
          return send(r.status, r.body, r.headers);
        }
        if (req.url === '/mcp') {
          try {
            const p = await id.authenticator.authenticate(req.headers.authorization);
            const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              server: string;
              tool: string;
              args: unknown;
            };
            const allowed =
              p.grant !== undefined &&
              toolAllowed(p.grant, call.server, call.tool) &&
              checkArgs(p.grant, call.server, call.tool, call.args).ok;
            return send(allowed ? 200 : 403, { agent: p.agentName, actors: p.actors ?? [], allowed });
          } catch (e) {
            if (isAuthenticationFailure(e)) {
              return send(
                401,
                { error: e.code },
                {
                  'www-authenticate': wwwAuthenticate(
                    `${ISSUER}/.well-known/oauth-protected-resource`,
                    'invalid_token',
                  ),
                },
              );
            }
            return send(500, { error: 'internal' });
          }
        }
        send(404, {});
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const f of await storeFixtures()) {
  describe(`identity over HTTP (${f.name})`, { skip: f.skip }, () => {
    it('[DL-6][DL-7] bootstraps, delegates read-only, enforces the grant and cuts the sub-agent off when the parent is revoked', async () => {
      await withIdentity(f, async (id) => {
        const events: TokenEvent[] = [];
        const { base, close } = await serve(id, events);
        try {
          const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as {
            authorization_servers: string[];
          };
          assert.deepEqual(prm.authorization_servers, [ISSUER]);
          const orch = await id.registry.create({ name: 'orch', roles: ['lead'] });
          const helper = await id.registry.create({ name: 'helper', roles: ['reader'] });
          const post = (body: Record<string, string>) =>
            fetch(`${base}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(body),
            });
          const tokenRes = await post({
            grant_type: 'client_credentials',
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: await createClientAssertion(orch.bootstrap, { audience: `${ISSUER}/token` }),
            scope: 'fs.read_file fs.write_file',
            task: 'refactor',
          });
          assert.equal(tokenRes.status, 200);
          assert.equal(tokenRes.headers.get('cache-control'), 'no-store');
          const orchToken = ((await tokenRes.json()) as { access_token: string }).access_token;
          const call = (token: string, tool: string) =>
            fetch(`${base}/mcp`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
              body: JSON.stringify({ server: 'fs', tool, args: { path: '/workspace/a' } }),
            });
          assert.equal((await call(orchToken, 'write_file')).status, 200);
          const ex = await post({
            grant_type: GRANT_TOKEN_EXCHANGE,
            subject_token: orchToken,
            subject_token_type: TOKEN_TYPE_ACCESS,
            actor_token: await createClientAssertion(helper.bootstrap, { audience: `${ISSUER}/token` }),
            actor_token_type: TOKEN_TYPE_JWT,
            scope: 'fs.read_file',
          });
          assert.equal(ex.status, 200);
          const subToken = ((await ex.json()) as { access_token: string }).access_token;
          const read = await call(subToken, 'read_file');
          assert.equal(read.status, 200);
          assert.deepEqual(await read.json(), { agent: 'helper', actors: ['helper'], allowed: true });
          assert.equal((await call(subToken, 'write_file')).status, 403, 'the sub-agent cannot write');
          await id.tokens.revoke({ jti: (await id.tokens.verify(orchToken)).claims.jti });
          const after = await call(subToken, 'read_file');
          assert.equal(after.status, 401);
          assert.match(after.headers.get('www-authenticate') ?? '', /resource_metadata=/);
          assert.deepEqual(await after.json(), { error: 'ERR_TOKEN_REVOKED' });
          assert.ok(events.some((e) => e.type === 'token.issued' && e.actors?.length === 1));
          const unauth = await fetch(`${base}/mcp`, { method: 'POST', body: '{}' });
          assert.equal(unauth.status, 401);
        } finally {
          await close();
        }
      });
    });
  });
}
