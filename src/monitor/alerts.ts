/**
 * Alert fan-out with de-duplication: the same dedupKey within the window is counted on the
 * first alert and not delivered again. Sinks must not block (they queue internally).
 */
import { describeError } from '../core/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { Alert, Detection } from './types.ts';

export interface AlertSink {
  readonly name: string;
  /** Must return quickly and never throw into the request path. */
  deliver(alert: Alert): void;
}

interface Seen {
  /** The alert as delivered, or as last handed out with a later count. */
  alert: Alert;
  /** Occurrences so far (`alert.count` catches up when the alert is next handed out). */
  count: number;
  until: number;
}

export interface AlertHubOptions {
  readonly sinks: readonly AlertSink[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dedupWindowMs: number;
  readonly newId: () => string;
  /** Bound on tracked dedup keys. */
  readonly maxKeys?: number;
}

export class AlertHub {
  readonly #o: AlertHubOptions;
  readonly #seen = new Map<string, Seen>();
  #suppressed = 0;
  #emitted = 0;

  constructor(o: AlertHubOptions) {
    this.#o = o;
  }

  /**
   * Turns a detection into an alert and delivers it unless a twin was delivered within the
   * window. Returns the alert (the first one, with its count bumped, when de-duplicated) and
   * whether it was delivered.
   */
  raise(
    d: Detection,
    ctx: { agent: string; task?: string; session?: string; time: number; traceId?: string; spanId?: string },
    mode: 'alert' | 'block',
    deliver = true,
  ): { alert: Alert; delivered: boolean } {
    const prior = this.#seen.get(d.dedupKey);
    if (prior && prior.until > ctx.time) {
      prior.count++;
      this.#suppressed++;
      const a = current(prior);
      return { alert: mode === 'block' ? { ...a, mode } : a, delivered: false };
    }
    const alert: Alert = {
      id: this.#o.newId(),
      time: ctx.time,
      severity: d.severity,
      detector: d.detector,
      agent: ctx.agent,
      ...(ctx.task !== undefined ? { task: ctx.task } : {}),
      ...(ctx.session !== undefined ? { session: ctx.session } : {}),
      message: mode === 'block' ? `${d.message} (call blocked)` : d.message,
      evidence: {
        auditSeqs: [...d.auditSeqs],
        ...(ctx.traceId !== undefined ? { traceId: ctx.traceId } : {}),
        ...(ctx.spanId !== undefined ? { spanId: ctx.spanId } : {}),
      },
      mode,
      dedupKey: d.dedupKey,
      count: 1,
    };
    this.#remember(d.dedupKey, alert, ctx.time, d.dedupMs ?? this.#o.dedupWindowMs);
    this.#emitted++;
    if (deliver) this.deliver(alert);
    return { alert, delivered: true };
  }

  /**
   * True when a twin of `d` was delivered within its window: the repeat is counted as `raise`
   * counts it, without building the alert (for a caller that needs only what is delivered).
   */
  suppress(d: Detection, time: number): boolean {
    const prior = this.#seen.get(d.dedupKey);
    if (prior === undefined || prior.until <= time) return false;
    prior.count++;
    this.#suppressed++;
    return true;
  }

  /**
   * Hands an alert to every sink. `raise(…, deliver = false)` plus a later `deliver` lets the
   * caller add evidence that exists only afterwards (the audit record of the call it is about).
   */
  deliver(alert: Alert): void {
    for (const s of this.#o.sinks) {
      try {
        s.deliver(alert);
      } catch (e) {
        this.#o.logger.warn('alert sink failed', { sink: s.name, error: describeError(e) });
      }
    }
  }

  #remember(key: string, alert: Alert, now: number, windowMs: number): void {
    const max = this.#o.maxKeys ?? 10_000;
    if (this.#seen.size >= max) {
      for (const [k, v] of this.#seen) if (v.until <= now) this.#seen.delete(k);
      while (this.#seen.size >= max) this.#seen.delete(this.#seen.keys().next().value!);
    }
    this.#seen.set(key, { alert, count: alert.count, until: now + windowMs });
  }

  stats(): { emitted: number; suppressed: number } {
    return { emitted: this.#emitted, suppressed: this.#suppressed };
  }
}

/** The remembered alert with its current count (a new object only when the count moved). */
function current(s: Seen): Alert {
  if (s.alert.count !== s.count) s.alert = { ...s.alert, count: s.count };
  return s.alert;
}
