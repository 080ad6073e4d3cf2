import type { WardenConfig } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { Launcher } from '../sandbox/index.ts';
import type { Authenticator, Identity } from '../identity/index.ts';
import type { PolicyEngine } from '../policy/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { WardenMetrics } from '../monitor/index.ts';

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
  /** Tokens and agents (for built-in tools such as warden.delegate); set once listening. */
  readonly identity?: Identity | undefined;
}
