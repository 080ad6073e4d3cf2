/**
 * The `monitor:` section of warden.yaml, parsed once at the edge. Strict: a typo fails loudly.
 */
import { z } from 'zod';
import { MonitorError } from './errors.ts';

const mode = z.enum(['off', 'alert', 'block']);
const ms = z.number().int().nonnegative();

const limits = z.strictObject({
  maxTools: z.number().int().positive().default(256),
  maxParams: z.number().int().positive().default(32),
  maxValues: z.number().int().positive().default(16),
  maxPrefixes: z.number().int().positive().default(128),
  maxHosts: z.number().int().positive().default(128),
  maxBigrams: z.number().int().positive().default(512),
  maxDays: z.number().int().positive().max(90).default(14),
  /** Keys per agent across tools, parameters, values, prefixes and hosts (≈ 40 bytes each stored). */
  maxEntries: z.number().int().positive().default(20_000),
});

const detectors = z.strictObject({
  'first-tool': z.strictObject({ mode: mode.default('alert') }).prefault({}),
  'out-of-scope': z
    .strictObject({
      mode: mode.default('alert'),
      /** Path prefix depth compared with history (/home/u = 2). */
      depth: z.number().int().min(1).max(3).default(2),
      /** Observations of a parameter before novelty in it counts. */
      minSamples: z.number().int().positive().default(5),
      /** A parameter with at least this many distinct prefixes/hosts is open-ended: novelty in it is expected. */
      openEnded: z.number().int().positive().default(12),
    })
    .prefault({}),
  'rate-spike': z
    .strictObject({
      mode: mode.default('alert'),
      windowMs: z.number().int().positive().default(60_000),
      z: z.number().positive().default(4),
      ratio: z.number().positive().default(3),
      minCount: z.number().int().positive().default(30),
      minWindows: z.number().int().positive().default(5),
      /** Calls per window that alert whatever the history (storms from new agents, DoS-1). */
      absolute: z.number().int().positive().default(600),
    })
    .prefault({}),
  'output-anomaly': z
    .strictObject({
      mode: mode.default('alert'),
      z: z.number().positive().default(5),
      minSamples: z.number().int().positive().default(20),
      /** Injection verdicts that raise an alert. */
      injection: z.enum(['suspicious', 'malicious']).default('suspicious'),
    })
    .prefault({}),
  'new-egress': z.strictObject({ mode: mode.default('alert') }).prefault({}),
  'toxic-flow': z
    .strictObject({
      mode: mode.default('alert'),
      /** Tools that must not follow untrusted content: `server/tool` globs (`*` = any run). */
      sensitiveTools: z.array(z.string().min(1)).default([]),
      /** Also treat tools annotated destructive or open-world as sensitive. */
      useAnnotations: z.boolean().default(true),
      /**
       * strict: any sensitive call after untrusted content alerts. Otherwise only when the content
       * was flagged by the injection detector or the call's arguments leave the agent's history
       * (new host, path prefix or value of a small closed set); the taint-aware Cedar policy is
       * the hard control either way.
       */
      strict: z.boolean().default(false),
    })
    .prefault({}),
  drift: z
    .strictObject({
      mode: mode.default('alert'),
      threshold: z.number().min(0).max(1).default(0.5),
      minDayEvents: z.number().int().positive().default(40),
      historyDays: z.number().int().positive().default(7),
    })
    .prefault({}),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** http(s) only; plain http only to a loopback host (alert payloads name agents, tools and paths). */
const sinkUrl = (what: string) =>
  z
    .url({ protocol: /^https?$/, error: `${what} must be an http(s) URL` })
    .refine((u) => new URL(u).username === '' && new URL(u).password === '', {
      message: `${what} must not carry credentials (userinfo)`,
    })
    .refine((u) => new URL(u).protocol === 'https:' || LOOPBACK.test(new URL(u).hostname), {
      message: `${what} must use https (plain http is accepted only for a loopback host): alerts and spans name agents, tools and paths`,
    });

const envName = z.string().regex(ENV_NAME, 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');

const webhook = z.strictObject({
  url: sinkUrl('monitor.webhook.url'),
  /**
   * The environment variable holding the HMAC-SHA256 key that signs each body
   * (`X-Warden-Signature: sha256=<hex>`). A name, never the key: warden.yaml is not a secret store.
   */
  secretEnv: envName,
  maxAttempts: z.number().int().min(1).max(20).default(5),
  timeoutMs: z.number().int().positive().default(5_000),
  maxQueue: z.number().int().positive().default(1_000),
});

const otlp = z.strictObject({
  /** Collector base URL; spans go to `<endpoint>/v1/traces` (OTLP/HTTP). */
  endpoint: sinkUrl('monitor.otlp.endpoint'),
  /** The OTLP/HTTP encoding: protobuf (the spec's default) or JSON. */
  protocol: z
    .enum(['http/protobuf', 'http/json'], {
      error: 'monitor.otlp.protocol must be http/protobuf or http/json (OTLP over gRPC is not supported)',
    })
    .default('http/protobuf'),
  serviceName: z.string().min(1).max(100).default('warden'),
  /** Request headers whose values come from environment variables (e.g. an API key). */
  headersEnv: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are tokens'), envName).default({}),
  intervalMs: z.number().int().positive().default(1_000),
});

export const monitorConfigSchema = z.strictObject({
  /** Off: no detectors, labels, taint or traces (the audit log and /metrics stay). */
  enabled: z.boolean().default(true),
  learning: z
    .strictObject({
      /** Events an agent must have before novelty detectors fire. */
      minEvents: z.number().int().nonnegative().default(100),
      /** And how long (ms) since its first event. */
      minDurationMs: ms.default(24 * 3600_000),
    })
    .prefault({}),
  limits: limits.prefault({}),
  detectors: detectors.prefault({}),
  /** Same dedupKey within this window → counted on the first alert, not repeated. */
  dedupWindowMs: ms.default(10 * 60_000),
  /** Servers whose results are trusted (everything else is untrusted content). */
  trustedServers: z.array(z.string().min(1)).default([]),
  /** How often (ms) dirty baselines are flushed to the store, and the batch size that forces one. */
  flushIntervalMs: z.number().int().positive().default(2_000),
  flushBatch: z.number().int().positive().default(500),
  /** Wrap untrusted text results in a frame naming their origin (the `_meta` label is always set). */
  frameText: z.boolean().default(false),
  /** Most characters of a result the injection detector reads (the rest is not inspected). */
  inspectMaxChars: z.number().int().positive().default(1_000_000),
  webhook: webhook.optional(),
  otlp: otlp.optional(),
});

export type MonitorConfig = z.output<typeof monitorConfigSchema>;
export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;

/** Parses a monitor config (from warden.yaml); throws ERR_MONITOR_CONFIG with the path. */
export function parseMonitorConfig(input: unknown, source = 'monitor'): MonitorConfig {
  const r = monitorConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue ? [source, ...issue.path.map(String)].join('.') : source;
    throw new MonitorError('ERR_MONITOR_CONFIG', `${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  return Object.freeze(r.data);
}
