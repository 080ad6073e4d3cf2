/**
 * Tool-call spans for OpenTelemetry, following the GenAI semantic conventions for tool execution
 * (`gen_ai.operation.name = execute_tool`, span name `execute_tool {gen_ai.tool.name}`, kind
 * INTERNAL) and the MCP conventions (`mcp.method.name`, `mcp.session.id`, `jsonrpc.request.id`).
 * The OTLP wire format (protobuf or JSON ExportTraceServiceRequest) is written by the
 * OpenTelemetry project's own serializers (`@opentelemetry/otlp-transformer`); this module only
 * maps our span model onto the SDK's ReadableSpan shape they take.
 */
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
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

/** The span shape the OpenTelemetry serializers take (the SDK's ReadableSpan). */
type ReadableSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];
type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** W3C trace flags: sampled (every exported span is). */
const SAMPLED = 1;
const KINDS = { 1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT } as const;

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

function attributes(a: SpanInput['attributes']): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? [...(v as readonly string[])] : (v as string | number | boolean);
  }
  return out;
}

function readable(s: SpanInput, resource: Resource, scope: Scope): ReadableSpan {
  const start = hrTime(s.startTimeMs);
  const end = hrTime(Math.max(s.endTimeMs, s.startTimeMs));
  const durNs = (end[0] - start[0]) * 1e9 + (end[1] - start[1]);
  return {
    name: s.name,
    kind: KINDS[s.kind],
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: SAMPLED }),
    ...(s.parentSpanId === undefined
      ? {}
      : {
          parentSpanContext: {
            traceId: s.traceId,
            spanId: s.parentSpanId,
            traceFlags: SAMPLED,
            isRemote: false,
          },
        }),
    startTime: start,
    endTime: end,
    duration: [Math.floor(durNs / 1e9), durNs % 1e9],
    ended: true,
    status: {
      code: s.status?.code ?? 0,
      ...(s.status?.message === undefined ? {} : { message: s.status.message }),
    },
    attributes: attributes(s.attributes),
    links: [],
    events: [],
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Encodes batches of spans for one resource and scope; the encoder is the OpenTelemetry project's. */
export class TraceEncoder {
  readonly protocol: OtlpProtocol;
  readonly contentType: 'application/x-protobuf' | 'application/json';
  readonly #resource: Resource;
  readonly #scope: Scope;

  constructor(
    protocol: OtlpProtocol,
    resource: Readonly<Record<string, AttrValue>>,
    scope: { readonly name: string; readonly version?: string } = { name: 'warden', version: '0.1.0' },
  ) {
    this.protocol = protocol;
    this.contentType = protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';
    this.#resource = resourceFromAttributes(attributes(resource));
    this.#scope = { ...scope };
  }

  /** The ExportTraceServiceRequest body for a batch of spans. */
  encode(spans: readonly SpanInput[]): Uint8Array {
    const rs = spans.map((s) => readable(s, this.#resource, this.#scope));
    const body = this.#serializer().serializeRequest(rs);
    if (body === undefined) throw new TypeError('the OTLP serializer produced no body');
    return body;
  }

  /** The ExportTraceServiceResponse of a 2xx reply (partial success); `{}` for an empty body. */
  decodeResponse(body: Uint8Array): IExportTraceServiceResponse {
    if (body.length === 0) return {};
    return this.#serializer().deserializeResponse(body);
  }

  #serializer(): typeof ProtobufTraceSerializer {
    return this.protocol === 'http/protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer;
  }
}

/** One ExportTraceServiceRequest body (protobuf by default) for a batch of spans. */
export function encodeTraces(
  spans: readonly SpanInput[],
  resource: Readonly<Record<string, AttrValue>>,
  protocol: OtlpProtocol = 'http/protobuf',
): Uint8Array {
  return new TraceEncoder(protocol, resource).encode(spans);
}
