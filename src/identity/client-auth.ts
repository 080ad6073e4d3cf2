import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import type { Clock } from '../core/index.ts';
import { newId, systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { liveAgent } from './authenticator.ts';
import { IdentityError } from './errors.ts';
import { checkCompactJws, mapJoseError } from './jwt-checks.ts';
import type { Agent } from './types.ts';

/**
 * The bootstrap credential of an agent (issue 4): an ES256 key pair whose private half is
 * handed out once and which can do nothing but obtain access tokens at the token endpoint
 * (RFC 7523 private_key_jwt client authentication).
 */
export interface BootstrapCredential {
  readonly clientId: string;
  readonly kid: string;
  /** The private JWK: write it to a 0600 file, never log it. */
  readonly privateJwk: JWK;
}

export const CLIENT_KID_RE = /^c[A-Za-z0-9_-]{22}$/;
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const HEADER_KEYS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ']);
const MAX_ASSERTION_LIFETIME_SEC = 300;

export async function newBootstrapKey(): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = newId('c');
  return {
    kid,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
  };
}

/** Builds a client assertion (what `warden run` and SDK clients send as `client_assertion`). */
export async function createClientAssertion(
  credential: BootstrapCredential,
  options: { audience: string; ttlSec?: number; now?: number },
): Promise<string> {
  const key = (await importJWK(credential.privateJwk, 'ES256')) as CryptoKey;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({ jti: newId('a') })
    .setProtectedHeader({ alg: 'ES256', kid: credential.kid, typ: 'JWT' })
    .setIssuer(credential.clientId)
    .setSubject(credential.clientId)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSec ?? 60))
    .sign(key);
}

/** Verifies bootstrap client assertions (single use) and API keys used as client secrets. */
export class ClientAuthenticator {
  readonly #db: SqlClient;
  readonly #registry: AgentRegistry;
  readonly #clock: Clock;
  readonly #leewaySec: number;
  readonly #audiences: readonly string[];

  constructor(
    db: SqlClient,
    registry: AgentRegistry,
    options: { audiences: readonly string[]; clock?: Clock; leewaySec?: number },
  ) {
    this.#db = db;
    this.#registry = registry;
    this.#audiences = options.audiences;
    this.#clock = options.clock ?? systemClock;
    this.#leewaySec = options.leewaySec ?? 30;
  }

  /** The agent proved by a private_key_jwt assertion; throws ERR_UNAUTHENTICATED-class errors. */
  async verifyAssertion(assertion: string): Promise<{ agent: Agent; kid: string }> {
    const header = checkCompactJws(assertion, { headerKeys: HEADER_KEYS, kidRe: CLIENT_KID_RE });
    const rows = await this.#db.query<{ agent_id: string; public_jwk: string }>(
      'SELECT agent_id, public_jwk FROM identity_client_keys WHERE kid = ? AND revoked_at IS NULL',
      [header.kid],
    );
    const row = rows[0];
    if (row === undefined)
      throw new IdentityError('ERR_UNAUTHENTICATED', 'unknown or revoked client key', { kid: header.kid });
    const key = (await importJWK(JSON.parse(row.public_jwk) as JWK, 'ES256')) as CryptoKey;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, key, {
        algorithms: ['ES256'],
        issuer: row.agent_id,
        subject: row.agent_id,
        audience: [...this.#audiences],
        clockTolerance: this.#leewaySec,
        maxTokenAge: MAX_ASSERTION_LIFETIME_SEC + this.#leewaySec,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
        currentDate: new Date(this.#clock.now()),
      }));
    } catch (e) {
      const m = mapJoseError(e);
      throw new IdentityError('ERR_UNAUTHENTICATED', `client assertion refused: ${m.message}`, {
        kid: header.kid,
      });
    }
    const { exp, iat, jti } = payload as { exp: number; iat: number; jti: unknown };
    if (exp - iat > MAX_ASSERTION_LIFETIME_SEC || typeof jti !== 'string' || jti.length > 128) {
      throw new IdentityError(
        'ERR_UNAUTHENTICATED',
        'client assertion refused: lifetime over 300 s or bad jti',
        { kid: header.kid },
      );
    }
    const fresh = await this.#db.run(
      'INSERT INTO identity_assertions (agent_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT (agent_id, jti) DO NOTHING',
      [row.agent_id, jti, (exp + this.#leewaySec) * 1000],
    );
    if (fresh.changes === 0)
      throw new IdentityError('ERR_UNAUTHENTICATED', 'client assertion replayed', { kid: header.kid });
    return { agent: await liveAgent(this.#registry, row.agent_id), kid: header.kid };
  }

  /** The agent owning an API key (client_secret_basic/post bootstrap). */
  async verifyApiKey(apiKey: string): Promise<{ agent: Agent; keyId: string }> {
    const found = await this.#registry.verifyApiKey(apiKey);
    if (found === null) throw new IdentityError('ERR_UNAUTHENTICATED', 'unknown or revoked API key');
    return { agent: await liveAgent(this.#registry, found.agentId), keyId: found.keyId };
  }
}
