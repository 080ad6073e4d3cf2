import type { CallSignal } from '../cancel.ts';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../core/index.ts';
import { GatewayError, UpstreamRpcError } from '../errors.ts';

export interface UpstreamInfo {
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly serverInfo: { name?: string; version?: string } & Record<string, unknown>;
  readonly instructions?: string;
}

export interface UpstreamHandlers {
  /** A notification from the upstream (list_changed, progress, logging, cancelled, …). */
  onNotification(method: string, params: Record<string, unknown> | undefined): void;
  /** A request from the upstream (sampling, elicitation, roots/list, ping). Resolve with a result or throw. */
  onRequest(method: string, params: Record<string, unknown> | undefined): Promise<unknown>;
  onClose(): void;
}

/** Deepest upstream message the gateway relays (the client edge allows `gateway.max_depth`). */
const MAX_UPSTREAM_DEPTH = 512;

/** Iterative depth check (no recursion, so a hostile upstream cannot overflow the stack here). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return false;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One JSON-RPC connection to an upstream MCP server over an SDK transport. The gateway speaks
 * raw JSON-RPC here (no SDK Client) so ids are its own: an upstream response is matched only to
 * an id this connection issued; anything else is dropped and reported (THREATS RPC-7).
 */
export class UpstreamConnection {
  readonly server: string;
  readonly #transport: Transport;
  readonly #handlers: UpstreamHandlers;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  info: UpstreamInfo | undefined;
  /** Counts responses dropped because their id was never issued (RPC-7). */
  strayResponses = 0;

  constructor(server: string, transport: Transport, handlers: UpstreamHandlers, logger: Logger) {
    this.server = server;
    this.#transport = transport;
    this.#handlers = handlers;
    this.#logger = logger;
    transport.onmessage = (m) => this.#onMessage(m);
    transport.onclose = () => this.#onClose();
    transport.onerror = (e) => this.#logger.warn('upstream transport error', { server, error: e.message });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * The handshake. `capabilities` are the ones the gateway relays for this session's client
   * (sampling, elicitation): never more than the client declared. `roots` is never offered:
   * an agent must not be able to widen a server's file roots (the configuration decides them).
   */
  async connect(
    clientInfo: { name: string; version: string },
    capabilities: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<UpstreamInfo> {
    await this.#transport.start();
    const result = (await this.request(
      'initialize',
      {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities,
        clientInfo,
      },
      timeoutMs,
    )) as Record<string, unknown> | undefined;
    if (typeof result !== 'object' || result === null || typeof result.protocolVersion !== 'string') {
      throw new GatewayError(
        'ERR_UPSTREAM_PROTOCOL',
        `upstream ${this.server} sent an invalid initialize result`,
        {
          server: this.server,
        },
      );
    }
    this.#transport.setProtocolVersion?.(result.protocolVersion);
    this.info = {
      protocolVersion: result.protocolVersion,
      capabilities: (result.capabilities as Record<string, unknown> | undefined) ?? {},
      serverInfo: (result.serverInfo as UpstreamInfo['serverInfo'] | undefined) ?? {},
      ...(typeof result.instructions === 'string' ? { instructions: result.instructions } : {}),
    };
    await this.notify('notifications/initialized', undefined);
    return this.info;
  }

  /** Sends a request; resolves with the result, rejects with UpstreamRpcError or a GatewayError. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
    signal?: CallSignal,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted === true) return Promise.reject(this.#cancelledError(method));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      signal?.addEventListener(
        'abort',
        () => {
          if (this.#settle(id) === undefined) return;
          void this.notify('notifications/cancelled', {
            requestId: id,
            reason: 'cancelled by the client',
          }).catch(() => {});
          reject(this.#cancelledError(method));
        },
        { once: true },
      );
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id);
              void this.notify('notifications/cancelled', { requestId: id, reason: 'timeout' }).catch(
                () => {},
              );
              reject(
                new GatewayError(
                  'ERR_UPSTREAM_TIMEOUT',
                  `upstream ${this.server} did not answer ${method} within ${timeoutMs} ms`,
                  {
                    server: this.server,
                    method,
                  },
                ),
              );
            }, timeoutMs)
          : undefined;
      this.#pending.set(id, { resolve, reject, timer });
      const msg =
        params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      this.#transport.send(msg as JSONRPCMessage).catch((e: unknown) => {
        this.#settle(id)?.reject(
          new GatewayError(
            'ERR_UPSTREAM_CLOSED',
            `cannot send to upstream ${this.server}: ${(e as Error).message}`,
            {
              server: this.server,
            },
          ),
        );
      });
    });
  }

  /** The upstream id of the most recent in-flight request (for cancellation routing). */
  get lastIssuedId(): number {
    return this.#nextId - 1;
  }

  notify(method: string, params: Record<string, unknown> | undefined): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const msg = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    return this.#transport.send(msg as JSONRPCMessage);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#transport.close().catch(() => {});
    this.#onClose();
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  #onMessage(m: Record<string, unknown>): void {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      this.#logger.warn('dropped an upstream message that is not a JSON-RPC object', { server: this.server });
      return;
    }
    const method = m.method;
    const params = m.params as Record<string, unknown> | undefined;
    if (typeof method === 'string') {
      // A hostile upstream's notifications and requests get the same depth bound as responses:
      // they are relayed to the client, and serializing them must not overflow the stack.
      if (nestedDeeperThan(m, MAX_UPSTREAM_DEPTH)) {
        this.#logger.warn('dropped an upstream message nested too deeply', {
          server: this.server,
          method: method.slice(0, 60),
        });
        return;
      }
      try {
        if ('id' in m && (typeof m.id === 'string' || typeof m.id === 'number')) {
          void this.#answer(m.id, method, params);
        } else {
          this.#handlers.onNotification(method, params);
        }
      } catch (e) {
        // One bad message must not take the transport (and the gateway) down with it.
        this.#logger.warn('failed to relay an upstream message', {
          server: this.server,
          error: (e as Error).message,
        });
      }
      return;
    }
    const id = m.id;
    const p = typeof id === 'number' ? this.#settle(id) : undefined;
    if (p === undefined) {
      this.strayResponses++;
      this.#logger.warn('dropped an upstream response with an id the gateway never issued', {
        server: this.server,
      });
      return;
    }
    if (nestedDeeperThan(m, MAX_UPSTREAM_DEPTH)) {
      p.reject(
        new UpstreamRpcError(this.server, {
          code: -32603,
          message: `upstream response nested deeper than ${MAX_UPSTREAM_DEPTH}`,
        }),
      );
      return;
    }
    if ('error' in m && typeof m.error === 'object' && m.error !== null) {
      const e = m.error as { code?: unknown; message?: unknown; data?: unknown };
      p.reject(
        new UpstreamRpcError(this.server, {
          // JSON-RPC codes are integers; anything else from an upstream becomes an internal error.
          code: Number.isSafeInteger(e.code) ? (e.code as number) : -32603,
          message: typeof e.message === 'string' ? e.message : 'upstream error',
          ...(e.data === undefined ? {} : { data: e.data }),
        }),
      );
    } else if (!('result' in m)) {
      p.reject(
        new UpstreamRpcError(this.server, {
          code: -32603,
          message: 'upstream sent a response with neither result nor error',
        }),
      );
    } else p.resolve(m.result);
  }

  async #answer(
    id: string | number,
    method: string,
    params: Record<string, unknown> | undefined,
  ): Promise<void> {
    let reply: Record<string, unknown>;
    try {
      reply = { jsonrpc: '2.0', id, result: await this.#handlers.onRequest(method, params) };
    } catch (e) {
      const rpc = e instanceof UpstreamRpcError ? e.rpc : { code: -32603, message: (e as Error).message };
      reply = { jsonrpc: '2.0', id, error: rpc };
    }
    await this.#transport.send(reply as JSONRPCMessage).catch(() => {});
  }

  #cancelledError(method: string): GatewayError {
    return new GatewayError('ERR_CANCELLED', `${method} was cancelled`, { server: this.server, method });
  }

  #closedError(): GatewayError {
    return new GatewayError('ERR_UPSTREAM_CLOSED', `upstream ${this.server} is not running`, {
      server: this.server,
    });
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id] of this.#pending) this.#settle(id)?.reject(this.#closedError());
    this.#handlers.onClose();
  }
}
