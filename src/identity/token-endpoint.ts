import { newId } from '../core/index.ts';
import { ASSERTION_TYPE } from './client-auth.ts';
import type { ClientAuthenticator } from './client-auth.ts';
import { IdentityError } from './errors.ts';
import { parseGrant } from './grants.ts';
import type { IssuedToken, TokenService } from './token-service.ts';
import type { Agent, Grant } from './types.ts';

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target';

/** What the gateway writes to the audit log for every /token outcome (secret-free). */
export type TokenEvent =
  | {
      readonly type: 'token.issued';
      readonly grantType: string;
      readonly agentId: string;
      readonly actorId: string;
      readonly jti: string;
      readonly parentJti?: string;
      readonly grantId: string;
      readonly taskId?: string;
      readonly actors?: readonly string[];
      readonly expiresAt: number;
    }
  | {
      readonly type: 'token.refused';
      readonly grantType: string;
      readonly error: OAuthErrorCode;
      readonly description: string;
      readonly clientId?: string;
    };

export interface TokenEndpointContext {
  readonly tokens: TokenService;
  readonly clients: ClientAuthenticator;
  /** The request's Authorization header, for client_secret_basic. */
  readonly authorization?: string;
  /** Whether an API key may authenticate a client here (bootstrapping). Default true. */
  readonly allowApiKeyClients?: boolean;
  readonly onEvent?: (event: TokenEvent) => void;
}

export interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };

class OAuthRefusal extends Error {
  readonly error: OAuthErrorCode;
  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.error = error;
  }
}

/**
 * The token endpoint, framework-free: client credentials (private_key_jwt bootstrap key or an
 * API key as client secret) and RFC 8693 token exchange (delegation only: an actor token is
 * required, DL-7). Every refusal is a precise OAuth error and a `token.refused` event.
 */
export async function handleTokenRequest(
  form: URLSearchParams,
  ctx: TokenEndpointContext,
): Promise<TokenResponse> {
  const grantType = form.get('grant_type') ?? '';
  try {
    for (const [k] of form)
      if (form.getAll(k).length > 1)
        throw new OAuthRefusal('invalid_request', `parameter ${k.slice(0, 32)} repeated`);
    checkTarget(form, ctx.tokens);
    let issued: IssuedToken;
    if (grantType === GRANT_CLIENT_CREDENTIALS) issued = await clientCredentials(form, ctx);
    else if (grantType === GRANT_TOKEN_EXCHANGE) issued = await tokenExchange(form, ctx);
    else
      throw new OAuthRefusal('unsupported_grant_type', 'grant_type is client_credentials or token-exchange');
    ctx.onEvent?.(issuedEvent(grantType, issued));
    const body: Record<string, unknown> = {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.claims.exp - issued.claims.iat,
      ...(grantType === GRANT_TOKEN_EXCHANGE ? { issued_token_type: TOKEN_TYPE_ACCESS } : {}),
    };
    return { status: 200, body, headers: { ...HEADERS } };
  } catch (e) {
    const r = toRefusal(e);
    ctx.onEvent?.({
      type: 'token.refused',
      grantType: grantType.slice(0, 80),
      error: r.error,
      description: r.message,
      ...(clientIdOf(form) ? { clientId: clientIdOf(form)! } : {}),
    });
    const status = r.error === 'invalid_client' ? 401 : 400;
    const headers: Record<string, string> = { ...HEADERS };
    if (status === 401) headers['www-authenticate'] = 'Basic realm="warden"';
    return { status, body: { error: r.error, error_description: r.message }, headers };
  }
}

async function clientCredentials(form: URLSearchParams, ctx: TokenEndpointContext): Promise<IssuedToken> {
  const agent = await authenticateClient(form, ctx);
  const grant = requestedGrant(form, true)!;
  return ctx.tokens.issue({ agentId: agent.id, grant, ...taskAndTtl(form) });
}

async function tokenExchange(form: URLSearchParams, ctx: TokenEndpointContext): Promise<IssuedToken> {
  const subject = form.get('subject_token');
  const subjectType = form.get('subject_token_type');
  if (subject === null || subjectType === null)
    throw new OAuthRefusal('invalid_request', 'subject_token and subject_token_type are required');
  if (subjectType !== TOKEN_TYPE_ACCESS && subjectType !== TOKEN_TYPE_JWT)
    throw new OAuthRefusal('invalid_request', 'unsupported subject_token_type');
  const requestedType = form.get('requested_token_type');
  if (requestedType !== null && requestedType !== TOKEN_TYPE_ACCESS)
    throw new OAuthRefusal('invalid_request', 'only access tokens are issued');
  const actorToken = form.get('actor_token');
  if (actorToken === null)
    throw new OAuthRefusal('invalid_request', 'impersonation is refused: actor_token is required (DL-7)');
  const actorId = await actorAgentId(actorToken, form.get('actor_token_type'), ctx);
  // The same access token as subject and actor: its holder narrows it (no new identity).
  const attenuate = actorToken === subject && form.get('actor_token_type') === TOKEN_TYPE_ACCESS;
  const requested = requestedGrant(form, false);
  const grant =
    requested === undefined
      ? undefined
      : { id: requested.id, tools: requested.tools, ...(requested.args ? { args: requested.args } : {}) };
  return ctx.tokens.exchange({
    subjectToken: subject,
    actorAgentId: actorId,
    ...(grant ? { grant } : {}),
    ...taskAndTtl(form),
    ...(attenuate ? { attenuate: true } : {}),
  });
}

/** The actor proves itself with its own access token or a client assertion of its bootstrap key. */
async function actorAgentId(token: string, type: string | null, ctx: TokenEndpointContext): Promise<string> {
  if (type === TOKEN_TYPE_ACCESS) return (await ctx.tokens.verifyAccessToken(token)).agentId;
  if (type === TOKEN_TYPE_JWT) return (await ctx.clients.verifyAssertion(token)).agent.id;
  throw new OAuthRefusal('invalid_request', 'actor_token_type is access_token or jwt');
}

async function authenticateClient(form: URLSearchParams, ctx: TokenEndpointContext): Promise<Agent> {
  const assertion = form.get('client_assertion');
  const assertionType = form.get('client_assertion_type');
  const basic = parseBasic(ctx.authorization);
  const secret = basic?.secret ?? form.get('client_secret');
  const claimedId = basic?.id ?? form.get('client_id');
  if ([assertion, basic, form.get('client_secret')].filter((x) => x !== null && x !== undefined).length > 1) {
    throw new OAuthRefusal('invalid_request', 'use exactly one client authentication method');
  }
  let agent: Agent;
  if (assertion !== null) {
    if (assertionType !== ASSERTION_TYPE)
      throw new OAuthRefusal('invalid_client', 'client_assertion_type must be jwt-bearer');
    agent = (await ctx.clients.verifyAssertion(assertion)).agent;
  } else if (secret !== null && secret !== undefined) {
    if (ctx.allowApiKeyClients === false)
      throw new OAuthRefusal('invalid_client', 'API keys are not accepted as client secrets here');
    agent = (await ctx.clients.verifyApiKey(secret)).agent;
  } else {
    throw new OAuthRefusal('invalid_client', 'client authentication is required');
  }
  if (claimedId !== null && claimedId !== undefined && claimedId !== agent.id)
    throw new OAuthRefusal('invalid_client', 'client_id does not match the credential');
  return agent;
}

/** RFC 8707 `resource` / RFC 8693 `audience`: only our one resource (CD-2, DL-3). */
function checkTarget(form: URLSearchParams, tokens: TokenService): void {
  for (const p of ['resource', 'audience']) {
    const v = form.get(p);
    if (v !== null && v !== tokens.audience)
      throw new OAuthRefusal('invalid_target', `${p} must be ${tokens.audience}`);
  }
}

/**
 * The requested grant: `authorization_details` (RFC 9396, one entry of type `warden_grant`
 * with `tools` and optional `args`) or `scope` (space-separated `server.tool_pattern`).
 */
function requestedGrant(form: URLSearchParams, required: boolean): Grant | undefined {
  const details = form.get('authorization_details');
  const scope = form.get('scope');
  if (details !== null && scope !== null)
    throw new OAuthRefusal('invalid_request', 'send scope or authorization_details, not both');
  // The token's lifetime bounds the grant: issue() and exchange() clamp this placeholder.
  const expiresAt = Number.MAX_SAFE_INTEGER;
  let raw: Record<string, unknown> | undefined;
  if (details !== null) raw = fromDetails(details);
  else if (scope !== null) raw = { tools: fromScope(scope) };
  if (raw === undefined) {
    if (required)
      throw new OAuthRefusal('invalid_scope', 'a token needs a grant: scope or authorization_details');
    return undefined;
  }
  try {
    return parseGrant({ ...raw, id: newId('grt_'), expiresAt });
  } catch (e) {
    throw new OAuthRefusal('invalid_scope', e instanceof IdentityError ? e.message : 'invalid grant');
  }
}

function fromDetails(json: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new OAuthRefusal('invalid_request', 'authorization_details is not JSON');
  }
  if (!Array.isArray(v) || v.length !== 1 || typeof v[0] !== 'object' || v[0] === null) {
    throw new OAuthRefusal('invalid_request', 'authorization_details holds exactly one warden_grant object');
  }
  const { type, ...rest } = v[0] as Record<string, unknown>;
  if (type !== 'warden_grant')
    throw new OAuthRefusal('invalid_request', 'authorization_details type must be warden_grant');
  return rest;
}

function fromScope(scope: string): Record<string, string[]> {
  const tools = Object.create(null) as Record<string, string[]>;
  for (const s of scope.split(' ').filter((x) => x !== '')) {
    const dot = s.indexOf('.');
    if (dot <= 0) throw new OAuthRefusal('invalid_scope', 'a scope entry is server.tool_pattern');
    (tools[s.slice(0, dot)] ??= []).push(s.slice(dot + 1));
  }
  return tools;
}

function taskAndTtl(form: URLSearchParams): { task?: string; ttlSec?: number } {
  const task = form.get('task');
  const ttl = form.get('ttl');
  if (ttl !== null && !/^[1-9][0-9]{0,5}$/.test(ttl))
    throw new OAuthRefusal('invalid_request', 'ttl is a positive number of seconds');
  return { ...(task === null ? {} : { task }), ...(ttl === null ? {} : { ttlSec: Number(ttl) }) };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = header === undefined ? null : /^Basic ([A-Za-z0-9+/=]{1,2048})$/i.exec(header);
  if (m === null) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { id: decodeURIComponent(text.slice(0, colon)), secret: decodeURIComponent(text.slice(colon + 1)) };
}

function clientIdOf(form: URLSearchParams): string | undefined {
  const id = form.get('client_id');
  return id !== null && /^agt_[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

function issuedEvent(grantType: string, t: IssuedToken): TokenEvent {
  const c = t.claims;
  const chain: string[] = [];
  for (let a = c.act; a !== undefined; a = a.act) chain.push(a.sub);
  return {
    type: 'token.issued',
    grantType,
    agentId: c.sub,
    actorId: chain[0] ?? c.sub,
    jti: c.jti,
    ...(c.anc && c.anc.length > 0 ? { parentJti: c.anc[c.anc.length - 1]! } : {}),
    grantId: c.grant.id,
    ...(c.task === undefined ? {} : { taskId: c.task }),
    ...(chain.length > 0 ? { actors: chain } : {}),
    expiresAt: t.expiresAt,
  };
}

/** Maps domain errors to OAuth errors; messages are ours and secret-free. */
function toRefusal(e: unknown): OAuthRefusal {
  if (e instanceof OAuthRefusal) return e;
  if (e instanceof IdentityError) {
    switch (e.code) {
      case 'ERR_DELEGATION_REFUSED':
        return new OAuthRefusal(
          (e.details.oauthError as OAuthErrorCode | undefined) ?? 'invalid_request',
          e.message,
        );
      case 'ERR_UNAUTHENTICATED':
        return new OAuthRefusal('invalid_client', e.message);
      case 'ERR_AGENT_DISABLED':
      case 'ERR_TOKEN_EXPIRED':
      case 'ERR_TOKEN_INVALID':
      case 'ERR_TOKEN_REVOKED':
        return new OAuthRefusal('invalid_grant', e.message);
      case 'ERR_GRANT_INVALID':
        return new OAuthRefusal('invalid_scope', e.message);
      default:
        return new OAuthRefusal('invalid_request', e.message);
    }
  }
  return new OAuthRefusal('invalid_request', 'the request could not be processed');
}
