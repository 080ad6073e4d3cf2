import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';
import type { PolicyResource } from '../../policy/index.ts';
import { withGrant } from './grant.ts';

/** Cedar decides (default deny). The decision is kept on the context for the audit step. */
export function authorize(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (target === undefined) return Promise.resolve(stop(RpcCode.INTERNAL_ERROR, 'Internal error'));
  const { principal, services } = session;
  const server = services.config.servers.find((s) => s.name === target.server);
  const resource = policyResource(ctx, server?.trusted ?? false);
  let decision;
  try {
    decision = services.policy.authorize({
      principal: { id: principal.agentName, roles: principal.roles },
      action: ctx.action,
      resource,
      context: {
        args: ctx.args ?? {},
        now: services.clock.now(),
        session: session.id,
        ...(principal.taskId === undefined ? {} : { task: principal.taskId }),
        ...(principal.grant === undefined ? {} : { grant: principal.grant }),
        ...(services.monitor === undefined ? {} : { taint: services.monitor.monitor.taint(session.id) }),
      },
    });
  } catch (e) {
    services.logger.error('policy evaluation failed', { error: (e as Error).message });
    ctx.outcome = 'denied';
    ctx.errorCode = 'ERR_POLICY_ERROR';
    return Promise.resolve(
      stop(RpcCode.FORBIDDEN, 'Forbidden: the policy engine could not decide (fail closed)'),
    );
  }
  ctx.decision = withGrant(decision, ctx.grant);
  return Promise.resolve(CONTINUE);
}

function policyResource(ctx: CallContext, trusted: boolean): PolicyResource {
  const t = ctx.target!;
  switch (ctx.action) {
    case 'call_tool': {
      const ann = t.def?.annotations;
      const annotations: Record<string, boolean> = {};
      if (typeof ann === 'object' && ann !== null) {
        for (const [k, v] of Object.entries(ann)) if (typeof v === 'boolean') annotations[k] = v;
      }
      return { kind: 'tool', server: t.server, name: t.name, annotations, trustedAnnotations: trusted };
    }
    case 'read_resource':
      return { kind: 'resource', server: t.server, uri: t.name };
    case 'get_prompt':
      return { kind: 'prompt', server: t.server, name: t.name };
  }
}
