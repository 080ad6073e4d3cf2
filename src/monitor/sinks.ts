/** Alert sinks: the log, an in-memory ring (dashboard, `--follow`), and a callback (audit). */
import type { Logger } from '../core/index.ts';
import type { AlertSink } from './alerts.ts';
import type { Alert } from './types.ts';

/** Writes each alert as one warn line (fields only; messages carry no secrets by construction). */
export class LogSink implements AlertSink {
  readonly name = 'log';
  readonly #log: Logger;
  constructor(log: Logger) {
    this.#log = log;
  }
  deliver(a: Alert): void {
    this.#log.warn('monitor alert', {
      alertId: a.id,
      detector: a.detector,
      severity: a.severity,
      mode: a.mode,
      agent: a.agent,
      task: a.task,
      session: a.session,
      auditSeqs: a.evidence.auditSeqs,
      message: a.message,
    });
  }
}

/** Keeps the last `capacity` alerts; subscribers get each new one (dashboard, `warden alerts --follow`). */
export class RingSink implements AlertSink {
  readonly name = 'ring';
  readonly #buf: Alert[] = [];
  readonly #cap: number;
  readonly #subs = new Set<(a: Alert) => void>();
  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#cap = capacity;
  }
  deliver(a: Alert): void {
    this.#buf.push(a);
    if (this.#buf.length > this.#cap) this.#buf.shift();
    for (const s of this.#subs) s(a);
  }
  /** Most recent last; `limit` keeps the newest. */
  list(limit = this.#cap): Alert[] {
    return this.#buf.slice(-limit);
  }
  subscribe(fn: (a: Alert) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }
}

/** Hands each alert to a function (the gateway wires the audit log here). Errors are caught by the hub. */
export class CallbackSink implements AlertSink {
  readonly name: string;
  readonly #fn: (a: Alert) => void;
  constructor(fn: (a: Alert) => void, name = 'callback') {
    this.#fn = fn;
    this.name = name;
  }
  deliver(a: Alert): void {
    this.#fn(a);
  }
}
