import { SignJWT, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { Clock } from '../core/index.ts';
import { newId, systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { liveAgent } from './authenticator.ts';
import type { AccessClaims } from './claims.ts';
import { accessClaimsSchema, actorChain, agentIdOf, agentUri } from './claims.ts';
import { deriveDelegated } from './delegation.ts';
import { IdentityError } from './errors.ts';
import { parseGrant } from './grants.ts';
import { parseTask } from './schema.ts';
import { checkCompactJws, invalid, mapJoseError } from './jwt-checks.ts';
import { Revocations } from './revocations.ts';
import type { RevokeTarget } from './revocations.ts';
import type { SigningKeys } from './signing-keys.ts';
import type { Agent, Grant, Principal } from './types.ts';

export interface TokenServiceOptions {
  /** The authorization server's issuer URI (the gateway's base URL). */
  readonly issuer: string;
  /** The one audience: the gateway's resource URI (e.g. http://127.0.0.1:7420/mcp). */
  readonly audience: string;
  readonly defaultTtlSec?: number;
  /** Hard cap on any token's lifetime (default 900 s, at most 3600 s). */
  readonly maxTtlSec?: number;
  /** Clock leeway for exp/nbf/iat (default 30 s, at most 60 s: DL-11). */
  readonly leewaySec?: number;
  /** Maximum actors in a delegation chain (default 4, at most 8: DL-8). */
  readonly maxDepth?: number;
  readonly clock?: Clock;
}

export interface IssuedToken {
  readonly token: string;
  readonly claims: AccessClaims;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface VerifiedToken {
  readonly claims: AccessClaims;
  readonly principal: Principal;
}

const TOKEN_HEADER_KEYS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);
export const KID_RE = /^k[A-Za-z0-9_-]{22}$/;
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Issues, verifies, delegates and revokes access tokens (ES256 JWT, RFC 9068 profile).
 * `verifyAccessToken` is the hot path: one signature check plus in-memory lookups.
 */
export class TokenService {
  readonly issuer: string;
  readonly audience: string;
  readonly defaultTtlSec: number;
  readonly maxTtlSec: number;
  readonly leewaySec: number;
  readonly maxDepth: number;
  readonly revocations: Revocations;
  readonly #db: SqlClient;
  readonly #registry: AgentRegistry;
  readonly #keys: SigningKeys;
  readonly #clock: Clock;
  readonly #verified = new Map<string, { kid: string; claims: AccessClaims }>();

  constructor(db: SqlClient, registry: AgentRegistry, keys: SigningKeys, options: TokenServiceOptions) {
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.defaultTtlSec = options.defaultTtlSec ?? 300;
    this.maxTtlSec = options.maxTtlSec ?? 900;
    this.leewaySec = options.leewaySec ?? 30;
    this.maxDepth = options.maxDepth ?? 4;
    if (this.maxTtlSec < 1 || this.maxTtlSec > 3600) throw new RangeError('maxTtlSec must be within 1..3600');
    if (this.defaultTtlSec < 1 || this.defaultTtlSec > this.maxTtlSec)
      throw new RangeError('defaultTtlSec must be within 1..maxTtlSec');
    if (this.leewaySec < 0 || this.leewaySec > 60)
      throw new RangeError('leewaySec must be within 0..60 (DL-11)');
    if (this.maxDepth < 0 || this.maxDepth > 8) throw new RangeError('maxDepth must be within 0..8');
    this.#db = db;
    this.#registry = registry;
    this.#keys = keys;
    this.#clock = options.clock ?? systemClock;
    this.revocations = new Revocations(
      db,
      registry.state,
      this.#clock,
      (this.maxTtlSec + this.leewaySec) * 1000,
    );
  }

  /** Mints a root token for an enabled agent (client credentials, `warden token issue`). */
  async issue(input: {
    agentId: string;
    grant: Grant;
    task?: string;
    ttlSec?: number;
  }): Promise<IssuedToken> {
    const agent = await this.#live(input.agentId);
    await this.#taskOpen(input.task);
    const now = this.#nowSec();
    const ttl = this.#ttl(input.ttlSec);
    const grant = parseGrant(input.grant);
    const exp = Math.min(now + ttl, Math.floor(grant.expiresAt / 1000));
    if (exp <= now) throw new IdentityError('ERR_GRANT_INVALID', 'the grant has already expired');
    const claims: AccessClaims = {
      iss: this.issuer,
      aud: this.audience,
      sub: agentUri(agent.id),
      client_id: agent.id,
      jti: newId('t'),
      iat: now,
      nbf: now,
      exp,
      grant: { ...grant, expiresAt: Math.min(grant.expiresAt, exp * 1000) },
      ...(input.task === undefined ? {} : { task: input.task }),
    };
    return this.#mint(claims);
  }

  /**
   * RFC 8693 delegation: a token for `actorAgentId` derived from a verified subject token,
   * only ever narrower (see `deriveDelegated`). Refusals throw `ERR_DELEGATION_REFUSED` with
   * `details.oauthError`; a bad subject token throws its `ERR_TOKEN_*` code.
   */
  async exchange(input: {
    subjectToken: string;
    actorAgentId: string;
    grant?: Omit<Grant, 'expiresAt'> & { expiresAt?: number };
    task?: string;
    ttlSec?: number;
    /** Narrow the actor's own token (no new hop); `actorAgentId` must be its current actor. */
    attenuate?: boolean;
  }): Promise<IssuedToken> {
    const parent = (await this.verify(input.subjectToken)).claims;
    await this.#live(input.actorAgentId);
    await this.#taskOpen(input.task);
    const grant =
      input.grant === undefined
        ? undefined
        : parseGrant({ expiresAt: parent.grant.expiresAt, ...input.grant });
    const r = deriveDelegated(
      parent,
      {
        actorAgentId: input.actorAgentId,
        ...(grant ? { grant } : {}),
        ...(input.task ? { task: input.task } : {}),
        ...(input.ttlSec ? { ttlSec: input.ttlSec } : {}),
        jti: newId('t'),
        now: this.#nowSec(),
        ...(input.attenuate === true ? { attenuate: true } : {}),
      },
      { maxDepth: this.maxDepth, maxTtlSec: this.maxTtlSec },
    );
    if (!r.ok) {
      throw new IdentityError('ERR_DELEGATION_REFUSED', r.refusal.description, {
        oauthError: r.refusal.error,
        parentJti: parent.jti,
      });
    }
    return this.#mint(r.claims);
  }

  /** Verifies a bearer token and resolves its principal (throws 401-class IdentityErrors). */
  async verifyAccessToken(token: string): Promise<Principal> {
    return (await this.verify(token)).principal;
  }

  async verify(token: string): Promise<VerifiedToken> {
    let entry = this.#verified.get(token);
    if (entry === undefined || (await this.#keys.verifier(entry.kid)) === null) {
      entry = await this.#verifySignature(token);
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.clear();
      this.#verified.set(token, entry);
    }
    const claims = entry.claims;
    this.#checkTimes(claims);
    const reason = Revocations.reason(await this.revocations.snapshot(), claims);
    if (reason !== null) throw new IdentityError('ERR_TOKEN_REVOKED', reason, { jti: claims.jti });
    return { claims, principal: await this.#principal(claims) };
  }

  /**
   * The signature and profile checks, done once per distinct token string: identical bytes
   * verify identically, so later presentations only repeat the time, key-liveness,
   * revocation and agent checks (which depend on now and on the store).
   */
  async #verifySignature(token: string): Promise<{ kid: string; claims: AccessClaims }> {
    const header = checkCompactJws(token, { headerKeys: TOKEN_HEADER_KEYS, kidRe: KID_RE });
    if (header.typ !== 'at+jwt' && header.typ !== 'application/at+jwt') throw invalid('typ must be at+jwt');
    const key = await this.#keys.verifier(header.kid);
    if (key === null) throw invalid('unknown signing key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        issuer: this.issuer,
        audience: this.audience,
        typ: 'at+jwt',
        clockTolerance: this.leewaySec,
        maxTokenAge: this.maxTtlSec + this.leewaySec,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'],
        currentDate: new Date(this.#clock.now()),
      }));
    } catch (e) {
      throw mapJoseError(e);
    }
    return { kid: header.kid, claims: this.#checkClaims(payload) };
  }

  /** Revokes by token id (and its descendants), by agent, or by task. */
  revoke(target: RevokeTarget): Promise<number> {
    return this.revocations.revoke(target);
  }

  #checkClaims(payload: JWTPayload): AccessClaims {
    const parsed = accessClaimsSchema.safeParse(payload);
    if (!parsed.success)
      throw invalid(`claims do not match the profile (${parsed.error.issues[0]?.path.join('.') ?? ''})`);
    const c = parsed.data as AccessClaims;
    if (c.exp - c.iat > this.maxTtlSec) throw invalid('lifetime beyond the cap');
    if (c.exp < c.nbf) throw invalid('expires before it is valid');
    if (actorChain(c.act).length > this.maxDepth) throw invalid('delegation chain too deep');
    const claims = { ...c, grant: parseGrant(c.grant) };
    this.#checkTimes(claims);
    return claims;
  }

  /** Time checks, repeated on every presentation (leeway ≤ 60 s, DL-11). */
  #checkTimes(c: AccessClaims): void {
    const now = this.#nowSec();
    if (c.exp <= now - this.leewaySec) throw new IdentityError('ERR_TOKEN_EXPIRED', 'the token has expired');
    if (c.iat > now + this.leewaySec || c.nbf > now + this.leewaySec) throw invalid('issued in the future');
    if (c.grant.expiresAt <= this.#clock.now() - this.leewaySec * 1000) {
      throw new IdentityError('ERR_TOKEN_EXPIRED', 'the grant has expired');
    }
  }

  async #principal(c: AccessClaims): Promise<Principal> {
    const subject = await liveAgent(this.#registry, agentIdOf(c.sub));
    const actors: Agent[] = [];
    for (const uri of actorChain(c.act)) actors.push(await liveAgent(this.#registry, agentIdOf(uri)));
    const acting = actors[0] ?? subject;
    return Object.freeze({
      agentId: acting.id,
      agentName: acting.name,
      roles: acting.roles,
      credential: Object.freeze({ kind: 'access-token' as const, id: c.jti }),
      grant: c.grant,
      grantId: c.grant.id,
      ...(c.task === undefined ? {} : { taskId: c.task }),
      ...(actors.length === 0
        ? {}
        : {
            actors: Object.freeze(actors.map((a) => a.name)),
            subject: Object.freeze({ agentId: subject.id, agentName: subject.name }),
          }),
      expiresAt: c.exp * 1000,
    });
  }

  async #mint(claims: AccessClaims): Promise<IssuedToken> {
    const { kid, key } = await this.#keys.signer();
    const actorId = agentIdOf(actorChain(claims.act)[0] ?? claims.sub);
    const parent = claims.anc?.[claims.anc.length - 1] ?? null;
    await this.#db.run(
      'INSERT INTO identity_tokens (jti, agent_id, actor_id, parent_jti, task, grant_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        claims.jti,
        agentIdOf(claims.sub),
        actorId,
        parent,
        claims.task ?? null,
        claims.grant.id,
        claims.iat * 1000,
        claims.exp * 1000,
      ],
    );
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(key);
    return { token, claims, expiresAt: claims.exp * 1000 };
  }

  async #live(agentId: string): Promise<Agent> {
    return liveAgent(this.#registry, agentId);
  }

  /** Validates a task label. A revoked task kills tokens issued up to then, not later re-runs. */
  #taskOpen(task: string | undefined): Promise<void> {
    if (task !== undefined) parseTask(task);
    return Promise.resolve();
  }

  #ttl(ttlSec: number | undefined): number {
    const t = ttlSec ?? this.defaultTtlSec;
    if (!Number.isInteger(t) || t < 1)
      throw new IdentityError('ERR_GRANT_INVALID', 'ttl must be a positive number of seconds');
    if (t > this.maxTtlSec)
      throw new IdentityError('ERR_GRANT_INVALID', `ttl above the ${this.maxTtlSec} s cap`);
    return t;
  }

  #nowSec(): number {
    return Math.floor(this.#clock.now() / 1000);
  }
}
