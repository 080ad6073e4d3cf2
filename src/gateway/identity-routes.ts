import { readBody } from './body.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { WardenConfig } from '../config/index.ts';
import type { Clock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import {
  agentIdOf,
  createIdentity,
  loadOrCreateKeyFile,
  authorizationServerMetadata,
  handleTokenRequest,
  protectedResourceMetadata,
} from '../identity/index.ts';
import type { Identity, TokenEvent } from '../identity/index.ts';
import type { HttpFront } from './http-front.ts';

/** The largest /token body accepted: a grant with many constraints fits in a few KB. */
export const MAX_TOKEN_BODY = 64 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** The issuer (authorization server) of a gateway: its public /mcp URL without the `/mcp`. */
export function issuerOf(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '').replace(/\/mcp$/, '');
}

/**
 * The identity services for a configuration (the gateway at start-up, and the CLI's token and
 * key commands): the KEK from `<data_dir>/identity.key` (created 0600 on first use), the issuer
 * and audience from the public URL, the TTL, leeway, depth and rotation settings of warden.yaml.
 */
export function openIdentity(
  store: SqlClient,
  config: WardenConfig,
  publicUrl: string,
  clock?: Clock,
): Promise<Identity> {
  const i = config.identity;
  return createIdentity(store, {
    issuer: issuerOf(publicUrl),
    resource: publicUrl,
    kek: loadOrCreateKeyFile(join(config.dataDir, 'identity.key')),
    allowApiKeys: i.apiKeys === 'direct',
    defaultTtlSec: i.tokenTtlSec,
    maxTtlSec: i.maxTokenTtlSec,
    leewaySec: i.leewaySec,
    maxDepth: i.maxDelegationDepth,
    rotationIntervalMs: i.keyRotationMs,
    ...(clock === undefined ? {} : { clock }),
  });
}

/**
 * Mounts the OAuth side of the gateway on the front (issue 4): `POST /token` (client
 * credentials with the bootstrap key, RFC 8693 token exchange), RFC 9728 protected resource
 * metadata, RFC 8414 authorization server metadata and the JWKS. None of them takes a bearer:
 * the token endpoint authenticates the client in the body. Every /token outcome is audited
 * before the answer leaves; if the audit log cannot record an issued token, it is not handed out.
 */
export function mountIdentityRoutes(front: HttpFront, id: Identity): void {
  const { services } = front;
  const meta = (): { issuer: string; resource: string } => ({
    issuer: id.config.issuer,
    resource: id.config.resource,
  });
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const getOnly =
    (body: () => unknown, cache: Record<string, string> = {}) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET');
        return json(res, 405, { error: 'method_not_allowed' });
      }
      void Promise.resolve(body()).then(
        (b) => json(res, 200, b, cache),
        (e: unknown) => {
          services.logger.error('identity metadata failed', { error: (e as Error).message });
          json(res, 500, { error: 'server_error' });
        },
      );
    };
  const prm = getOnly(() => protectedResourceMetadata(meta()));
  front.routes.set('/.well-known/oauth-protected-resource', prm);
  front.routes.set(`/.well-known/oauth-protected-resource${new URL(id.config.resource).pathname}`, prm);
  front.routes.set(
    '/.well-known/oauth-authorization-server',
    getOnly(() => authorizationServerMetadata(meta())),
  );
  front.routes.set(
    '/.well-known/jwks.json',
    getOnly(() => id.keys.jwks(), { 'Cache-Control': 'max-age=60' }),
  );
  front.publicRoutes.add('/token');
  front.routes.set('/token', (req, res) => {
    void token(req, res).catch((e: unknown) => {
      services.logger.error('token endpoint failed', { error: (e as Error).message });
      if (!res.headersSent) json(res, 500, { error: 'server_error' }, NO_STORE);
    });
  });

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return json(res, 405, { error: 'invalid_request', error_description: 'use POST' }, NO_STORE);
    }
    const ct = req.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(ct)) {
      req.resume();
      return refused(res, 415, 'Content-Type must be application/x-www-form-urlencoded');
    }
    const body = await readForm(req);
    if (body === 'too-large') {
      res.setHeader('Connection', 'close');
      return refused(res, 413, `the body is larger than ${MAX_TOKEN_BODY} bytes`);
    }
    if (body === 'invalid') return refused(res, 400, 'the body is not valid UTF-8');
    const events: TokenEvent[] = [];
    const r = await handleTokenRequest(new URLSearchParams(body.text), {
      tokens: id.tokens,
      clients: id.clients,
      ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
      allowApiKeyClients: true,
      onEvent: (e) => events.push(e),
    });
    try {
      for (const e of events) await audit(e);
    } catch (e) {
      services.logger.error('audit append failed; token withheld', { error: (e as Error).message });
      return json(res, 503, { error: 'server_error', error_description: 'audit log unavailable' }, NO_STORE);
    }
    json(res, r.status, r.body, r.headers);
  }

  /** A refusal before the OAuth handler ran (transport-level), audited like the others. */
  /** Refuses a malformed /token request; the refusal is recorded before the reply goes out. */
  async function refused(res: ServerResponse, status: number, description: string): Promise<void> {
    await audit({ type: 'token.refused', grantType: '', error: 'invalid_request', description }).catch(
      (e: unknown) =>
        services.logger.error('audit append failed for a /token refusal', { error: (e as Error).message }),
    );
    json(res, status, { error: 'invalid_request', error_description: description }, NO_STORE);
  }

  async function audit(e: TokenEvent): Promise<void> {
    if (e.type === 'token.issued') {
      const name = async (uriOrId: string): Promise<string> => {
        const agentId = uriOrId.startsWith('urn:') ? agentIdOf(uriOrId) : uriOrId;
        return (await id.registry.findById(agentId))?.name ?? agentId;
      };
      const actors = e.actors === undefined ? undefined : await Promise.all(e.actors.map(name));
      await services.audit.append({
        kind: 'token.issued',
        outcome: 'ok',
        principal: await name(e.actorId),
        ...(e.taskId === undefined ? {} : { taskId: e.taskId }),
        grantId: e.grantId,
        ...(actors === undefined ? {} : { actors }),
        data: {
          grantType: e.grantType,
          subject: await name(e.agentId),
          jti: e.jti,
          ...(e.parentJti === undefined ? {} : { parentJti: e.parentJti }),
          expiresAt: e.expiresAt,
        },
      });
    } else {
      await services.audit.append({
        kind: 'token.refused',
        outcome: 'denied',
        errorCode: e.error,
        reasons: [e.description],
        ...(e.clientId === undefined ? {} : { principal: e.clientId }),
        data: { grantType: e.grantType },
      });
    }
  }
}

/** Reads a form body up to MAX_TOKEN_BODY bytes as strict UTF-8. */
async function readForm(req: IncomingMessage): Promise<{ text: string } | 'too-large' | 'invalid'> {
  const r = await readBody(req, MAX_TOKEN_BODY);
  if (typeof r === 'string') return { text: r };
  return r.status === 413 ? 'too-large' : 'invalid';
}
