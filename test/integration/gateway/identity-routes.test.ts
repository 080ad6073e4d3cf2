/**
 * The gateway's OAuth side over real HTTP (issue 4): discovery without a bearer, the 401
 * challenge, /token client credentials with the bootstrap key, token exchange, and every
 * refusal of /token next to its allowed twin (THREATS DL-*, CD-2). Refusals are audited.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ASSERTION_TYPE,
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
  createClientAssertion,
} from '../../../src/identity/index.ts';
import type { BootstrapCredential } from '../../../src/identity/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const POLICY = `
@id("agents-memory")
permit (principal in Warden::Role::"agent", action == Warden::Action::"call_tool", resource in Warden::Server::"memory");
`;

const yaml =
  (extra: string[] = []) =>
  () =>
    [
      'version: 1',
      'gateway:',
      '  listen: 127.0.0.1:0',
      ...extra,
      'servers:',
      '  memory:',
      '    package: "@modelcontextprotocol/server-memory"',
      '',
    ].join('\n');

const records = async (t: TestGateway, kind: string) =>
  (await t.gw.services.audit.tail(1000)).filter((r) => r.kind === kind);

interface TokenReply {
  status: number;
  body: { access_token?: string; error?: string; error_description?: string; expires_in?: number };
  headers: Headers;
}

describe('gateway identity routes (/token, discovery, challenge)', () => {
  let t: TestGateway;
  let base: string;
  let orch: { id: string; boot: BootstrapCredential; apiKey: string };
  let helper: { id: string; boot: BootstrapCredential };

  const post = async (
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<TokenReply> => {
    const r = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
    return { status: r.status, body: (await r.json()) as TokenReply['body'], headers: r.headers };
  };
  const assertion = (boot: BootstrapCredential) => createClientAssertion(boot, { audience: `${base}/token` });
  const clientCredentials = async (boot: BootstrapCredential, extra: Record<string, string> = {}) =>
    post({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(boot),
      scope: 'memory.read_graph memory.search_nodes memory.create_entities',
      ...extra,
    });

  before(async () => {
    t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml() });
    base = new URL(t.gw.url).origin;
    const o = await t.agentCredentials('orch', ['agent']);
    const h = await t.agentCredentials('helper', ['agent']);
    orch = { id: o.agent.id, boot: o.bootstrap, apiKey: o.credential.token };
    helper = { id: h.agent.id, boot: h.bootstrap };
  });
  after(() => t.cleanup());

  it('serves protected resource and authorization server metadata and the JWKS without a bearer', async () => {
    const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(prm.resource, t.gw.url);
    assert.deepEqual(prm.authorization_servers, [base]);
    const prmPath = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prmPath.status, 200);
    const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(as.token_endpoint, `${base}/token`);
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.ok(jwks.keys.length >= 1);
    assert.ok(
      jwks.keys.every((k) => !('d' in k)),
      'the JWKS holds public keys only',
    );
  });

  it('[SE-8] a 401 on /mcp carries WWW-Authenticate with resource_metadata', async () => {
    const r = await fetch(t.gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    assert.equal(r.status, 401);
    assert.match(
      r.headers.get('www-authenticate') ?? '',
      new RegExp(`resource_metadata="${base}/.well-known/oauth-protected-resource"`),
    );
  });

  it('issues a token for the bootstrap key (private_key_jwt) that the SDK client can use; the issue is audited', async () => {
    const r = await clientCredentials(orch.boot, { task: 'wiring test' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.body.expires_in, 300, 'the configured default TTL (5 min)');
    const client = await t.client(r.body.access_token!);
    const names = (await client.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(names, ['memory.create_entities', 'memory.read_graph', 'memory.search_nodes']);
    const rows = await records(t, 'token.issued');
    assert.ok(rows.some((x) => x.taskId === 'wiring test' && x.principal === 'orch'));
  });

  it('[DL-10] an API key is refused as a bearer on /mcp in bootstrap mode, but bootstraps a token at /token', async () => {
    const r = await fetch(t.gw.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${orch.apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    assert.equal(r.status, 401);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /only bootstrap/);
    const twin = await post({
      grant_type: 'client_credentials',
      client_id: orch.id,
      client_secret: orch.apiKey,
      scope: 'memory.read_graph',
    });
    assert.equal(twin.status, 200, JSON.stringify(twin.body));
  });

  it('[DL-7] refuses impersonation (exchange without actor_token); delegation with an actor is allowed', async () => {
    const parent = (await clientCredentials(orch.boot)).body.access_token!;
    const bad = await post({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: parent,
      subject_token_type: TOKEN_TYPE_ACCESS,
      scope: 'memory.read_graph',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_request');
    assert.match(bad.body.error_description!, /actor_token is required/);
    const ok = await post({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: parent,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: await assertion(helper.boot),
      actor_token_type: TOKEN_TYPE_JWT,
      scope: 'memory.read_graph',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const refused = await records(t, 'token.refused');
    assert.ok(refused.some((x) => x.reasons?.some((m) => /actor_token is required/.test(m))));
  });

  it('[DL-1] refuses an exchange that widens the tools; a narrower one is allowed', async () => {
    const parent = (await clientCredentials(orch.boot, { scope: 'memory.read_graph memory.search_nodes' }))
      .body.access_token!;
    const exchange = async (scope: string) =>
      post({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: parent,
        subject_token_type: TOKEN_TYPE_ACCESS,
        actor_token: await assertion(helper.boot),
        actor_token_type: TOKEN_TYPE_JWT,
        scope,
      });
    const wide = await exchange('memory.read_graph memory.create_entities');
    assert.equal(wide.status, 400);
    assert.equal(wide.body.error, 'invalid_scope');
    assert.match(wide.body.error_description!, /create_entities is not in the parent grant/);
    const narrow = await exchange('memory.read_graph');
    assert.equal(narrow.status, 200, JSON.stringify(narrow.body));
  });

  it('[DL-2] a child asking for a longer TTL than its parent is clamped to the parent', async () => {
    const parent = (await clientCredentials(orch.boot, { ttl: '60' })).body;
    const child = await post({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: parent.access_token!,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: await assertion(helper.boot),
      actor_token_type: TOKEN_TYPE_JWT,
      ttl: '600',
    });
    assert.equal(child.status, 200, JSON.stringify(child.body));
    assert.ok(child.body.expires_in! <= 60, `child expires_in ${child.body.expires_in}`);
  });

  it('[DL-8] refuses a loop (the subject as its own actor); another actor is allowed', async () => {
    const parent = (await clientCredentials(orch.boot)).body.access_token!;
    const loop = await post({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: parent,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: await assertion(orch.boot),
      actor_token_type: TOKEN_TYPE_JWT,
    });
    assert.equal(loop.status, 400);
    assert.match(loop.body.error_description!, /actor|loop|repeat/i);
    const ok = await post({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: parent,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: await assertion(helper.boot),
      actor_token_type: TOKEN_TYPE_JWT,
    });
    assert.equal(ok.status, 200);
  });

  it('[DL-1][DL-7] the holder may narrow its own token (same token as subject and actor), never widen it', async () => {
    const parent = (await clientCredentials(orch.boot, { scope: 'memory.read_graph memory.search_nodes' }))
      .body.access_token!;
    const attenuate = (scope: string, actor = parent) =>
      post({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: parent,
        subject_token_type: TOKEN_TYPE_ACCESS,
        actor_token: actor,
        actor_token_type: TOKEN_TYPE_ACCESS,
        scope,
      });
    const narrow = await attenuate('memory.read_graph');
    assert.equal(narrow.status, 200, JSON.stringify(narrow.body));
    const claims = (await t.gw.identity.tokens.verify(narrow.body.access_token!)).claims;
    assert.equal(claims.act, undefined, 'no actor added');
    assert.deepEqual(claims.grant.tools, { memory: ['read_graph'] });
    const wide = await attenuate('memory.read_graph memory.create_entities');
    assert.equal(wide.status, 400);
    assert.equal(wide.body.error, 'invalid_scope');
    // Another token of the same agent as actor is a loop, not an attenuation (DL-8).
    const other = (await clientCredentials(orch.boot)).body.access_token!;
    const loop = await attenuate('memory.read_graph', other);
    assert.equal(loop.status, 400);
    assert.match(loop.body.error_description!, /already appears/);
  });

  it('[DL-3][CD-2] refuses a foreign resource or audience; our own resource is allowed', async () => {
    const bad = await clientCredentials(orch.boot, { resource: 'https://other.example/mcp' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_target');
    const ok = await clientCredentials(orch.boot, { resource: t.gw.url });
    assert.equal(ok.status, 200);
  });

  it('refuses a replayed client assertion; a fresh assertion is allowed', async () => {
    const a = await assertion(orch.boot);
    const form = {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: a,
      scope: 'memory.read_graph',
    };
    assert.equal((await post(form)).status, 200);
    const replay = await post(form);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error, 'invalid_client');
    assert.match(replay.body.error_description!, /replayed/);
  });

  it('[CD-9] refuses a token request without a grant and a wildcard server; a named grant is allowed', async () => {
    const none = await post({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(orch.boot),
    });
    assert.equal(none.status, 400);
    assert.equal(none.body.error, 'invalid_scope');
    const star = await clientCredentials(orch.boot, { scope: '*.read_graph' });
    assert.equal(star.status, 400);
    assert.equal(star.body.error, 'invalid_scope');
    assert.equal((await clientCredentials(orch.boot, { scope: 'memory.read_graph' })).status, 200);
  });

  it('[DL-9] refuses a TTL above the cap; one within the cap is allowed', async () => {
    const over = await clientCredentials(orch.boot, { ttl: '901' });
    assert.equal(over.status, 400);
    assert.match(over.body.error_description!, /cap/);
    assert.equal((await clientCredentials(orch.boot, { ttl: '900' })).status, 200);
  });

  it('caps the /token body (413) and wants a form body (415); refusals are audited', async () => {
    const big = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=' + 'a'.repeat(70 * 1024),
    });
    assert.equal(big.status, 413);
    const json = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    assert.equal(json.status, 415);
    const get = await fetch(`${base}/token`);
    assert.equal(get.status, 405);
    const rows = await records(t, 'token.refused');
    assert.ok(rows.some((r) => r.reasons?.some((m) => /larger than/.test(m))));
  });

  it('an unknown grant_type is refused; the credentials of a disabled agent are refused', async () => {
    const r = await post({ grant_type: 'password', username: 'x', password: 'y' });
    assert.equal(r.body.error, 'unsupported_grant_type');
    const d = await t.agentCredentials('gone', ['agent']);
    assert.equal((await clientCredentials(d.bootstrap)).status, 200);
    await t.gw.registry.disable('gone');
    const after = await clientCredentials(d.bootstrap);
    assert.equal(after.status, 400);
    assert.equal(after.body.error, 'invalid_grant');
    assert.match(after.body.error_description!, /disabled/);
  });
});

describe('gateway identity: api_keys: direct', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: yaml(['identity:', '  api_keys: direct']),
    });
  });
  after(() => t.cleanup());

  it('accepts an API key as a bearer on /mcp when configured (static-header clients)', async () => {
    const c = await t.agentCredentials('static', ['agent']);
    const client = new Client({ name: 'static', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(t.gw.url), {
        requestInit: { headers: { Authorization: `Bearer ${c.credential.token}` } },
      }),
    );
    assert.ok((await client.listTools()).tools.length > 0);
    await client.close();
  });
});
