/**
 * Webhook alert sink: POSTs each alert as JSON with `X-Warden-Signature: sha256=<hex HMAC of the
 * body>`. Never blocks the caller: alerts go to a bounded queue drained by one background worker;
 * failed deliveries are retried with exponential backoff; overflow and give-ups are counted.
 */
import { createHmac } from 'node:crypto';
import { describeError } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
import type { AlertSink } from './alerts.ts';
import type { Alert } from './types.ts';

export interface WebhookSinkOptions {
  readonly url: string;
  /** HMAC key; never logged. */
  readonly secret: string | Buffer;
  readonly logger: Logger;
  readonly maxQueue?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
}

export interface WebhookStats {
  delivered: number;
  dropped: number;
  failed: number;
  retries: number;
  queued: number;
}

/** `sha256=<hex>` over the exact body bytes. */
export function signBody(body: string, secret: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  readonly #o: Required<Omit<WebhookSinkOptions, 'logger' | 'secret' | 'url'>>;
  readonly #url: string;
  readonly #secret: string | Buffer;
  readonly #log: Logger;
  readonly #queue: Alert[] = [];
  readonly #stats = { delivered: 0, dropped: 0, failed: 0, retries: 0 };
  #worker: Promise<void> | null = null;
  #closed = false;

  constructor(o: WebhookSinkOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError('webhook url must be http(s)');
    this.#url = o.url;
    this.#secret = o.secret;
    this.#log = o.logger.child({ sink: 'webhook', host: u.host });
    this.#o = {
      maxQueue: o.maxQueue ?? 1000,
      maxAttempts: o.maxAttempts ?? 5,
      backoffMs: o.backoffMs ?? 500,
      maxBackoffMs: o.maxBackoffMs ?? 30_000,
      timeoutMs: o.timeoutMs ?? 5_000,
    };
  }

  deliver(a: Alert): void {
    if (this.#closed || this.#queue.length >= this.#o.maxQueue) {
      this.#stats.dropped++;
      return;
    }
    this.#queue.push(a);
    this.#worker ??= this.#drain().finally(() => {
      this.#worker = null;
    });
  }

  stats(): WebhookStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  /** Resolves once the queue is empty (delivered or given up). */
  async idle(): Promise<void> {
    while (this.#worker) await this.#worker;
  }

  /** Stops accepting alerts and waits for the queue to drain. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const a = this.#queue.shift()!;
      await this.#send(a);
    }
  }

  async #send(a: Alert): Promise<void> {
    const body = JSON.stringify({ type: 'warden.alert', alert: a });
    const sig = signBody(body, this.#secret);
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      try {
        const res = await fetch(this.#url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-warden-signature': sig },
          body,
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.#stats.delivered++;
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) break;
      } catch (e) {
        this.#log.debug('webhook attempt failed', { attempt, error: describeError(e) });
      }
      if (attempt < this.#o.maxAttempts) {
        this.#stats.retries++;
        await sleep(Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (attempt - 1)));
      }
    }
    this.#stats.failed++;
    this.#log.warn('webhook delivery gave up', { alertId: a.id });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
