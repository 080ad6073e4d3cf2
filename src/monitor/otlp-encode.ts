/**
 * The OTLP wire format (protobuf or JSON ExportTraceServiceRequest), written by the OpenTelemetry
 * project's own serializers (`@opentelemetry/otlp-transformer`, the code its
 * `exporter-trace-otlp-proto`/`-http` use); this module only maps our span model onto the SDK's
 * ReadableSpan shape they take. Loaded lazily by the exporter (see otel.ts).
 */
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { hrTime, otlpContentType } from './otel.ts';
import type { AttrValue, OtlpProtocol, SpanInput } from './otel.ts';

/** The span shape the OpenTelemetry serializers take (the SDK's ReadableSpan). */
type ReadableSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];
type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];

/** W3C trace flags: sampled (every exported span is). */
const SAMPLED = 1;
const KINDS = { 1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT } as const;

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
    this.contentType = otlpContentType(protocol);
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
