import type { AccessClaims } from './claims.ts';
import { actFromChain, actorChain, agentUri } from './claims.ts';
import { inheritConstraints, subGrantProblem } from './grants.ts';
import type { Grant } from './types.ts';

export interface DelegationLimits {
  /** Maximum number of actors in a chain (DL-8); default 4. */
  readonly maxDepth: number;
  /** Hard cap on any token's lifetime, seconds. */
  readonly maxTtlSec: number;
}

export interface DelegationRequest {
  /** The agent that will act with the new token (proved by the actor token). */
  readonly actorAgentId: string;
  /** The requested, narrower grant; omitted means "the parent's grant". */
  readonly grant?: Omit<Grant, 'expiresAt'> & { readonly expiresAt?: number };
  readonly ttlSec?: number;
  readonly task?: string;
  readonly jti: string;
  /** Now, epoch seconds. */
  readonly now: number;
  /**
   * Attenuation: the current actor narrows its own token (same subject, same `act` chain, no
   * new hop). Every narrowing rule still applies; only the actor checks do not, since no
   * identity is added.
   */
  readonly attenuate?: boolean;
}

export type DelegationRefusal = {
  readonly error: 'invalid_request' | 'invalid_grant' | 'invalid_scope';
  readonly description: string;
};

export type DelegationResult = { ok: true; claims: AccessClaims } | { ok: false; refusal: DelegationRefusal };

/**
 * Derives a delegated token's claims from its parent's: pure, and the only place the
 * narrowing rules live (DL-1, DL-2, DL-3, DL-7, DL-8).
 * - the actor must not already appear in the chain (subject included): no loops;
 * - the chain may hold at most `maxDepth` actors;
 * - same issuer and single audience as the parent;
 * - `exp` at most the parent's, and at most now + the cap; the grant within the parent's.
 */
export function deriveDelegated(
  parent: AccessClaims,
  req: DelegationRequest,
  limits: DelegationLimits,
): DelegationResult {
  const refuse = (error: DelegationRefusal['error'], description: string): DelegationResult => ({
    ok: false,
    refusal: { error, description },
  });
  const actor = agentUri(req.actorAgentId);
  const chain = actorChain(parent.act);
  if (req.attenuate === true) {
    if (actor !== (chain[0] ?? parent.sub))
      return refuse('invalid_request', 'only the current actor can narrow its own token');
  } else {
    if (actor === parent.sub || chain.includes(actor))
      return refuse('invalid_request', 'the actor already appears in the delegation chain');
    if (chain.length + 1 > limits.maxDepth)
      return refuse('invalid_request', `delegation deeper than ${limits.maxDepth} is refused`);
  }
  if (parent.exp <= req.now) return refuse('invalid_grant', 'the subject token has expired');
  if (req.ttlSec !== undefined && (!Number.isInteger(req.ttlSec) || req.ttlSec <= 0))
    return refuse('invalid_request', 'ttl must be a positive integer');
  const exp = Math.min(parent.exp, req.now + Math.min(req.ttlSec ?? limits.maxTtlSec, limits.maxTtlSec));
  const requested = req.grant ?? parent.grant;
  if (requested.expiresAt !== undefined && requested.expiresAt > parent.grant.expiresAt) {
    return refuse('invalid_scope', 'the requested grant outlives its parent');
  }
  const grant: Grant = inheritConstraints(
    {
      ...requested,
      id: req.grant?.id ?? parent.grant.id,
      expiresAt: Math.min(requested.expiresAt ?? Number.POSITIVE_INFINITY, exp * 1000),
    },
    parent.grant,
  );
  const problem = subGrantProblem(grant, parent.grant);
  if (problem !== null) return refuse('invalid_scope', problem);
  const task = req.task ?? parent.task;
  const act = req.attenuate === true ? parent.act : actFromChain([actor, ...chain]);
  const claims: AccessClaims = {
    iss: parent.iss,
    aud: parent.aud,
    sub: parent.sub,
    client_id: req.attenuate === true ? parent.client_id : req.actorAgentId,
    jti: req.jti,
    iat: req.now,
    nbf: req.now,
    exp,
    grant,
    ...(task === undefined ? {} : { task }),
    ...(act === undefined ? {} : { act }),
    anc: [...(parent.anc ?? []), parent.jti],
  };
  return { ok: true, claims };
}
