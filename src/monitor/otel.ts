/**
 * OpenTelemetry traces over OTLP/HTTP with the JSON encoding (POST {endpoint}/v1/traces),
 * following the GenAI semantic conventions for tool execution (`gen_ai.operation.name =
 * execute_tool`). A small exporter of our own: bounded queue, batching, retry with backoff on
 * 429/5xx/network errors, never blocking the caller. Header values are never logged.
 */
import { describeError } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
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
  const err = (e.outcome !== undefined && e.outcome !== 'ok') || e.decision === 'deny';
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
      'mcp.method.name': e.method,
      'mcp.session.id': e.session,
      'warden.server': e.server,
      'warden.task': e.task,
      'warden.decision': e.decision,
      'warden.policy_ids': extra.policyIds,
      'warden.trust': e.trust,
      'warden.audit.seq': e.seq,
      'warden.result.bytes': e.resultBytes,
      'error.type': err ? (extra.errorType ?? (e.decision === 'deny' ? 'denied' : 'tool_error')) : undefined,
    },
    status: { code: err ? 2 : 0 },
  };
}

type OtlpValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: OtlpValue[] } };

function otlpValue(v: AttrValue): OtlpValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
}

function otlpAttrs(a: Readonly<Record<string, AttrValue | undefined>>): { key: string; value: OtlpValue }[] {
  const out: { key: string; value: OtlpValue }[] = [];
  for (const [key, v] of Object.entries(a)) if (v !== undefined) out.push({ key, value: otlpValue(v) });
  return out;
}

const nanos = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** The OTLP/JSON ExportTraceServiceRequest body for a batch of spans. */
export function encodeTraces(
  spans: readonly SpanInput[],
  resource: Readonly<Record<string, AttrValue>>,
  scope = { name: 'warden', version: '0.1.0' },
): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: otlpAttrs(resource) },
        scopeSpans: [
          {
            scope,
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startTimeMs),
              endTimeUnixNano: nanos(s.endTimeMs),
              attributes: otlpAttrs(s.attributes),
              status: s.status ?? { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}

export interface OtlpExporterOptions {
  /** Collector base URL, e.g. http://127.0.0.1:4318 (the exporter appends /v1/traces). */
  readonly endpoint: string;
  readonly serviceName?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly maxQueue?: number;
  readonly maxBatch?: number;
  readonly intervalMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
}

export class OtlpHttpExporter {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #resource: Record<string, AttrValue>;
  readonly #log: Logger;
  readonly #o: {
    maxQueue: number;
    maxBatch: number;
    intervalMs: number;
    maxAttempts: number;
    backoffMs: number;
  };
  readonly #queue: SpanInput[] = [];
  readonly stats = { exported: 0, dropped: 0, failedBatches: 0 };
  #timer: NodeJS.Timeout | null = null;
  #sending: Promise<void> | null = null;

  constructor(o: OtlpExporterOptions) {
    const u = new URL(o.endpoint.replace(/\/+$/, '') + '/v1/traces');
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new TypeError('OTLP endpoint must be http(s)');
    this.#url = u.toString();
    this.#headers = { 'content-type': 'application/json', ...(o.headers ?? {}) };
    this.#resource = { 'service.name': o.serviceName ?? 'warden' };
    this.#log = o.logger.child({ exporter: 'otlp', host: u.host });
    this.#o = {
      maxQueue: o.maxQueue ?? 4096,
      maxBatch: o.maxBatch ?? 256,
      intervalMs: o.intervalMs ?? 1000,
      maxAttempts: o.maxAttempts ?? 3,
      backoffMs: o.backoffMs ?? 200,
    };
  }

  /** Queues a span; never blocks. Exported on the next tick of the interval or when a batch fills. */
  export(span: SpanInput): void {
    if (this.#queue.length >= this.#o.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#o.maxBatch) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.flush();
      }, this.#o.intervalMs);
      this.#timer.unref();
    }
  }

  /** Sends everything queued; resolves when done (failures are counted, not thrown). */
  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#o.maxBatch);
      this.#sending = this.#send(batch).finally(() => {
        this.#sending = null;
      });
      await this.#sending;
    }
  }

  async shutdown(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  async #send(batch: SpanInput[]): Promise<void> {
    const body = encodeTraces(batch, this.#resource);
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      try {
        const res = await fetch(this.#url, {
          method: 'POST',
          headers: this.#headers,
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.exported += batch.length;
          return;
        }
        if (res.status !== 429 && res.status < 500) break;
      } catch (e) {
        this.#log.debug('otlp export attempt failed', { attempt, error: describeError(e) });
      }
      if (attempt < this.#o.maxAttempts)
        await new Promise((r) => setTimeout(r, this.#o.backoffMs * 2 ** (attempt - 1)));
    }
    this.stats.failedBatches++;
    this.#log.warn('otlp export gave up', { spans: batch.length });
  }
}
