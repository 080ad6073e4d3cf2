/**
 * Warden's standard metrics over the registry: calls, denials, latency, alerts, sandboxes.
 * The gateway calls `recordCall` once per completed (or denied) call and `recordAlert` from an
 * alert sink; the sandbox launcher calls `sandboxStarted` / `sandboxStopped`.
 */
import { MetricsRegistry } from './metrics.ts';
import type { Counter, Gauge, Histogram } from './metrics.ts';
import type { AlertSink } from './alerts.ts';
import type { Alert, MonitorEvent } from './types.ts';

export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class WardenMetrics {
  readonly registry: MetricsRegistry;
  readonly calls: Counter;
  readonly denials: Counter;
  readonly latency: Histogram;
  readonly alerts: Counter;
  readonly sandboxesStarted: Counter;
  readonly sandboxesActive: Gauge;

  constructor(registry = new MetricsRegistry()) {
    this.registry = registry;
    this.calls = registry.counter(
      'warden_tool_calls_total',
      'Tool calls by server, tool, decision and outcome.',
      ['server', 'tool', 'decision', 'outcome'],
    );
    this.denials = registry.counter('warden_denials_total', 'Denied requests by method and reason code.', [
      'method',
      'reason',
    ]);
    this.latency = registry.histogram(
      'warden_tool_call_duration_seconds',
      'Tool call latency through the gateway, in seconds.',
      ['server', 'tool'],
      LATENCY_BUCKETS_S,
    );
    this.alerts = registry.counter('warden_alerts_total', 'Monitor alerts by detector, severity and mode.', [
      'detector',
      'severity',
      'mode',
    ]);
    this.sandboxesStarted = registry.counter(
      'warden_sandboxes_started_total',
      'Sandboxes started by profile.',
      ['profile'],
    );
    this.sandboxesActive = registry.gauge(
      'warden_sandboxes_active',
      'Sandboxes currently running by profile.',
      ['profile'],
    );
  }

  recordCall(e: MonitorEvent, reason?: string): void {
    const server = e.server ?? '';
    const tool = e.tool ?? '';
    const decision = e.decision ?? 'allow';
    this.calls.inc({ server, tool, decision, outcome: e.outcome ?? '' });
    if (decision === 'deny') this.denials.inc({ method: e.method, reason: reason ?? 'policy' });
    if (typeof e.durationMs === 'number') this.latency.observe({ server, tool }, e.durationMs / 1000);
  }

  recordAlert(a: Alert): void {
    this.alerts.inc({ detector: a.detector, severity: a.severity, mode: a.mode });
  }

  /** An alert sink that counts alerts (add it to the Monitor's sinks). */
  sink(): AlertSink {
    return { name: 'metrics', deliver: (a) => this.recordAlert(a) };
  }

  sandboxStarted(profile: string): void {
    this.sandboxesStarted.inc({ profile });
    this.sandboxesActive.add({ profile }, 1);
  }

  sandboxStopped(profile: string): void {
    this.sandboxesActive.add({ profile }, -1);
  }

  render(): string {
    return this.registry.render();
  }
}
