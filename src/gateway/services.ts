import type { WardenConfig } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { Launcher } from '../sandbox/index.ts';
import type { Authenticator, Identity } from '../identity/index.ts';
import type { PolicyEngine } from '../policy/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { WardenMetrics } from '../monitor/index.ts';
import type { GatewaySandboxing } from './sandboxing.ts';
import type { GatewaySecrets } from './secrets.ts';
import type { SupplyGuard } from './supply.ts';
import type { GatewayMonitor } from './monitoring.ts';

/** Everything the gateway needs, injected by the process root (cli) or by tests. */
export interface GatewayServices {
  readonly config: WardenConfig;
  readonly launcher: Launcher;
  readonly authenticator: Authenticator;
  readonly policy: PolicyEngine;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly version: string;
  /** Prometheus metrics served at /metrics (to agents with the `metrics` role). */
  readonly metrics: WardenMetrics;
  /** Per stdio server: its launcher and sandbox settings (absent: `launcher`, no settings). */
  readonly sandboxing?: GatewaySandboxing;
  /** The secret broker: injection, exfiltration check, redaction (absent: no secrets configured in tests that build services by hand). */
  readonly secrets?: GatewaySecrets;
  /** Tool scanner, pins and split-view detection on the tools path (issue 6). */
  readonly supply: SupplyGuard;
  /** Baselines, detectors, labels and taint; absent when `monitor.enabled` is false. */
  readonly monitor?: GatewayMonitor | undefined;
  /** Tokens and agents (for built-in tools such as warden.delegate); set once listening. */
  readonly identity?: Identity | undefined;
}
