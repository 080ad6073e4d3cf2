import type { Decision, PolicyAction } from '../policy/index.ts';
import { RawJson } from './jsonrpc.ts';
import type { RpcRequest } from './jsonrpc.ts';
import type { ClientChannel, FrontSession } from './session.ts';
import { rateLimit } from './steps/rate-limit.ts';
import { resolveTarget } from './steps/resolve.ts';
import { authorize } from './steps/authorize.ts';
import { grantStep } from './steps/grant.ts';
import type { GrantDecision } from '../identity/index.ts';
import { auditCompleted, auditDecided } from './steps/audit.ts';
import { forward } from './steps/forward.ts';
import { exfil } from './steps/exfil.ts';
import { redactOutput } from './steps/redact-output.ts';
import { verifyPin } from './steps/verify-pin.ts';
import { labelResult, monitorDone, monitorPre } from './steps/monitor.ts';
import type { MonitorCall } from './steps/monitor.ts';
import { callTrace } from './monitoring.ts';
import type { CallTrace } from './monitoring.ts';
import type { ItemKind } from './supply.ts';
import type { CallSignal } from './cancel.ts';

/**
 * The decision chain for every effectful request (tools/call, resources/read, prompts/get).
 * One ordered list of steps with one shape; each step lives in its own module under steps/.
 *
 *   authenticate (HTTP edge, before a session is found) → rate limit → resolve target → grant
 *   (the token's task grant) → verify pin → exfil → authorize (Cedar: grant AND policy; session
 *   taint joins here) → monitor pre (detectors; `block` denies) → audit "decided" (durable)
 *   → forward → redact output → inspect + label the result → audit "completed" → monitor post
 *   (off the reply's path)
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
  readonly signal: CallSignal;
  readonly startedAt: number;
  target?: {
    server: string;
    name: string;
    exposed: string;
    def?: Readonly<Record<string, unknown>>;
    /** For prompts/get and resources/read: the prompt, resource or template the supply guard checks. */
    item?: { kind: ItemKind; key: string };
  };
  args?: Record<string, unknown>;
  /** The arguments as the audit log stores them (secrets redacted; set by the exfil step). */
  auditArgs?: unknown;
  /** Pin (sha256:…) of the called tool's (prompt's, resource's) definition, once verified against the store. */
  toolHash?: string;
  /** Secret findings the redaction step removed from (or withheld with) the result. */
  secretFindings?: number;
  /** Size of the serialised result (set once by runPipeline, shared by audit and monitor). */
  resultBytes?: number;
  decision?: Decision;
  /** The task grant's verdict (absent for a principal without a grant). */
  grant?: GrantDecision;
  decidedSeq?: number;
  result?: unknown;
  /**
   * Set by a built-in that returns another agent's output (`warden.delegate`): the agent it came
   * from. The result is then labelled `agent:<name>`, never trusted, and its text framed as data.
   */
  interAgent?: string;
  outcome?: 'ok' | 'error' | 'denied' | 'timeout';
  errorCode?: string;
  /** Trace and span of this call: every audit record of the call carries them (decision chain). */
  trace?: CallTrace;
  /** The monitor's state for this call (set by the monitor steps when monitoring is on). */
  monitor?: MonitorCall;
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
export const STEPS: readonly Step[] = [
  rateLimit,
  resolveTarget,
  grantStep,
  verifyPin,
  exfil,
  authorize,
  monitorPre,
  auditDecided,
  forward,
  redactOutput,
  labelResult,
];

export async function runPipeline(ctx: CallContext): Promise<{ result: unknown } | { error: RpcErrorReply }> {
  let failure: RpcErrorReply | undefined;
  ctx.trace ??= callTrace(ctx.session.id, ctx.session.principal.taskId);
  for (const step of STEPS) {
    const r = await step(ctx);
    if (r.kind === 'stop') {
      failure = r.error;
      break;
    }
  }
  // Serialised once: its size goes into the audit record, its text into the reply.
  const text = failure === undefined ? JSON.stringify(ctx.result ?? {}) : undefined;
  // The "completed" record is not awaited by the client: the decision record is what must be durable first.
  if (text !== undefined) ctx.resultBytes = text.length;
  auditCompleted(ctx, failure);
  monitorDone(ctx, failure);
  return text === undefined ? { error: failure! } : { result: new RawJson(text) };
}
