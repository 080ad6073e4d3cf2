import { grantDecision, toolAllowed } from '../../identity/index.ts';
import type { Grant, GrantDecision, Principal } from '../../identity/index.ts';
import type { Decision, PolicyResource } from '../../policy/index.ts';
import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';

/**
 * The task grant half of "grant AND policy" (issue 4). A principal with a grant (every access
 * token) may call a tool only if the grant names it and its arguments meet the grant's
 * constraints; prompts and resources of a server only if the grant covers the whole server
 * (`server: ['*']`), since a grant lists tools. A principal without a grant (an API key in
 * `api_keys: direct` mode) is left to policy alone. The verdict is kept on the context: the
 * authorize step still runs Cedar (the grant is in its context) and the two are combined there,
 * so the "decided" audit record names both.
 */
export function grantStep(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (target === undefined) return Promise.resolve(stop(RpcCode.INTERNAL_ERROR, 'Internal error'));
  const principal = session.principal;
  if (principal.grant === undefined) return Promise.resolve(CONTINUE);
  const now = session.services.clock.now();
  ctx.grant =
    ctx.method === 'tools/call'
      ? grantDecision(principal, target.server, target.name, ctx.args ?? {}, now)
      : coversServer(principal.grant, target.server, now)
        ? { allowed: true, grantId: principal.grant.id }
        : {
            allowed: false,
            grantId: principal.grant.id,
            reason: `the grant does not cover the ${ctx.method === 'prompts/get' ? 'prompts' : 'resources'} of ${target.server}`,
          };
  return Promise.resolve(CONTINUE);
}

/** Cedar's decision combined with the grant's: a grant denial wins and names the grant. */
export function withGrant(decision: Decision, grant: GrantDecision | undefined): Decision {
  if (grant === undefined || grant.allowed || decision.effect === 'deny') return decision;
  return {
    effect: 'deny',
    policyIds: [`grant:${grant.grantId}`],
    reasons: [grant.reason],
    errors: [],
    version: decision.version,
  };
}

/** Whether a listing may show this item to the principal as far as its grant goes. */
export function grantVisible(principal: Principal, resource: PolicyResource, now: number): boolean {
  const g = principal.grant;
  if (g === undefined) return true;
  switch (resource.kind) {
    case 'tool':
      return toolAllowed(g, resource.server, resource.name, now);
    case 'prompt':
    case 'resource':
      return coversServer(g, resource.server, now);
  }
}

/** A grant covers a server's prompts and resources only when it grants the whole server. */
export function coversServer(g: Grant, server: string, now: number): boolean {
  return now < g.expiresAt && Object.hasOwn(g.tools, server) && (g.tools[server] ?? []).includes('*');
}
