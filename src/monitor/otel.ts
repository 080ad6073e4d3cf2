/**
 * Tool-call spans for OpenTelemetry, following the GenAI semantic conventions for tool execution
 * (`gen_ai.operation.name = execute_tool`, span name `execute_tool {gen_ai.tool.name}`, kind
 * INTERNAL) and the MCP conventions (`mcp.method.name`, `mcp.session.id`, `jsonrpc.request.id`).
 * No OpenTelemetry package is loaded here: the wire format lives in otlp-encode.ts, which the
 * exporter imports on its first batch (the CLI and a gateway without OTLP never pay for it).
 */
import type { MonitorEvent } from './types.ts';

export type AttrValue = string | number | boolean | readonly string[];

export interface SpanInput {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: 1 | 2 | 3;
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly attributes: Readonly<Record<string, AttrValue | undefined>>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status?: { readonly code: 0 | 1 | 2; readonly message?: string };
}

/** The OTLP/HTTP encodings (OTEL_EXPORTER_OTLP_PROTOCOL values); protobuf is the spec's default. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The request content type of each encoding. */
export function otlpContentType(p: OtlpProtocol): 'application/x-protobuf' | 'application/json' {
  return p === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';
}

/** A span for one tool call, from the monitor event the gateway built at completion. */
export function toolCallSpan(
  e: MonitorEvent & { readonly traceId: string; readonly spanId: string },
  extra: {
    readonly callId?: string;
    readonly policyIds?: readonly string[];
    readonly errorType?: string;
  } = {},
): SpanInput {
  const tool = e.tool ?? 'unknown';
  const denied = e.decision === 'deny';
  const err = (e.outcome !== undefined && e.outcome !== 'ok') || denied;
  const errorType = err ? (extra.errorType ?? (denied ? 'denied' : 'tool_error')) : undefined;
  return {
    traceId: e.traceId,
    spanId: e.spanId,
    ...(e.parentSpanId ? { parentSpanId: e.parentSpanId } : {}),
    name: `execute_tool ${tool}`,
    kind: 1,
    startTimeMs: e.time - (e.durationMs ?? 0),
    endTimeMs: e.time,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': tool,
      'gen_ai.tool.type': 'extension',
      'gen_ai.tool.call.id': extra.callId,
      'gen_ai.agent.id': e.agent,
      'gen_ai.agent.name': e.agent,
      'mcp.method.name': e.method,
      'mcp.session.id': e.session,
      'jsonrpc.request.id': extra.callId,
      'warden.server': e.server,
      'warden.task': e.task,
      'warden.decision': e.decision,
      'warden.policy_ids': extra.policyIds,
      'warden.trust': e.trust,
      'warden.audit.seq': e.seq,
      'warden.result.bytes': e.resultBytes,
      'error.type': errorType,
    },
    status: err ? { code: 2, ...(errorType === undefined ? {} : { message: errorType }) } : { code: 0 },
  };
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** Throws TypeError for ids the OTLP spec forbids (wrong length, not lowercase hex, all zero). */
export function checkSpanIds(s: SpanInput): void {
  if (!TRACE_ID.test(s.traceId) || s.traceId === ZERO_TRACE)
    throw new TypeError('span traceId must be 32 lowercase hex digits, not all zero');
  if (!SPAN_ID.test(s.spanId) || s.spanId === ZERO_SPAN)
    throw new TypeError('span spanId must be 16 lowercase hex digits, not all zero');
  if (s.parentSpanId !== undefined && (!SPAN_ID.test(s.parentSpanId) || s.parentSpanId === ZERO_SPAN))
    throw new TypeError('span parentSpanId must be 16 lowercase hex digits, not all zero');
}

/** Epoch milliseconds (fractional allowed) as an HrTime [seconds, nanoseconds], to the microsecond. */
export function hrTime(ms: number): [number, number] {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  return [seconds, (micros - seconds * 1_000_000) * 1000];
}
