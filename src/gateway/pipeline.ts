import type { Decision, PolicyAction } from '../policy/index.ts';
import type { RpcRequest } from './jsonrpc.ts';
import type { ClientChannel, FrontSession } from './session.ts';
import { resolveTarget } from './steps/resolve.ts';
import { authorize } from './steps/authorize.ts';
import { grantStep } from './steps/grant.ts';
import type { GrantDecision } from '../identity/index.ts';
import { auditCompleted, auditDecided } from './steps/audit.ts';
import { forward } from './steps/forward.ts';

/**
 * The decision chain for every effectful request (tools/call, resources/read, prompts/get).
 * One ordered list of steps with one shape; each step lives in its own module under steps/.
 *
 *   authenticate (HTTP edge, before a session is found) → resolve target → grant (the
 *   token's task grant) → authorize (Cedar; grant AND policy) → audit "decided" (durable)
 *   → forward → audit "completed"
 *
 * A step either lets the request continue or ends it with a JSON-RPC error. Every path that
 * reaches an upstream has passed every step before it; nothing is forwarded without a durable
 * "decided" record (audit before effect), and any step that cannot decide denies (fail closed).
 */
export interface CallContext {
  readonly session: FrontSession;
  readonly request: RpcRequest;
  readonly method: 'tools/call' | 'resources/read' | 'prompts/get';
  readonly action: PolicyAction;
  /** The related-message channel for this request (progress, server requests). */
  readonly channel: ClientChannel | undefined;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  target?: { server: string; name: string; exposed: string; def?: Readonly<Record<string, unknown>> };
  args?: Record<string, unknown>;
  decision?: Decision;
  /** The task grant's verdict (absent for a principal without a grant). */
  grant?: GrantDecision;
  decidedSeq?: number;
  result?: unknown;
  outcome?: 'ok' | 'error' | 'denied' | 'timeout';
  errorCode?: string;
}

export interface RpcErrorReply {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export type StepResult =
  { readonly kind: 'continue' } | { readonly kind: 'stop'; readonly error: RpcErrorReply };
export type Step = (ctx: CallContext) => Promise<StepResult>;

export const CONTINUE: StepResult = Object.freeze({ kind: 'continue' });
export function stop(code: number, message: string, data?: unknown): StepResult {
  return { kind: 'stop', error: data === undefined ? { code, message } : { code, message, data } };
}

/** The steps, in order. */
export const STEPS: readonly Step[] = [resolveTarget, grantStep, authorize, auditDecided, forward];

export async function runPipeline(ctx: CallContext): Promise<{ result: unknown } | { error: RpcErrorReply }> {
  let failure: RpcErrorReply | undefined;
  for (const step of STEPS) {
    const r = await step(ctx);
    if (r.kind === 'stop') {
      failure = r.error;
      break;
    }
  }
  // The "completed" record is not awaited by the client: the decision record is what must be durable first.
  auditCompleted(ctx, failure);
  return failure === undefined ? { result: ctx.result } : { error: failure };
}
