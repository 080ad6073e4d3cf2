import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { digestsEqual, hashApiKey, looksLikeApiKey, parseApiKey } from './api-key.ts';
import { IdentityError } from './errors.ts';
import type { Agent, Authenticator, Principal } from './types.ts';

/** What the authenticator needs from the token service (kept narrow on purpose). */
export interface AccessTokenVerifier {
  verifyAccessToken(token: string): Promise<Principal>;
}

export interface AuthenticatorDeps {
  readonly registry: AgentRegistry;
  readonly tokens?: AccessTokenVerifier;
  /** When false, API keys are refused on resource requests (they may still bootstrap at /token). */
  readonly allowApiKeys: boolean;
  readonly clock?: Clock;
  /** How long a verified API key stays cached within one state version (default 30 s). */
  readonly apiKeyCacheMs?: number;
}

/** RFC 6750 b64token, bounded. */
const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_HEADER = 8192;

interface CachedKey {
  readonly version: number;
  readonly digest: Buffer;
  readonly agentId: string;
  readonly at: number;
}

/**
 * Authenticates `Authorization: Bearer …` for resource requests. API keys (`wdn_…`) are
 * checked against their stored digest (cached per state version for `apiKeyCacheMs`);
 * anything else is handed to the access-token verifier. Every failure throws an
 * `IdentityError` with a 401-class code and a message that never echoes the credential.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const clock = deps.clock ?? systemClock;
  const cacheMs = deps.apiKeyCacheMs ?? 30_000;
  const cache = new Map<string, CachedKey>();
  deps.registry.state.onChange(() => cache.clear());

  async function viaApiKey(token: string): Promise<Principal> {
    if (!deps.allowApiKeys) {
      throw new IdentityError(
        'ERR_UNAUTHENTICATED',
        'API keys only bootstrap access tokens here: obtain a token at the token endpoint',
      );
    }
    const parsed = parseApiKey(token);
    if (parsed === null) throw new IdentityError('ERR_UNAUTHENTICATED', 'malformed API key');
    const version = await deps.registry.state.current();
    const presented = hashApiKey(parsed.id, parsed.secret);
    let hit = cache.get(parsed.id);
    if (hit === undefined || hit.version !== version || clock.monotonic() - hit.at > cacheMs) {
      const found = await deps.registry.verifyApiKey(token);
      if (found === null)
        throw new IdentityError('ERR_UNAUTHENTICATED', 'unknown or revoked API key', { keyId: parsed.id });
      hit = { version, digest: presented, agentId: found.agentId, at: clock.monotonic() };
      if (cache.size > 10_000) cache.clear();
      cache.set(parsed.id, hit);
    } else if (!digestsEqual(hit.digest, presented)) {
      throw new IdentityError('ERR_UNAUTHENTICATED', 'unknown or revoked API key', { keyId: parsed.id });
    }
    const agent = await liveAgent(deps.registry, hit.agentId);
    return Object.freeze({
      agentId: agent.id,
      agentName: agent.name,
      roles: agent.roles,
      credential: Object.freeze({ kind: 'api-key' as const, id: parsed.id }),
    });
  }

  return {
    async authenticate(header: string | undefined): Promise<Principal> {
      if (header === undefined || header === '') {
        throw new IdentityError('ERR_UNAUTHENTICATED', 'missing Authorization header');
      }
      const m = header.length <= MAX_HEADER ? BEARER_RE.exec(header) : null;
      if (m === null)
        throw new IdentityError('ERR_UNAUTHENTICATED', 'expected Authorization: Bearer <credential>');
      const token = m[1]!;
      if (looksLikeApiKey(token)) return viaApiKey(token);
      if (deps.tokens === undefined)
        throw new IdentityError('ERR_UNAUTHENTICATED', 'unrecognised credential');
      return deps.tokens.verifyAccessToken(token);
    },
  };
}

/** The agent if it exists and is enabled; 401-class errors otherwise. */
export async function liveAgent(registry: AgentRegistry, agentId: string): Promise<Agent> {
  const agent = await registry.findById(agentId);
  if (agent === null) throw new IdentityError('ERR_UNAUTHENTICATED', 'unknown agent', { agentId });
  if (agent.disabled)
    throw new IdentityError('ERR_AGENT_DISABLED', `agent ${agent.name} is disabled`, { agentId });
  return agent;
}
