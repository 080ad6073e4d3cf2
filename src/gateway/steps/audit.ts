import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, RpcErrorReply, StepResult } from '../pipeline.ts';

/**
 * Audit before effect: the decision (allow or deny) is durably recorded before anything is
 * forwarded. If the audit log cannot record it, the call fails closed (THREATS AU-5).
 * A denial is returned to the client here, after it is recorded.
 */
export async function auditDecided(ctx: CallContext): Promise<StepResult> {
  const { session, target, decision } = ctx;
  const { principal, services } = session;
  try {
    const rec = await services.audit.append({
      kind: 'mcp.request',
      principal: principal.agentName,
      session: session.id,
      ...ctx.trace,
      method: ctx.method,
      server: target?.server,
      tool: target?.name,
      ...(ctx.toolHash === undefined ? {} : { toolHash: ctx.toolHash }),
      args: ctx.auditArgs ?? ctx.args,
      decision: decision?.effect ?? 'deny',
      policyIds: [...(decision?.policyIds ?? [])],
      reasons: [...(decision?.reasons ?? [])],
      ...(decision === undefined ? {} : { policyVersion: decision.version }),
      ...(principal.taskId === undefined ? {} : { taskId: principal.taskId }),
      ...(principal.grantId === undefined ? {} : { grantId: principal.grantId }),
      ...(principal.actors === undefined ? {} : { actors: [...principal.actors] }),
      data: {
        credential: principal.credential.id,
        subject: principal.subject?.agentName ?? principal.agentName,
        ...(decision && decision.errors.length > 0 ? { errors: decision.errors } : {}),
      },
    });
    ctx.decidedSeq = rec.seq;
  } catch (e) {
    services.logger.error('audit append failed; refusing the call', { error: (e as Error).message });
    ctx.outcome = 'error';
    ctx.errorCode = 'ERR_AUDIT_UNAVAILABLE';
    return stop(
      RpcCode.AUDIT_UNAVAILABLE,
      'Audit log unavailable: the request was not executed (fail closed)',
    );
  }
  if (decision?.effect !== 'allow') {
    ctx.outcome = 'denied';
    ctx.errorCode ??= ctx.grant?.allowed === false ? 'ERR_GRANT_DENIED' : 'ERR_POLICY_DENIED';
    const ids = decision?.policyIds ?? [];
    const reasons = decision?.reasons ?? [];
    return stop(RpcCode.FORBIDDEN, `Forbidden: ${reasons[0] ?? 'denied by policy'}`, {
      code: ctx.errorCode,
      policyIds: [...ids],
      reasons: [...reasons],
      auditSeq: ctx.decidedSeq,
    });
  }
  return CONTINUE;
}

/** Records how the request ended; not awaited by the client (the decision record already is durable). */
export function auditCompleted(ctx: CallContext, failure: RpcErrorReply | undefined): void {
  const { session } = ctx;
  const { services } = session;
  if (ctx.decidedSeq === undefined && failure !== undefined && ctx.outcome === undefined) {
    // Rejected before a decision (bad params, unknown tool): one record says so.
    ctx.outcome = 'error';
  }
  const durationMs = Math.round((services.clock.monotonic() - ctx.startedAt) * 1000) / 1000;
  const outcome = ctx.outcome ?? (failure === undefined ? 'ok' : 'error');
  services.metrics.recordCall(
    {
      time: services.clock.now(),
      agent: session.principal.agentName,
      method: ctx.method,
      ...(ctx.target === undefined ? {} : { server: ctx.target.server, tool: ctx.target.name }),
      decision: ctx.decision?.effect ?? 'deny',
      outcome,
      durationMs,
    },
    ctx.errorCode,
  );
  services.audit
    .append(
      {
        kind: ctx.decidedSeq === undefined ? 'mcp.rejected' : 'mcp.completed',
        principal: session.principal.agentName,
        session: session.id,
        ...ctx.trace,
        method: ctx.method,
        server: ctx.target?.server,
        tool: ctx.target?.name,
        outcome,
        ...(ctx.errorCode === undefined ? {} : { errorCode: ctx.errorCode }),
        durationMs,
        ...(ctx.resultBytes === undefined ? {} : { resultBytes: ctx.resultBytes }),
        data: {
          ...(ctx.decidedSeq === undefined ? {} : { decidedSeq: ctx.decidedSeq }),
          ...(failure === undefined ? {} : { rpcCode: failure.code }),
        },
      },
      { lazy: true },
    ) // joins the next decision's batch: one commit per call
    .catch((e: unknown) =>
      services.logger.error('audit append (completed) failed', { error: (e as Error).message }),
    );
}
