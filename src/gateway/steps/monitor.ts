import { describeError } from '../../core/index.ts';
import {
  applyTrustLabel,
  inspectContent,
  labelContent,
  resultText,
  toolCallSpan,
} from '../../monitor/index.ts';
import type {
  Alert,
  ContentFindings,
  GrantRefusal,
  InjectionFinding,
  MonitorEvent,
  Trust,
  Verdict,
} from '../../monitor/index.ts';
import type { GatewayMonitor } from '../monitoring.ts';
import { interAgentLabel } from '../builtin-delegate.ts';
import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, RpcErrorReply, StepResult } from '../pipeline.ts';

/** What the monitor steps keep on the call context between `pre` and `post`. */
export interface MonitorCall {
  readonly event: MonitorEvent;
  /** Alerts `pre` raised, delivered once the "decided" record gives them their evidence. */
  pending: readonly Alert[];
  trust?: Trust;
  injection?: Verdict;
  injectionRules?: readonly string[];
  /** `post` already ran on the request path (output-anomaly in block mode). */
  posted?: boolean;
  /** The task grant refused the call: an out-of-scope alert follows, off the reply's path. */
  grantRefusal?: GrantRefusal;
}

/**
 * Before the "decided" record: the monitor's pre-call detectors, in memory. A detector in
 * `block` mode turns an allowed call into a denial whose reason is the detector's message (the
 * decided record says `monitor:<detector>`). Runs only on calls the policy allowed.
 */
export function monitorPre(ctx: CallContext): Promise<StepResult> {
  const gm = ctx.session.services.monitor;
  if (gm === undefined || ctx.target === undefined) return Promise.resolve(CONTINUE);
  const event = callEvent(ctx);
  const call: MonitorCall = { event, pending: [] };
  ctx.monitor = call;
  const refusal = scopeRefusal(ctx, event.time);
  if (refusal !== undefined) call.grantRefusal = refusal;
  if (ctx.decision?.effect !== 'allow') return Promise.resolve(CONTINUE);
  let d;
  try {
    d = gm.monitor.pre(event, { defer: true });
  } catch (e) {
    ctx.session.services.logger.error('monitor pre failed', { error: describeError(e) });
    // Fail closed only where the operator asked the monitor to block.
    if (Object.values(gm.config.detectors).some((x) => x.mode === 'block')) {
      return Promise.resolve(
        deny(ctx, 'monitor:error', 'the monitor could not check the call (fail closed)'),
      );
    }
    return Promise.resolve(CONTINUE);
  }
  call.pending = d.alerts;
  if (d.block !== undefined) deny(ctx, `monitor:${d.block.detector}`, d.block.message);
  return Promise.resolve(CONTINUE);
}

/**
 * The grant's refusal of this call when it is about scope (a tool, resource, path, host or
 * value outside the grant); an expired grant is a stale credential, not probing, and is left out.
 */
function scopeRefusal(ctx: CallContext, now: number): GrantRefusal | undefined {
  const g = ctx.grant;
  const granted = ctx.session.principal.grant;
  if (g === undefined || g.allowed || granted === undefined || now >= granted.expiresAt) return undefined;
  return { grantId: g.grantId, reason: g.reason, ...(g.param === undefined ? {} : { param: g.param }) };
}

/** Turns the decision into a monitor denial; the audit step records and returns it. */
function deny(ctx: CallContext, policyId: string, reason: string): StepResult {
  ctx.decision = {
    effect: 'deny',
    policyIds: [policyId],
    reasons: [reason],
    errors: [],
    version: ctx.decision?.version ?? '',
  };
  ctx.errorCode = 'ERR_MONITOR_BLOCKED';
  return CONTINUE;
}

/**
 * After forwarding: the result is inspected for prompt injection and labelled with its origin
 * and trust (`_meta['warden/trust']`, overwriting whatever the upstream put there); untrusted
 * content taints the session at once, so the next call's policy sees it. With output-anomaly in
 * `block` mode the result detectors run here and can withhold the result.
 */
export function labelResult(ctx: CallContext): Promise<StepResult> {
  const gm = ctx.session.services.monitor;
  const call = ctx.monitor;
  if (gm === undefined || call === undefined || ctx.target === undefined) return Promise.resolve(CONTINUE);
  const result = ctx.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result))
    return Promise.resolve(CONTINUE);
  const { session } = ctx;
  const max = gm.config.inspectMaxChars;
  const r = inspectContent(resultText(result, max), { maxChars: max });
  const rules = ruleIds(r.findings);
  // Another agent's output (warden.delegate) keeps its origin, is never trusted and always framed.
  const label =
    ctx.interAgent === undefined
      ? labelContent({
          server: ctx.target.server,
          tool: ctx.target.name,
          trustedServers: gm.config.trustedServers,
          injectionVerdict: r.verdict,
        })
      : interAgentLabel(ctx.interAgent, r.verdict);
  const frameText = gm.config.frameText || ctx.interAgent !== undefined;
  ctx.result = applyTrustLabel(
    result as Record<string, unknown>,
    label,
    rules.length > 0 ? { frameText, findings: rules } : { frameText },
  );
  call.trust = label.trust;
  call.injection = r.verdict;
  call.injectionRules = rules;
  if (label.trust !== 'trusted') {
    gm.monitor.markUntrusted(
      session.id,
      session.principal.agentName,
      label.origin,
      ctx.decidedSeq,
      label.trust === 'suspicious',
    );
  }
  if (gm.config.detectors['output-anomaly'].mode !== 'block') return Promise.resolve(CONTINUE);
  call.posted = true;
  const d = gm.monitor.post(postEvent(ctx, call, undefined));
  if (d.block === undefined) return Promise.resolve(CONTINUE);
  ctx.result = undefined;
  ctx.outcome = 'denied';
  ctx.errorCode = 'ERR_MONITOR_BLOCKED';
  return Promise.resolve(
    stop(RpcCode.FORBIDDEN, `Forbidden: ${d.block.message}`, {
      code: 'ERR_MONITOR_BLOCKED',
      detector: d.block.detector,
      alertId: d.block.id,
      auditSeq: ctx.decidedSeq,
    }),
  );
}

const NO_RULES: readonly string[] = Object.freeze([]);

/** The distinct rule ids of the findings, in order of first appearance. */
function ruleIds(findings: readonly InjectionFinding[]): readonly string[] {
  if (findings.length === 0) return NO_RULES;
  return [...new Set(findings.map((f) => f.ruleId))];
}

/**
 * When the call has ended (after the "completed" record is queued): delivers the alerts of
 * `pre` with the decided record as evidence, then, off the reply's path, the out-of-scope alert
 * of a grant refusal, `post` (baseline update, result detectors) and the OTLP span.
 */
export function monitorDone(ctx: CallContext, failure: RpcErrorReply | undefined): void {
  const gm = ctx.session.services.monitor;
  const call = ctx.monitor;
  if (gm === undefined || call === undefined) return;
  if (call.pending.length > 0) gm.monitor.deliver(call.pending, ctx.decidedSeq);
  deferred.push({ gm, ctx, call, done: postEvent(ctx, call, failure), trace: ctx.trace });
  if (deferred.length === 1) setImmediate(runDeferred);
}

/** The off-path work of ended calls, in call order; one macrotask runs every call queued before it. */
interface Deferred {
  readonly gm: GatewayMonitor;
  readonly ctx: CallContext;
  readonly call: MonitorCall;
  readonly done: MonitorEvent;
  readonly trace: CallContext['trace'];
}

let deferred: Deferred[] = [];

function runDeferred(): void {
  const batch = deferred;
  deferred = [];
  for (const d of batch) afterCall(d);
}

function afterCall({ gm, ctx, call, done, trace }: Deferred): void {
  if (gm.closed) return;
  try {
    if (call.grantRefusal !== undefined && ctx.decidedSeq !== undefined)
      gm.monitor.grantRefused(done, call.grantRefusal);
    if (call.posted !== true) gm.monitor.post(done);
    if (gm.exporter !== undefined && trace !== undefined) {
      gm.exporter.export(
        toolCallSpan(
          { ...done, traceId: trace.traceId, spanId: trace.spanId, parentSpanId: trace.parentSpanId },
          {
            callId: String(ctx.request.id),
            policyIds: ctx.decision?.policyIds ?? [],
            ...(ctx.errorCode === undefined ? {} : { errorType: ctx.errorCode }),
          },
        ),
      );
    }
  } catch (e) {
    ctx.session.services.logger.error('monitor post failed', { error: describeError(e) });
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Annotations = NonNullable<MonitorEvent['annotations']>;

const HINTS = ['readOnlyHint', 'destructiveHint', 'openWorldHint'] as const;
const NO_ANNOTATIONS: Annotations = Object.freeze({});

/**
 * The call as the pre detectors see it. Built field by field (no conditional spreads): an
 * optional field is present exactly when it has a value, as before.
 */
function callEvent(ctx: CallContext): MonitorEvent {
  const { session, target, trace } = ctx;
  const { principal, services } = session;
  const e: Mutable<MonitorEvent> = {
    time: services.clock.now(),
    agent: principal.agentName,
    session: session.id,
    method: ctx.method,
    args: ctx.args ?? {},
    annotations: annotationsOf(target?.def?.annotations),
  };
  if (principal.taskId !== undefined) e.task = principal.taskId;
  if (trace !== undefined) {
    e.traceId = trace.traceId;
    e.spanId = trace.spanId;
    e.parentSpanId = trace.parentSpanId;
  }
  if (target !== undefined) {
    e.server = target.server;
    e.tool = target.name;
  }
  return e;
}

/** The boolean hints of a tool's annotations (a shared empty object when it declares none). */
function annotationsOf(ann: unknown): Annotations {
  if (typeof ann !== 'object' || ann === null) return NO_ANNOTATIONS;
  const a = ann as Record<string, unknown>;
  const out: Mutable<Annotations> = {};
  for (const k of HINTS) if (typeof a[k] === 'boolean') out[k] = a[k];
  return out;
}

/** The ended call: the pre event's fields plus what the call produced. */
function postEvent(ctx: CallContext, call: MonitorCall, failure: RpcErrorReply | undefined): MonitorEvent {
  const services = ctx.session.services;
  const pre = call.event;
  const e: Mutable<MonitorEvent> = {
    time: services.clock.now(),
    agent: pre.agent,
    method: pre.method,
    decision: ctx.decision?.effect ?? 'deny',
    outcome: ctx.outcome ?? (failure === undefined ? 'ok' : 'error'),
    durationMs: Math.round((services.clock.monotonic() - ctx.startedAt) * 1000) / 1000,
  };
  copyOptional(pre, e);
  if (ctx.decidedSeq !== undefined) e.seq = ctx.decidedSeq;
  if (ctx.resultBytes !== undefined) e.resultBytes = ctx.resultBytes;
  const secrets = ctx.secretFindings;
  if (secrets !== undefined || call.injection !== undefined) {
    const findings: Mutable<ContentFindings> = {};
    if (secrets !== undefined) findings.secrets = secrets;
    if (call.injection !== undefined) {
      findings.injection = call.injection;
      findings.injectionRules = call.injectionRules ?? [];
    }
    e.findings = findings;
  }
  if (call.trust !== undefined) e.trust = call.trust;
  return e;
}

/** Copies the optional fields `callEvent` may set, each only when present. */
function copyOptional(from: MonitorEvent, to: Mutable<MonitorEvent>): void {
  if (from.session !== undefined) to.session = from.session;
  if (from.task !== undefined) to.task = from.task;
  if (from.traceId !== undefined) to.traceId = from.traceId;
  if (from.spanId !== undefined) to.spanId = from.spanId;
  if (from.parentSpanId !== undefined) to.parentSpanId = from.parentSpanId;
  if (from.server !== undefined) to.server = from.server;
  if (from.tool !== undefined) to.tool = from.tool;
  if (from.args !== undefined) to.args = from.args;
  if (from.annotations !== undefined) to.annotations = from.annotations;
}
