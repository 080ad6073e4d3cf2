import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerConfig } from '../../config/index.ts';
import type { Clock, Logger } from '../../core/index.ts';
import type { Launcher, SandboxOverrides } from '../../sandbox/index.ts';
import { GatewayError } from '../errors.ts';
import { UpstreamConnection } from './connection.ts';
import type { UpstreamHandlers } from './connection.ts';
import { LaunchedStdioTransport } from './stdio-transport.ts';
import { UndiciHttpTransport } from './http-transport.ts';
import type { Injection } from '../secrets.ts';

export interface SlotDeps {
  readonly launcher: Launcher;
  /** This server's sandbox settings (LaunchSpec.sandbox); undefined when it runs unsandboxed. */
  readonly sandbox?: SandboxOverrides | undefined;
  /** The front session this slot belongs to (tags the sandbox's egress audit records). */
  readonly session?: string | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly clientInfo: { name: string; version: string };
  /** Client capabilities relayed to the upstream (a subset of what the session's client declared). */
  readonly capabilities: () => Record<string, unknown>;
  /** Extra headers for remote upstreams (never the client's own credential: THREATS CD-1). */
  readonly maxLineBytes: number;
  readonly onStderr?: (server: string, chunk: string) => void;
  /** The secrets this server's launch receives (env, headers, egress placeholders); rejects to fail closed. */
  readonly inject?: (config: ServerConfig, launcher: Launcher) => Promise<Injection>;
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 30_000;

/**
 * Supervises one upstream server for one session: connects lazily (single flight), and after
 * the upstream dies, reconnects on the next use once the backoff has elapsed. Callers of a dead
 * upstream get clean errors; nothing hangs.
 */
export class UpstreamSlot {
  readonly config: ServerConfig;
  readonly #deps: SlotDeps;
  readonly #handlers: Omit<UpstreamHandlers, 'onClose'> & { onClose?: () => void };
  #conn: UpstreamConnection | undefined;
  #connecting: Promise<UpstreamConnection> | undefined;
  #failures = 0;
  #retryAt = 0;
  #stopped = false;
  /** Incremented at every (re)connection: caches keyed on it are dropped after a restart. */
  generation = 0;

  constructor(
    config: ServerConfig,
    deps: SlotDeps,
    handlers: Omit<UpstreamHandlers, 'onClose'> & { onClose?: () => void },
  ) {
    this.config = config;
    this.#deps = deps;
    this.#handlers = handlers;
  }

  get connection(): UpstreamConnection | undefined {
    return this.#conn !== undefined && !this.#conn.closed ? this.#conn : undefined;
  }

  get(): Promise<UpstreamConnection> {
    const live = this.connection;
    if (live !== undefined) return Promise.resolve(live);
    if (this.#stopped) return Promise.reject(this.#error('ERR_UPSTREAM_CLOSED', 'the session is closed'));
    if (this.#connecting !== undefined) return this.#connecting;
    const wait = this.#retryAt - this.#deps.clock.now();
    if (wait > 0) {
      return Promise.reject(
        this.#error(
          'ERR_UPSTREAM_START',
          `upstream ${this.config.name} failed; restarting in ${Math.ceil(wait / 1000)} s`,
        ),
      );
    }
    this.#connecting = this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<UpstreamConnection> {
    const { config } = this;
    let conn: UpstreamConnection | undefined;
    try {
      const transport = await this.#transport();
      conn = new UpstreamConnection(
        config.name,
        transport,
        {
          onNotification: (m, p) => this.#handlers.onNotification(m, p),
          onRequest: (m, p) => this.#handlers.onRequest(m, p),
          onClose: () => this.#onClose(conn),
        },
        this.#deps.logger,
      );
      await conn.connect(
        this.#deps.clientInfo,
        this.#deps.capabilities(),
        Math.min(config.timeoutMs, 30_000),
      );
      this.#conn = conn;
      this.#failures = 0;
      this.generation++;
      return conn;
    } catch (e) {
      await conn?.close().catch(() => {});
      this.#backoff();
      if (e instanceof GatewayError) throw e;
      throw this.#error(
        'ERR_UPSTREAM_START',
        `cannot start upstream ${config.name}: ${(e as Error).message}`,
      );
    }
  }

  async #transport(): Promise<Transport> {
    const c = this.config;
    const secrets = await this.#deps.inject?.(c, this.#deps.launcher);
    if (c.kind === 'remote') {
      return new UndiciHttpTransport(new URL(c.url), { ...c.headers, ...secrets?.headers });
    }
    const proc = await this.#deps.launcher.launch({
      command: c.command,
      args: c.args,
      env: { ...c.env, ...secrets?.env },
      cwd: c.cwd,
      label: c.name,
      sandbox: this.#deps.sandbox,
      tags: { server: c.name, ...(this.#deps.session === undefined ? {} : { session: this.#deps.session }) },
      ...(secrets?.egressRewrite === undefined ? {} : { egressRewrite: secrets.egressRewrite }),
    });
    return new LaunchedStdioTransport(proc, {
      maxLineBytes: this.#deps.maxLineBytes,
      onStderr: (chunk) => this.#deps.onStderr?.(c.name, chunk),
    });
  }

  #onClose(conn: UpstreamConnection | undefined): void {
    if (conn !== undefined && this.#conn === conn) {
      this.#conn = undefined;
      if (!this.#stopped) {
        this.#deps.logger.warn('upstream exited', { server: this.config.name });
        this.#backoff();
      }
    }
    this.#handlers.onClose?.();
  }

  #backoff(): void {
    this.#failures++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (this.#failures - 1));
    this.#retryAt = this.#deps.clock.now() + delay;
  }

  #error(code: 'ERR_UPSTREAM_CLOSED' | 'ERR_UPSTREAM_START', message: string): GatewayError {
    return new GatewayError(code, message, { server: this.config.name });
  }

  /**
   * Restarts the upstream without failing calls in flight (after a secret rotation): new calls
   * get a fresh connection at once; the old one is closed when its last request has settled
   * (or after the server's call timeout).
   */
  async recycle(): Promise<void> {
    const old = this.#conn ?? (await this.#connecting?.catch(() => undefined));
    if (old === undefined) return;
    if (this.#conn === old) this.#conn = undefined;
    const deadline = this.#deps.clock.now() + this.config.timeoutMs;
    while (old.pending > 0 && !old.closed && this.#deps.clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await old.close().catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const c = this.#conn ?? (await this.#connecting?.catch(() => undefined));
    this.#conn = undefined;
    await c?.close();
  }
}
