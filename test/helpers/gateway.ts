/**
 * Starts a real gateway for a test: a temp directory with warden.yaml, policies and data dir,
 * real upstream servers, the embedded SQLite store (or PostgreSQL via `storeUrl`).
 *
 * Sandboxing (`launcher`): the gateway sandboxes every stdio server by default. This helper's
 * default is `'plain'`: it injects a PlainLauncher, so protocol-only tests stay fast (no
 * self-test, no bubblewrap per session) and keep using host paths (temp files, effect counters)
 * in their warden.yaml. That is honest, not hidden: the gateway warns and its gateway.started
 * audit record lists those servers as unsandboxed ('plain launcher'). `'sandbox'` runs the
 * gateway's real default (bubblewrap, self-test, audited egress): test/e2e/gateway-sandbox.test.ts.
 */
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../../src/config/index.ts';
import { newId } from '../../src/core/index.ts';
import { startGateway } from '../../src/gateway/index.ts';
import type { RunningGateway, StartOptions } from '../../src/gateway/index.ts';
import type { AuditRecord } from '../../src/audit/index.ts';
import { PlainLauncher } from '../../src/sandbox/index.ts';
import { runWarden } from './cli.ts';
import type { CliRun } from './cli.ts';

export interface TestGateway {
  readonly dir: string;
  readonly gw: RunningGateway;
  /**
   * Creates an agent and returns a bearer access token for it whose grant covers every
   * configured server (`<server>: ['*']`, the longest TTL allowed), so policy alone decides.
   * API keys only bootstrap tokens unless `identity.api_keys: direct` is configured.
   */
  agent(name: string, roles: string[]): Promise<string>;
  /** Creates an agent and returns its bootstrap credentials (API key and key pair). */
  agentCredentials(name: string, roles: string[]): ReturnType<RunningGateway['registry']['create']>;
  /** Mints a token for an existing agent with the given tool patterns (`server.pattern`). */
  token(agentId: string, tools: string[], opts?: { task?: string; ttlSec?: number }): Promise<string>;
  /** An official SDK client connected through the gateway with the given credential. */
  client(credential: string): Promise<Client>;
  cleanup(): Promise<void>;
}

export async function startTestGateway(opts: {
  yaml: (dir: string) => string;
  policies: Record<string, string>;
  start?: StartOptions;
  files?: Record<string, string>;
  /** 'plain' (default: no sandbox, see above) or 'sandbox' (the gateway's own default). */
  launcher?: 'plain' | 'sandbox';
}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-gw-'));
  // The sandbox runs as an unprivileged uid (65534 under root): bound paths must be searchable.
  if (opts.launcher === 'sandbox') chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'policies'));
  for (const [name, text] of Object.entries(opts.policies)) writeFileSync(join(dir, 'policies', name), text);
  for (const [name, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'warden.yaml'), opts.yaml(dir));
  const config = loadConfig(join(dir, 'warden.yaml'));
  const plain = (opts.launcher ?? 'plain') === 'plain' ? { launcher: new PlainLauncher() } : {};
  const gw = await startGateway(config, { watchPolicies: false, ...plain, ...opts.start });
  const clients: Client[] = [];
  const mint = async (
    agentId: string,
    tools: string[],
    o: { task?: string; ttlSec?: number } = {},
  ): Promise<string> => {
    const grantTools: Record<string, string[]> = {};
    for (const t of tools) {
      const dot = t.indexOf('.');
      (grantTools[t.slice(0, dot)] ??= []).push(t.slice(dot + 1));
    }
    const issued = await gw.identity.tokens.issue({
      agentId,
      grant: { id: newId('grt_'), tools: grantTools, expiresAt: Number.MAX_SAFE_INTEGER },
      ttlSec: o.ttlSec ?? gw.identity.tokens.maxTtlSec,
      ...(o.task === undefined ? {} : { task: o.task }),
    });
    return issued.token;
  };
  return {
    dir,
    gw,
    async agent(name, roles) {
      const { agent } = await gw.registry.create({ name, roles });
      return mint(
        agent.id,
        config.servers.map((s) => `${s.name}.*`),
      );
    },
    agentCredentials(name, roles) {
      return gw.registry.create({ name, roles });
    },
    token(agentId, tools, o = {}) {
      return mint(agentId, tools, o);
    },
    async client(credential) {
      const client = new Client({ name: 'warden-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(gw.url), {
        requestInit: { headers: { Authorization: `Bearer ${credential}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async cleanup() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the audit log's last 1,000 records hold at least `count` matching `pred` (the
 * "completed" records, alerts and the like are written off the reply's path), and returns them
 * all. Throws after about ten seconds.
 */
export async function auditUntil(
  gw: RunningGateway,
  pred: (r: AuditRecord) => boolean,
  count = 1,
): Promise<AuditRecord[]> {
  for (let i = 0; i < 400; i++) {
    const all = await gw.services.audit.tail(1000);
    if (all.filter(pred).length >= count) return all;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('audit record not found');
}

/** Runs the `warden` CLI (from source) against a test gateway's warden.yaml, as an operator would. */
export function wardenCli(t: TestGateway, ...args: string[]): CliRun {
  return runWarden(['--config', join(t.dir, 'warden.yaml'), ...args], { timeoutMs: 60_000 });
}
