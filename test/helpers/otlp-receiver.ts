/**
 * An OTLP/HTTP trace receiver for tests, on loopback: `POST /v1/traces` with
 * `application/x-protobuf` or `application/json`, as the OpenTelemetry Collector's `otlp`
 * receiver accepts them. No Collector binary can be installed on this machine (npm and Debian
 * only), so the bodies are decoded with the official OTLP protobuf schema instead of our code:
 * the protobufjs module the OpenTelemetry JS project generated from opentelemetry-proto
 * (`@opentelemetry/otlp-transformer@0.212.0`, installed as `otlp-schema-pbjs`). Protobuf bodies
 * go through `ExportTraceServiceRequest.decode`; JSON bodies through the schema's JSON mapping
 * (`fromObject`) after the one deviation the OTLP spec makes from it (trace and span ids are
 * hex, not base64) — exactly what the Collector's JSON unmarshaller does. Anything that does not
 * decode is answered 400, as a Collector would.
 *
 * Replies are scripted per request (status, headers, partial success); by default an empty
 * ExportTraceServiceResponse in the request's encoding.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

interface PbType {
  decode(b: Uint8Array): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  fromObject(o: unknown): unknown;
  toObject(m: unknown, o: Record<string, unknown>): Record<string, unknown>;
  verify(m: unknown): string | null;
}
const require = createRequire(import.meta.url);
const root = require('otlp-schema-pbjs/build/src/generated/root.js') as {
  opentelemetry: {
    proto: {
      collector: { trace: { v1: { ExportTraceServiceRequest: PbType; ExportTraceServiceResponse: PbType } } };
    };
  };
};
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = root.opentelemetry.proto.collector.trace.v1;

export type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code?: number; message?: string };
  flags?: number;
}
export interface TraceRequest {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
  }[];
}
export interface Received {
  readonly contentType: string;
  readonly headers: IncomingHttpHeaders;
  /** The decoded ExportTraceServiceRequest (ids as lower-case hex, 64-bit integers as strings). */
  readonly request: TraceRequest;
  readonly at: number;
}
export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly partialSuccess?: { readonly rejectedSpans: number; readonly errorMessage: string };
  /** Hold the reply until `release()` is called. */
  readonly hold?: boolean;
}

const HEX = /^[0-9a-fA-F]*$/;

/** Turns the OTLP/JSON hex ids into bytes so the proto3 JSON mapping can take the rest. */
function hexIdsToBytes(body: unknown): unknown {
  const spans = (body as TraceRequest).resourceSpans?.flatMap(
    (rs) => rs.scopeSpans?.flatMap((ss) => ss.spans ?? []) ?? [],
  );
  for (const s of spans ?? []) {
    const o = s as unknown as Record<string, unknown>;
    for (const k of ['traceId', 'spanId', 'parentSpanId']) {
      const v = o[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !HEX.test(v) || v.length % 2 !== 0) throw new Error(`${k} is not hex`);
      o[k] = Buffer.from(v, 'hex');
    }
  }
  return body;
}

const hex = (b: unknown): string => Buffer.from(b as Uint8Array).toString('hex');

/** The message as a plain object, ids in hex (the form tests compare). */
function plain(m: unknown): TraceRequest {
  const o = ExportTraceServiceRequest.toObject(m, {
    longs: String,
    enums: Number,
    defaults: false,
    arrays: true,
  });
  const req = o as unknown as TraceRequest;
  for (const rs of req.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        s.traceId = hex(s.traceId);
        s.spanId = hex(s.spanId);
        if (s.parentSpanId !== undefined) s.parentSpanId = hex(s.parentSpanId);
      }
    }
  }
  return req;
}

function decode(contentType: string, body: Buffer): TraceRequest {
  if (contentType === 'application/x-protobuf') {
    const m = ExportTraceServiceRequest.decode(body);
    const problem = ExportTraceServiceRequest.verify(m);
    if (problem !== null) throw new Error(problem);
    return plain(m);
  }
  const m = ExportTraceServiceRequest.fromObject(hexIdsToBytes(JSON.parse(body.toString('utf8'))));
  const problem = ExportTraceServiceRequest.verify(m);
  if (problem !== null) throw new Error(problem);
  return plain(m);
}

function respond(res: ServerResponse, contentType: string, r: Reply): void {
  const payload = r.partialSuccess === undefined ? {} : { partialSuccess: r.partialSuccess };
  const body =
    r.status >= 200 && r.status < 300
      ? contentType === 'application/x-protobuf'
        ? Buffer.from(
            ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(payload)).finish(),
          )
        : Buffer.from(JSON.stringify(payload))
      : Buffer.alloc(0);
  res.writeHead(r.status, { 'content-type': contentType, ...(r.headers ?? {}) }).end(body);
}

export async function otlpReceiver(replies: Reply[] = []) {
  const received: Received[] = [];
  const held: (() => void)[] = [];
  let attempts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      const contentType = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      if (contentType !== 'application/x-protobuf' && contentType !== 'application/json')
        return void res.writeHead(415).end();
      let request: TraceRequest;
      try {
        request = decode(contentType, Buffer.concat(chunks));
      } catch {
        return void res.writeHead(400).end();
      }
      received.push({ contentType, headers: req.headers, request, at: Date.now() });
      const reply = replies.shift() ?? { status: 200 };
      if (reply.hold === true) held.push(() => respond(res, contentType, reply));
      else respond(res, contentType, reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Requests that reached the receiver, decodable or not. */
    get attempts() {
      return attempts;
    },
    get held() {
      return held.length;
    },
    /** Answers every held request. */
    release() {
      for (const f of held.splice(0)) f();
    },
    spans: (): OtlpSpan[] =>
      received.flatMap((r) =>
        r.request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
      ),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const attr = (s: OtlpSpan, k: string): AnyValue | undefined =>
  s.attributes.find((a) => a.key === k)?.value;
