import { z } from 'zod';
import { TASK_RE, grantSchema } from './schema.ts';
import type { Grant } from './types.ts';

/** RFC 8693 `act`: the current actor, with the previous actors nested inside. */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/** The claims of a Warden access token (RFC 9068 profile). Times are epoch seconds. */
export interface AccessClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly client_id: string;
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly grant: Grant;
  readonly task?: string;
  readonly act?: ActClaim;
  /** Ancestor token ids, root first: revoking any of them revokes this token (DL-6). */
  readonly anc?: readonly string[];
}

export const AGENT_URN_PREFIX = 'urn:warden:agent:';
const AGENT_URN_RE = /^urn:warden:agent:agt_[A-Za-z0-9_-]{1,64}$/;
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function agentUri(agentId: string): string {
  return AGENT_URN_PREFIX + agentId;
}

export function agentIdOf(uri: string): string {
  return uri.slice(AGENT_URN_PREFIX.length);
}

const agentUrn = z.string().regex(AGENT_URN_RE);

const actSchema: z.ZodType<ActClaim> = z.lazy(() =>
  z.strictObject({ sub: agentUrn, act: actSchema.optional() }),
);

const seconds = z.number().int().nonnegative();

/** Payload schema: strict, so a claim we never mint makes the token invalid. */
export const accessClaimsSchema = z.strictObject({
  iss: z.string().min(1).max(512),
  aud: z.string().min(1).max(512),
  sub: agentUrn,
  client_id: z.string().regex(/^agt_[A-Za-z0-9_-]{1,64}$/),
  jti: z.string().regex(ID_RE),
  iat: seconds,
  nbf: seconds,
  exp: seconds,
  grant: grantSchema,
  task: z.string().regex(TASK_RE).optional(),
  act: actSchema.optional(),
  anc: z.array(z.string().regex(ID_RE)).max(16).optional(),
});

/** The actors of an `act` chain, outermost (current) first. */
export function actorChain(act: ActClaim | undefined): string[] {
  const out: string[] = [];
  for (let a = act; a !== undefined && out.length <= 32; a = a.act) out.push(a.sub);
  return out;
}

/** Builds the nested `act` claim from actors, outermost first. */
export function actFromChain(actors: readonly string[]): ActClaim | undefined {
  let act: ActClaim | undefined;
  for (let i = actors.length - 1; i >= 0; i--)
    act = act === undefined ? { sub: actors[i]! } : { sub: actors[i]!, act };
  return act;
}
