/**
 * The monitor on the gateway: parses `monitor:` from warden.yaml, starts the Monitor with its
 * alert sinks (log, audit, metrics, an in-memory ring, the webhook when configured) and the
 * OTLP exporter when configured. Every sink queues or returns at once: nothing here blocks a
 * request. Trace ids for the decision chain live here too (the CLI derives them the same way).
 */
import { createHash } from 'node:crypto';
import { describeError, newSpanId } from '../core/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import { readEnv } from '../config/index.ts';
import type { WardenConfig } from '../config/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Store } from '../store/index.ts';
import {
  BaselineStore,
  CallbackSink,
  LogSink,
  Monitor,
  MonitorError,
  OtlpHttpExporter,
  RingSink,
  WebhookSink,
  parseMonitorConfig,
} from '../monitor/index.ts';
import type { Alert, AlertSink, MonitorConfig, MonitorEvent, WardenMetrics } from '../monitor/index.ts';

export interface GatewayMonitor {
  readonly monitor: Monitor;
  readonly config: MonitorConfig;
  /** The newest alerts in memory (dashboard); `warden alerts` reads the store. */
  readonly ring: RingSink;
  readonly exporter: OtlpHttpExporter | undefined;
  readonly webhook: WebhookSink | undefined;
  /** True once close() began: deferred work scheduled before that is dropped. */
  readonly closed: boolean;
  close(): Promise<void>;
}

export interface MonitoringDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly metrics: WardenMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Longest a shutdown waits for the webhook and OTLP queues to drain. */
const DRAIN_MS = 5_000;
/** Shortest HMAC key accepted for the webhook. */
const MIN_SECRET = 16;

/** Validates `monitor:` and starts monitoring; `undefined` when `monitor.enabled` is false. */
export async function startMonitoring(
  config: WardenConfig,
  deps: MonitoringDeps,
): Promise<GatewayMonitor | undefined> {
  const cfg = parseMonitorSection(config);
  if (!cfg.enabled) return undefined;
  const log = deps.logger.child({ module: 'monitor' });
  const webhook =
    cfg.webhook === undefined
      ? undefined
      : new WebhookSink({
          url: cfg.webhook.url,
          secret: envValue(config, 'monitor.webhook.secretEnv', cfg.webhook.secretEnv, MIN_SECRET),
          logger: log,
          maxAttempts: cfg.webhook.maxAttempts,
          timeoutMs: cfg.webhook.timeoutMs,
          maxQueue: cfg.webhook.maxQueue,
        });
  const exporter =
    cfg.otlp === undefined
      ? undefined
      : new OtlpHttpExporter({
          endpoint: cfg.otlp.endpoint,
          serviceName: cfg.otlp.serviceName,
          intervalMs: cfg.otlp.intervalMs,
          logger: log,
          headers: Object.fromEntries(
            Object.entries(cfg.otlp.headersEnv).map(([h, name]) => [
              h,
              envValue(config, `monitor.otlp.headersEnv.${h}`, name, 1),
            ]),
          ),
        });
  const ring = new RingSink(1000);
  const sinks: AlertSink[] = [
    new LogSink(log),
    new CallbackSink((a) => auditAlert(deps.audit, a, log), 'audit'),
    deps.metrics.sink(),
    ring,
    ...(webhook === undefined ? [] : [webhook]),
  ];
  const monitor = new Monitor({
    config: cfg,
    store: new BaselineStore(deps.store),
    sinks,
    clock: deps.clock,
    logger: deps.logger,
  });
  await monitor.start();
  let closed = false;
  return {
    monitor,
    config: cfg,
    ring,
    exporter,
    webhook,
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      await monitor
        .close()
        .catch((e: unknown) => log.error('monitor close failed', { error: describeError(e) }));
      await bounded(
        Promise.all([webhook?.close(), exporter?.shutdown()]).then(() => undefined),
        DRAIN_MS,
      );
    },
  };
}

function parseMonitorSection(config: WardenConfig): MonitorConfig {
  try {
    return parseMonitorConfig(config.monitor, 'monitor');
  } catch (e) {
    if (e instanceof MonitorError) {
      throw new MonitorError('ERR_MONITOR_CONFIG', `${config.file}: ${e.message}`, {
        ...e.details,
        file: config.file,
      });
    }
    throw e;
  }
}

/** Reads a secret named in the config from the environment; never puts the value in an error. */
function envValue(config: WardenConfig, path: string, name: string, minLength: number): string {
  const v = readEnv(name);
  if (v === undefined)
    throw new MonitorError(
      'ERR_MONITOR_CONFIG',
      `${config.file}: ${path}: the environment variable ${name} is not set`,
      {
        path,
      },
    );
  if (v.length < minLength)
    throw new MonitorError(
      'ERR_MONITOR_CONFIG',
      `${config.file}: ${path}: the value of ${name} is shorter than ${minLength} characters (too weak for an HMAC key)`,
      { path },
    );
  return v;
}

/** Each alert becomes a `monitor.alert` audit record linked to the call by trace and span. */
function auditAlert(audit: AuditLog, a: Alert, log: Logger): void {
  audit
    .append({
      kind: 'monitor.alert',
      time: a.time,
      principal: a.agent,
      ...(a.session === undefined ? {} : { session: a.session }),
      ...(a.task === undefined ? {} : { taskId: a.task }),
      ...(a.evidence.traceId === undefined ? {} : { traceId: a.evidence.traceId }),
      ...(a.evidence.spanId === undefined ? {} : { parentSpanId: a.evidence.spanId }),
      spanId: newSpanId(),
      ...(a.mode === 'block' ? { decision: 'deny' as const } : {}),
      data: {
        alertId: a.id,
        detector: a.detector,
        severity: a.severity,
        mode: a.mode,
        message: a.message,
        evidence: [...a.evidence.auditSeqs],
        count: a.count,
      },
    })
    .catch((e: unknown) =>
      log.error('audit append (alert) failed', { alertId: a.id, error: describeError(e) }),
    );
}

/** An audited egress decision of a live session's sandbox (see setUpSandboxing). */
export interface EgressObservation {
  readonly record: {
    readonly seq: number;
    readonly time: number;
    readonly traceId?: string | undefined;
    readonly spanId?: string | undefined;
    readonly parentSpanId?: string | undefined;
  };
  readonly session: string;
  readonly owner: { readonly agent: string; readonly task?: string | undefined };
  readonly event: {
    readonly host: string;
    readonly allowed: boolean;
    readonly tags: Readonly<Record<string, string>>;
  };
}

/**
 * Hands a sandbox's egress decision to the monitor of the agent owning the session, once its
 * `egress` audit record exists: new-egress sees the host with that record's seq as evidence, and
 * an allowed connection teaches the agent's baseline (a refused one does not). The proxy reports
 * a connection when it ends, so nothing can be stopped here: new-egress in `block` mode only
 * alerts (blocking egress is the sandbox allow-list's job). Runs on the next macrotask, off
 * every request's path; a monitor failure is logged and never reaches egress reporting.
 */
export function monitorEgress(gm: GatewayMonitor, o: EgressObservation, log: Logger): void {
  const { record, owner, event } = o;
  if (event.host === '' || event.host === '?') return;
  const e: MonitorEvent = {
    seq: record.seq,
    time: record.time,
    agent: owner.agent,
    session: o.session,
    ...(owner.task === undefined ? {} : { task: owner.task }),
    ...(record.traceId === undefined ? {} : { traceId: record.traceId }),
    ...(record.spanId === undefined ? {} : { spanId: record.spanId }),
    ...(record.parentSpanId === undefined ? {} : { parentSpanId: record.parentSpanId }),
    method: 'egress',
    ...(event.tags['server'] === undefined ? {} : { server: event.tags['server'] }),
    egressHost: event.host,
    decision: event.allowed ? 'allow' : 'deny',
    outcome: event.allowed ? 'ok' : 'denied',
  };
  setImmediate(() => {
    if (gm.closed) return;
    try {
      gm.monitor.pre(e, { alertOnly: true });
      gm.monitor.post(e);
    } catch (err) {
      log.error('monitor egress failed', { error: describeError(err), session: o.session });
    }
  });
}

async function bounded(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * The trace of a call: one trace per task (when the credential names one) or else per MCP
 * session, derived by hashing so `warden trace TASK|SESSION` finds it; a span per call whose
 * parent is the session's root span. The hash keeps session ids out of exported trace ids.
 */
export interface CallTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
}

export function traceIdFor(kind: 'task' | 'session', id: string): string {
  return memo(`t\0${kind}\0${id}`, () =>
    createHash('sha256').update(`warden/trace\0${kind}\0${id}`).digest('hex').slice(0, 32),
  );
}

export function sessionSpanId(session: string): string {
  return memo(`s\0${session}`, () =>
    createHash('sha256').update(`warden/span\0session\0${session}`).digest('hex').slice(0, 16),
  );
}

/** Derived ids of recent sessions and tasks (pure functions of their input: safe to keep). */
const derived = new Map<string, string>();
function memo(key: string, make: () => string): string {
  let v = derived.get(key);
  if (v === undefined) {
    if (derived.size >= 4096) derived.clear();
    v = make();
    derived.set(key, v);
  }
  return v;
}

export function callTrace(session: string, task: string | undefined): CallTrace {
  return {
    traceId: task === undefined ? traceIdFor('session', session) : traceIdFor('task', task),
    spanId: newSpanId(),
    parentSpanId: sessionSpanId(session),
  };
}
