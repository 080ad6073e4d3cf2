/**
 * OTLP/HTTP trace exporter (POST {endpoint}/v1/traces), protobuf by default or JSON, behaving as
 * the OTLP specification's "OTLP/HTTP Response" section asks of a client:
 * - 2xx is success; a partial success (`rejected_spans`, `error_message`) is logged and counted,
 *   never retried;
 * - 429, 502, 503 and 504 are retried with exponential backoff and jitter, honouring
 *   `Retry-After` (capped); so are network errors and timeouts;
 * - every other 4xx/5xx (400 bad data, 401/403, 413, 500, …) is not retried: the batch is dropped
 *   and counted.
 * It never blocks the caller: spans go to a bounded queue (overflow is dropped and counted) that
 * one background sender drains in batches. Header values are never logged.
 */
import { describeError } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
import { printable } from './inspect/inspect.ts';
import { checkSpanIds, otlpContentType } from './otel.ts';
import type { OtlpProtocol, SpanInput } from './otel.ts';
import type { TraceEncoder } from './otlp-encode.ts';

export interface OtlpExporterOptions {
  /** Collector base URL, e.g. http://127.0.0.1:4318 (the exporter appends /v1/traces). */
  readonly endpoint: string;
  readonly protocol?: OtlpProtocol;
  readonly serviceName?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly maxQueue?: number;
  readonly maxBatch?: number;
  readonly intervalMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  /** Jitter source in [0, 1) (tests pass a constant). */
  readonly random?: () => number;
}

export interface OtlpExporterStats {
  /** Spans the receiver accepted (a partial success's rejected spans are not counted here). */
  exported: number;
  /** Spans dropped because the queue was full. */
  dropped: number;
  /** Batches given up on (non-retryable status, or retries exhausted). */
  failedBatches: number;
  /** Spans a receiver rejected in a partial success. */
  rejectedSpans: number;
  /** Retry attempts made. */
  retries: number;
}

/** The statuses the OTLP/HTTP spec says a client SHOULD retry; all other 4xx/5xx MUST NOT be. */
const RETRYABLE = new Set([429, 502, 503, 504]);
/** Most bytes of a response body read (a partial-success message; the rest is discarded). */
const MAX_RESPONSE = 64 * 1024;

export class OtlpHttpExporter {
  readonly protocol: OtlpProtocol;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #serviceName: string;
  #encoder: Promise<TraceEncoder> | undefined;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #o: {
    maxQueue: number;
    maxBatch: number;
    intervalMs: number;
    maxAttempts: number;
    backoffMs: number;
    maxBackoffMs: number;
    timeoutMs: number;
  };
  readonly #queue: SpanInput[] = [];
  readonly stats: OtlpExporterStats = {
    exported: 0,
    dropped: 0,
    failedBatches: 0,
    rejectedSpans: 0,
    retries: 0,
  };
  #timer: NodeJS.Timeout | null = null;
  #sending: Promise<void> | null = null;

  constructor(o: OtlpExporterOptions) {
    const u = new URL(o.endpoint.replace(/\/+$/, '') + '/v1/traces');
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new TypeError('OTLP endpoint must be http(s)');
    this.protocol = o.protocol ?? 'http/protobuf';
    this.#serviceName = o.serviceName ?? 'warden';
    this.#url = u.toString();
    this.#headers = { ...(o.headers ?? {}), 'content-type': otlpContentType(this.protocol) };
    this.#log = o.logger.child({ exporter: 'otlp', host: u.host, protocol: this.protocol });
    this.#random = o.random ?? Math.random;
    this.#o = {
      maxQueue: o.maxQueue ?? 4096,
      maxBatch: o.maxBatch ?? 256,
      intervalMs: o.intervalMs ?? 1000,
      maxAttempts: o.maxAttempts ?? 5,
      backoffMs: o.backoffMs ?? 1000,
      maxBackoffMs: o.maxBackoffMs ?? 30_000,
      timeoutMs: o.timeoutMs ?? 10_000,
    };
  }

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues a span; never blocks and never waits for the network. Sent on the next tick of the
   * interval or as soon as a batch fills. A full queue drops the span (counted).
   */
  export(span: SpanInput): void {
    checkSpanIds(span);
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

  /** Sends everything queued; resolves when done (failures are counted and logged, not thrown). */
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

  /** The OpenTelemetry serializers, loaded on the first batch (never by the CLI). */
  #loadEncoder(): Promise<TraceEncoder> {
    this.#encoder ??= import('./otlp-encode.ts').then(
      (m) => new m.TraceEncoder(this.protocol, { 'service.name': this.#serviceName }),
    );
    return this.#encoder;
  }

  async #send(batch: SpanInput[]): Promise<void> {
    let body: Uint8Array;
    let encoder: TraceEncoder;
    try {
      encoder = await this.#loadEncoder();
      body = encoder.encode(batch);
    } catch (e) {
      this.stats.failedBatches++;
      this.#log.error('otlp encoding failed', { spans: batch.length, error: describeError(e) });
      return;
    }
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      const r = await this.#post(body);
      if (r.kind === 'ok') {
        this.#accepted(encoder, batch.length, r.body);
        return;
      }
      if (r.kind === 'fatal') {
        this.stats.failedBatches++;
        this.#log.warn('otlp export rejected; not retried (OTLP spec)', {
          status: r.status,
          spans: batch.length,
        });
        return;
      }
      if (attempt < this.#o.maxAttempts) {
        this.stats.retries++;
        await sleep(this.#delay(attempt, r.retryAfterMs));
      }
    }
    this.stats.failedBatches++;
    this.#log.warn('otlp export gave up after retries', {
      spans: batch.length,
      attempts: this.#o.maxAttempts,
    });
  }

  async #post(
    body: Uint8Array,
  ): Promise<
    | { kind: 'ok'; body: Uint8Array }
    | { kind: 'retry'; retryAfterMs?: number }
    | { kind: 'fatal'; status: number }
  > {
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      const text = await readBounded(res);
      if (res.ok) return { kind: 'ok', body: text };
      if (!RETRYABLE.has(res.status)) return { kind: 'fatal', status: res.status };
      this.#log.debug('otlp export throttled or unavailable', { status: res.status });
      const after = retryAfterMs(res.headers.get('retry-after'), Date.now());
      return after === undefined ? { kind: 'retry' } : { kind: 'retry', retryAfterMs: after };
    } catch (e) {
      this.#log.debug('otlp export attempt failed', { error: describeError(e) });
      return { kind: 'retry' };
    }
  }

  #accepted(encoder: TraceEncoder, n: number, body: Uint8Array): void {
    let rejected = 0;
    let message = '';
    try {
      const p = encoder.decodeResponse(body).partialSuccess;
      rejected = Math.max(0, Math.min(n, Number(p?.rejectedSpans ?? 0) || 0));
      message = typeof p?.errorMessage === 'string' ? p.errorMessage : '';
    } catch (e) {
      this.#log.debug('otlp response not decodable', { error: describeError(e) });
    }
    this.stats.exported += n - rejected;
    this.stats.rejectedSpans += rejected;
    if (rejected > 0 || message !== '') {
      this.#log.warn('otlp partial success: the receiver rejected spans', {
        rejected,
        message: printable(message.slice(0, 200)),
      });
    }
  }

  /** Exponential backoff with jitter (50–100% of the step), or the server's Retry-After, capped. */
  #delay(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(this.#o.maxBackoffMs, retryAfter);
    const step = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (attempt - 1));
    return Math.round(step * (0.5 + 0.5 * this.#random()));
  }
}

/** `Retry-After` as delay-seconds or an HTTP-date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(v: string | null, now: number): number | undefined {
  if (v === null) return undefined;
  const t = v.trim();
  if (/^\d{1,9}$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function readBounded(res: Response): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || value === undefined) break;
      size += value.length;
      if (size > MAX_RESPONSE) {
        await reader.cancel();
        return new Uint8Array();
      }
      chunks.push(value);
    }
  } catch {
    return new Uint8Array();
  }
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
