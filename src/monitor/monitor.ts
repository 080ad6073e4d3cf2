/**
 * The Monitor composes the detectors around the gateway pipeline:
 * - `pre(event)` before forwarding: synchronous, in-memory, cheap; may return a block.
 * - `post(event)` after completion: result detectors (synchronous), taint update, and a queued
 *   baseline update applied off the request path and persisted in batches.
 */
import { describeError, newId as coreNewId, silentLogger, systemClock } from '../core/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import { AlertHub } from './alerts.ts';
import type { AlertSink } from './alerts.ts';
import { emptyBaseline, observe, toolKey } from './baseline.ts';
import type { AgentBaseline, Owned } from './baseline.ts';
import type { BaselineStore } from './baseline-store.ts';
import { outOfGrant, POST_DETECTORS, PRE_DETECTORS } from './detectors/index.ts';
import type { Detector, DetectorState } from './detectors/index.ts';
import type { MonitorConfig } from './schema.ts';
import { newSessionState, sessionTaint, SUSPICIOUS_LABEL, taintSession } from './session.ts';
import type { SessionState, SessionTaint } from './session.ts';
import type { Alert, DetectorName, GrantRefusal, MonitorEvent } from './types.ts';

export interface MonitorOptions {
  readonly config: MonitorConfig;
  readonly store?: BaselineStore;
  readonly sinks?: readonly AlertSink[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly newId?: () => string;
  readonly maxSessions?: number;
}

export interface MonitorDecision {
  /** Set when a detector in `block` mode fired: refuse the call (or withhold the result). */
  readonly block?: Alert;
  /** Alerts delivered for this event (de-duplicated repeats are not repeated here). */
  readonly alerts: readonly Alert[];
}

/** Queued baseline updates; past this the oldest are dropped (counted), never unbounded growth. */
const MAX_QUEUE = 100_000;
/** Taint of evicted sessions kept aside (~100 bytes each); past this the oldest is forgotten. */
const MAX_EVICTED_TAINT = 100_000;

const NONE: MonitorDecision = Object.freeze({ alerts: Object.freeze([]) });

export class Monitor {
  readonly config: MonitorConfig;
  readonly #store: BaselineStore | undefined;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #hub: AlertHub;
  readonly #baselines = new Map<string, AgentBaseline>();
  readonly #sessions = new Map<string, SessionState>();
  readonly #evictedTaint = new Map<string, SessionTaint>();
  readonly #live = new Map<string, { start: number; count: number }>();
  readonly #queue: { e: MonitorEvent; prev: string | undefined }[] = [];
  readonly #dirty = new Set<string>();
  /**
   * Baseline objects the drain created since the baselines last left the monitor (the
   * `baseline` getter, a flush): nobody else holds them, so updates change them in place.
   */
  #owned: Owned = new WeakSet();
  readonly #pendingAlerts: Alert[] = [];
  readonly #maxSessions: number;
  /** The detectors not `off`, with their modes (read once: the config does not change). */
  readonly #preDetectors: readonly ActiveDetector[];
  readonly #postDetectors: readonly ActiveDetector[];
  #drainScheduled = false;
  #droppedUpdates = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;

  constructor(o: MonitorOptions) {
    this.config = o.config;
    this.#store = o.store;
    this.#log = (o.logger ?? silentLogger).child({ module: 'monitor' });
    this.#clock = o.clock ?? systemClock;
    this.#maxSessions = o.maxSessions ?? 10_000;
    this.#preDetectors = activeDetectors(PRE_DETECTORS, o.config);
    this.#postDetectors = activeDetectors(POST_DETECTORS, o.config);
    const persist: AlertSink = { name: 'store', deliver: (a) => void this.#pendingAlerts.push(a) };
    this.#hub = new AlertHub({
      sinks: [...(o.sinks ?? []), ...(o.store ? [persist] : [])],
      clock: this.#clock,
      logger: this.#log,
      dedupWindowMs: o.config.dedupWindowMs,
      newId: o.newId ?? (() => coreNewId('alr_')),
    });
  }

  /** Creates the monitor tables if needed and loads every stored baseline into memory. */
  async start(): Promise<void> {
    if (!this.#store) return;
    await this.#store.migrate();
    for (const b of await this.#store.loadAll()) this.#baselines.set(b.agent, b);
  }

  /**
   * Before forwarding. Synchronous and in-memory only. With `defer`, new alerts are counted and
   * de-duplicated but not yet handed to the sinks: pass them to `deliver` once the call's own
   * audit record exists, so its sequence number is part of the evidence. With `alertOnly`, a
   * detector in `block` mode raises an `alert` (for events that already happened: egress).
   */
  pre(e: MonitorEvent, o: { readonly defer?: boolean; readonly alertOnly?: boolean } = {}): MonitorDecision {
    const b = this.#baseline(e.agent, e.time);
    const state = this.#state(e, true);
    return this.#run(this.#preDetectors, e, b, state, o.defer !== true, o.alertOnly === true);
  }

  /** Delivers alerts returned by `pre(e, { defer: true })`, adding `seq` to their evidence. */
  deliver(alerts: readonly Alert[], seq?: number): Alert[] {
    return alerts.map((a) => {
      const seqs = a.evidence.auditSeqs;
      const out: Alert =
        seq === undefined || seqs.includes(seq)
          ? a
          : { ...a, evidence: { ...a.evidence, auditSeqs: [...seqs, seq] } };
      this.#hub.deliver(out);
      return out;
    });
  }

  /** After completion (or denial). Runs result detectors, updates taint, queues the baseline update. */
  post(e: MonitorEvent): MonitorDecision {
    const b = this.#baseline(e.agent, e.time);
    const state = this.#state(e, false);
    const s = state.session;
    if (e.trust === 'untrusted' || e.trust === 'suspicious') {
      const origin = e.method === 'egress' ? `egress:${e.egressHost ?? '?'}` : toolKey(e);
      taintSession(s, origin, e.seq, e.trust === 'suspicious');
    }
    const out = this.#run(this.#postDetectors, e, b, state);
    if (e.decision !== 'deny') {
      if (this.#queue.length >= MAX_QUEUE) {
        this.#queue.shift();
        this.#droppedUpdates++;
      }
      this.#queue.push({ e, prev: s.lastCompleted });
      if (e.tool !== undefined && e.method !== 'egress') s.lastCompleted = toolKey(e);
      this.#scheduleDrain();
    }
    return out;
  }

  /**
   * A call the task grant refused (after its "decided" record, whose seq `e.seq` carries): an
   * out-of-scope alert, de-duplicated like the others. The grant already refused the call, so a
   * detector in `block` mode raises an `alert`; `off` raises nothing.
   */
  grantRefused(e: MonitorEvent, r: GrantRefusal): MonitorDecision {
    if (this.config.detectors['out-of-scope'].mode === 'off') return NONE;
    const res = this.#hub.raise(outOfGrant(e, r), alertContext(e), 'alert');
    return res.delivered ? { alerts: [res.alert] } : NONE;
  }

  /** Marks a session as having received untrusted content outside a tool result (e.g. an inter-agent message). */
  markUntrusted(session: string, agent: string, origin: string, seq?: number, suspicious = false): void {
    taintSession(this.#session(session, agent), origin, seq, suspicious);
  }

  /** The session's taint, for the policy engine's `context.taint`. */
  taint(session: string): SessionTaint {
    return this.#evictedTaint.get(session) ?? sessionTaint(this.#sessions.get(session));
  }

  /** Forgets a closed session (call when the MCP session ends). */
  endSession(session: string): void {
    this.#sessions.delete(session);
    this.#evictedTaint.delete(session);
  }

  baseline(agent: string): AgentBaseline | undefined {
    this.#owned = new WeakSet(); // the caller may keep it: later updates copy
    return this.#baselines.get(agent);
  }

  /** Replaces an agent's baseline (seeding history, tests, replay). */
  setBaseline(b: AgentBaseline): void {
    this.#baselines.set(b.agent, b);
    this.#dirty.add(b.agent);
  }

  alertStats(): { emitted: number; suppressed: number; droppedUpdates: number } {
    return { ...this.#hub.stats(), droppedUpdates: this.#droppedUpdates };
  }

  /** Applies queued baseline updates now (normally done on the next macrotask). */
  drain(): void {
    const windowMs = this.config.detectors['rate-spike'].windowMs;
    for (const { e, prev } of this.#queue.splice(0)) {
      const b = this.#baseline(e.agent, e.time);
      this.#baselines.set(e.agent, observe(b, e, this.config.limits, windowMs, prev, this.#owned));
      this.#dirty.add(e.agent);
    }
    if (this.#store && (this.#dirty.size > 0 || this.#pendingAlerts.length > 0)) this.#scheduleFlush();
  }

  /** Drains and writes dirty baselines and pending alerts to the store in one batch each. */
  async flush(): Promise<void> {
    this.drain();
    while (this.#flushing) await this.#flushing;
    if (!this.#store || (this.#dirty.size === 0 && this.#pendingAlerts.length === 0)) return;
    const agents = [...this.#dirty];
    this.#dirty.clear();
    this.#owned = new WeakSet(); // the store serializes them later: later updates copy
    const alerts = this.#pendingAlerts.splice(0);
    const store = this.#store;
    this.#flushing = (async () => {
      try {
        await store.putMany(agents.map((a) => this.#baselines.get(a)!).filter(Boolean), this.#clock.now());
        await store.appendAlerts(alerts);
      } catch (err) {
        for (const a of agents) this.#dirty.add(a);
        this.#pendingAlerts.unshift(...alerts);
        this.#log.error('monitor flush failed', { error: describeError(err), agents: agents.length });
      }
    })().finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    await this.flush();
  }

  #run(
    list: readonly ActiveDetector[],
    e: MonitorEvent,
    b: AgentBaseline,
    st: DetectorState,
    deliver = true,
    alertOnly = false,
  ): MonitorDecision {
    let block: Alert | undefined;
    let alerts: Alert[] | undefined;
    for (const { detect, mode: configured } of list) {
      const mode = alertOnly && configured === 'block' ? 'alert' : configured;
      const d = detect(e, b, st, this.config);
      if (!d) continue;
      // A repeat within the de-duplication window delivers nothing: only `block` needs the alert.
      if (mode === 'alert' && this.#hub.suppress(d, e.time)) continue;
      const r = this.#hub.raise(d, alertContext(e), mode, deliver);
      if (r.delivered) (alerts ??= []).push(r.alert);
      if (mode === 'block') block ??= r.alert;
    }
    if (!alerts && !block) return NONE;
    return { ...(block ? { block } : {}), alerts: alerts ?? [] };
  }

  #baseline(agent: string, time: number): AgentBaseline {
    let b = this.#baselines.get(agent);
    if (!b) {
      b = emptyBaseline(agent, time);
      this.#baselines.set(agent, b);
    }
    return b;
  }

  #state(e: MonitorEvent, count: boolean): DetectorState {
    const session = this.#session(e.session ?? `agent:${e.agent}`, e.agent);
    const windowMs = this.config.detectors['rate-spike'].windowMs;
    const start = Math.floor(e.time / windowMs) * windowMs;
    let live = this.#live.get(e.agent);
    if (!live || live.start !== start) {
      live = { start, count: 0 };
      this.#live.set(e.agent, live);
    }
    if (count && e.method !== 'egress' && e.tool !== undefined) live.count++;
    return { session, windowCount: live.count, windowStart: start };
  }

  #session(id: string, agent: string): SessionState {
    let s = this.#sessions.get(id);
    if (!s) {
      if (this.#sessions.size >= this.#maxSessions) this.#evictSession();
      s = newSessionState(id, agent);
      const kept = this.#evictedTaint.get(id);
      if (kept) {
        for (const l of kept.labels) if (l !== SUSPICIOUS_LABEL) taintSession(s, l);
        s.untrusted = kept.untrusted;
        s.suspicious = kept.labels.includes(SUSPICIOUS_LABEL);
      }
      this.#evictedTaint.delete(id);
      this.#sessions.set(id, s);
    }
    return s;
  }

  /**
   * Makes room for a session: an untainted one among the oldest goes first; a tainted one is
   * evicted only with its taint kept aside (bounded), so flooding sessions cannot wash taint off.
   */
  #evictSession(): void {
    let scanned = 0;
    for (const [id, st] of this.#sessions) {
      if (!st.untrusted) {
        this.#sessions.delete(id);
        return;
      }
      if (++scanned >= 64) break;
    }
    const [id, st] = this.#sessions.entries().next().value!;
    this.#sessions.delete(id);
    if (this.#evictedTaint.size >= MAX_EVICTED_TAINT) {
      this.#evictedTaint.delete(this.#evictedTaint.keys().next().value!);
    }
    this.#evictedTaint.set(id, sessionTaint(st));
    this.#log.warn('monitor evicted a tainted session; its taint is kept', { session: id });
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.drain();
    });
  }

  #scheduleFlush(): void {
    if (this.#dirty.size >= this.config.flushBatch) {
      void this.flush();
      return;
    }
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      void this.flush();
    }, this.config.flushIntervalMs);
    this.#flushTimer.unref();
  }
}

interface ActiveDetector {
  readonly detect: Detector;
  readonly mode: 'alert' | 'block';
}

function activeDetectors(
  list: readonly (readonly [DetectorName, Detector])[],
  config: MonitorConfig,
): ActiveDetector[] {
  const out: ActiveDetector[] = [];
  for (const [name, detect] of list) {
    const mode = config.detectors[name].mode;
    if (mode !== 'off') out.push({ detect, mode });
  }
  return out;
}

function alertContext(e: MonitorEvent) {
  return {
    agent: e.agent,
    task: e.task,
    session: e.session,
    time: e.time,
    traceId: e.traceId,
    spanId: e.spanId,
  };
}
