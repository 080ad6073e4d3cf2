import type { Principal } from '../identity/index.ts';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { newSessionId } from '../core/index.ts';
import type { ServerConfig } from '../config/index.ts';
import type { Launcher } from '../sandbox/index.ts';
import { UpstreamSlot } from './upstream/slot.ts';
import type { UpstreamConnection } from './upstream/connection.ts';
import type { GatewayServices } from './services.ts';
import { exposeNamed } from './catalog.ts';
import type { ExposedTool } from './catalog.ts';
import { UpstreamRpcError } from './errors.ts';
import { scrub, stderrLogger } from './secrets-redact.ts';
import type { ItemKind, SessionSupply } from './supply.ts';
import { builtinTools } from './builtin-delegate.ts';
import type { CallCancel } from './cancel.ts';

/** Where server-to-client messages for this session go (an SSE stream, or stdout for stdio). */
export interface ClientChannel {
  /** Sends a notification or request to the client; false when no channel is open. */
  send(message: Record<string, unknown>): boolean;
}

type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
const LIST_METHOD: Record<ListKind, string> = {
  tools: 'tools/list',
  prompts: 'prompts/list',
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
};
const LIST_CAPABILITY: Record<ListKind, string> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resources',
};
const MAX_PAGES = 100;
/** The supply guard's kind of each listed kind other than tools. */
const ITEM_KIND: Readonly<Record<Exclude<ListKind, 'tools'>, ItemKind>> = {
  prompts: 'prompt',
  resources: 'resource',
  resourceTemplates: 'resource-template',
};
/** Which listings a `list_changed` notification renews. */
const CHANGED_LISTS: Readonly<Record<string, readonly ListKind[]>> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** Where a resource URI goes: its server, and the resource or template definition it matched. */
export interface ResourceTarget {
  readonly server: string;
  readonly kind: 'resource' | 'resource-template';
  /** The resource's URI or the matching template's URI template (its pin key). */
  readonly key: string;
}

/** Server-initiated requests the gateway relays to a client that declared the capability. */
const RELAYED_REQUESTS = new Set(['sampling/createMessage', 'elicitation/create']);

function relayedCapabilities(client: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (client.sampling !== undefined) out.sampling = {};
  if (client.elicitation !== undefined) out.elicitation = client.elicitation;
  return out;
}

function templateMatches(template: string, uri: string): boolean {
  try {
    return template.length <= 1000 && new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}

/**
 * One client session: the authenticated principal it is bound to (THREATS SE-1), its own
 * upstream connections (each session gets fresh upstream processes, so agents never share a
 * server's process state), its in-flight requests and its channel back to the client.
 */
export class FrontSession {
  readonly id = newSessionId();
  /** The principal of the latest request (same agent; its token may have been refreshed). */
  principal: Principal;
  /** The latest request's Authorization header (in memory only: warden.delegate narrows it). */
  authorization: string | undefined;
  readonly services: GatewayServices;
  protocolVersion = '';
  clientInfo: Record<string, unknown> = {};
  clientCapabilities: Record<string, unknown> = {};
  initialized = false;
  lastSeen: number;
  /** Standalone channel (GET SSE stream or stdio) for messages not tied to a request. */
  channel: ClientChannel | undefined;
  /** In-flight client requests by raw id: their per-request channel and abort controller. */
  readonly inflight = new Map<string, { abort: CallCancel; channel?: ClientChannel; server?: string }>();
  readonly slots = new Map<string, UpstreamSlot>();
  readonly #lists = new Map<string, { generation: number; items: Record<string, unknown>[] }>();
  /**
   * The last exposure of each kind, reused while every server's list is the same array (lists
   * are cached per upstream generation), so a call does not recompute collision skeletons.
   */
  readonly #exposure = new Map<
    'tools' | 'prompts',
    {
      inputs: readonly (readonly Record<string, unknown>[])[];
      list: ExposedTool[];
      byName: Map<string, ExposedTool>;
    }
  >();
  #closed = false;
  readonly #unsubscribe: (() => void) | undefined;
  /** Scanner, pins and split-view decisions for the tool lists this session is shown (issue 6). */
  readonly supply: SessionSupply;

  constructor(principal: Principal, services: GatewayServices) {
    this.principal = principal;
    this.services = services;
    this.supply = services.supply.forSession(principal.agentName, this.id, () =>
      Object.keys(relayedCapabilities(this.clientCapabilities)),
    );
    this.lastSeen = services.clock.now();
    for (const s of services.config.servers) this.slots.set(s.name, this.#slot(s));
    // After a rotation the servers using that secret restart (in-flight calls finish first).
    this.#unsubscribe = services.secrets?.onRotated((name) => {
      for (const slot of this.slots.values())
        if (services.secrets!.uses(slot.config, name)) void slot.recycle().catch(() => {});
    });
  }

  /** Upstream stderr goes to the debug log, redacted line by line (or only its size without a broker). */
  #stderr(config: ServerConfig): (server: string, chunk: string) => void {
    const { services } = this;
    const secrets = services.secrets;
    if (secrets === undefined)
      return (server, chunk) => services.logger.debug('upstream stderr', { server, bytes: chunk.length });
    const log = stderrLogger(() => secrets.redactor(), services.logger, config.name);
    return (_server, chunk) => log(chunk);
  }

  /** `value` with every secret redacted (upstream output relayed to the client). */
  #clean<T>(value: T): T {
    const secrets = this.services.secrets;
    return secrets === undefined ? value : scrub(secrets.redactor(), value).value;
  }

  #slot(config: ServerConfig): UpstreamSlot {
    const { services } = this;
    const launch = services.sandboxing?.forServer(config.name);
    return new UpstreamSlot(
      config,
      {
        launcher: launch?.launcher ?? services.launcher,
        sandbox: launch?.sandbox,
        session: this.id,
        logger: services.logger.child({ server: config.name, session: this.id }),
        clock: services.clock,
        clientInfo: { name: 'warden-gateway', version: services.version },
        capabilities: () => relayedCapabilities(this.clientCapabilities),
        maxLineBytes: 64 * 1024 * 1024,
        onStderr: this.#stderr(config),
        ...(services.secrets === undefined
          ? {}
          : { inject: (c: ServerConfig, l: Launcher) => services.secrets!.inject(c, l) }),
      },
      {
        onNotification: (method, params) => this.#fromUpstream(config.name, method, params),
        onRequest: (method, params) => this.#requestFromUpstream(config.name, method, params),
      },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  upstream(server: string): Promise<UpstreamConnection> {
    const slot = this.slots.get(server);
    if (slot === undefined) return Promise.reject(new Error(`unknown server ${server}`));
    return slot.get();
  }

  /** The full (all pages) list of one kind from one server, cached until list_changed or restart. */
  async list(server: string, kind: ListKind): Promise<Record<string, unknown>[]> {
    const slot = this.slots.get(server)!;
    const conn = await slot.get();
    const cap = conn.info?.capabilities[LIST_CAPABILITY[kind]];
    if (cap === undefined) return [];
    const key = `${server}\u0000${kind}`;
    const cached = this.#lists.get(key);
    if (cached !== undefined && cached.generation === slot.generation) return cached.items;
    const items: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = (await conn.request(
        LIST_METHOD[kind],
        cursor === undefined ? undefined : { cursor },
        slot.config.timeoutMs,
      )) as Record<string, unknown> | undefined;
      const got = r?.[kind];
      if (Array.isArray(got))
        items.push(...(got.filter((x) => typeof x === 'object' && x !== null) as Record<string, unknown>[]));
      cursor = typeof r?.nextCursor === 'string' ? r.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    // Scan, pins (and split view for tools): quarantined, held or changed items are hidden later.
    if (kind === 'tools') await this.supply.listed(server, items);
    else await this.supply.listedItems(server, ITEM_KIND[kind], items);
    const clean = this.#cleanList(slot.config, items);
    this.#lists.set(key, { generation: slot.generation, items: clean });
    return clean;
  }

  /**
   * A listing (tools, prompts, resources) with secrets redacted; with `on_secret: block` an item
   * holding a secret is left out instead.
   */
  #cleanList(config: ServerConfig, items: Record<string, unknown>[]): Record<string, unknown>[] {
    const secrets = this.services.secrets;
    if (secrets === undefined) return items;
    const out: Record<string, unknown>[] = [];
    for (const item of items) {
      const r = scrub(secrets.redactor(), item);
      if (r.findings.length === 0) out.push(item);
      else if (config.onSecret !== 'block') out.push(r.value);
    }
    if (out.length !== items.length || out.some((x, i) => x !== items[i]))
      this.services.logger.warn('secret found in an upstream listing', { server: config.name });
    return out;
  }

  /** Tools (or prompts) of every server that answers, under collision-free exposed names. */
  async exposed(kind: 'tools' | 'prompts'): Promise<ExposedTool[]> {
    const { list } = await this.#exposeAll(kind);
    if (kind !== 'tools') return [...list];
    return [...list, ...builtinTools(this)];
  }

  /** The exposed tool (or prompt) of that name, or undefined: the routing table of a call. */
  async exposedNamed(kind: 'tools' | 'prompts', name: string): Promise<ExposedTool | undefined> {
    const found = (await this.#exposeAll(kind)).byName.get(name);
    if (found !== undefined || kind !== 'tools') return found;
    return builtinTools(this).find((t) => t.exposed === name);
  }

  async #exposeAll(
    kind: 'tools' | 'prompts',
  ): Promise<{ list: ExposedTool[]; byName: Map<string, ExposedTool> }> {
    const perServer = await Promise.all(
      [...this.slots.keys()].map(async (server) => {
        const prefix = this.slots.get(server)!.config.prefix;
        try {
          return { server, prefix, items: await this.list(server, kind) };
        } catch (e) {
          this.services.logger.warn(`cannot list ${kind}`, { server, error: (e as Error).message });
          return { server, prefix, items: [] };
        }
      }),
    );
    const inputs = perServer.map((p) => p.items);
    const cached = this.#exposure.get(kind);
    if (cached !== undefined && cached.inputs.every((items, i) => items === inputs[i])) return cached;
    const list = exposeNamed(perServer, this.services.logger, kind === 'tools' ? 'tool' : 'prompt').exposed;
    const entry = { inputs, list, byName: new Map(list.map((t) => [t.exposed, t])) };
    this.#exposure.set(kind, entry);
    return entry;
  }

  /**
   * Which server serves a resource URI: the first server (in configuration order) whose
   * resource list has it, else the first whose URI templates match it. Unknown URIs are refused.
   */
  async serverForResource(uri: string): Promise<string | undefined> {
    return (await this.resourceTarget(uri))?.server;
  }

  /** As `serverForResource`, with the resource or template definition that matched (for the supply guard). */
  async resourceTarget(uri: string): Promise<ResourceTarget | undefined> {
    const servers = [...this.slots.keys()];
    const lists = await Promise.all(
      servers.map(async (server) => {
        try {
          return {
            server,
            resources: await this.list(server, 'resources'),
            templates: await this.list(server, 'resourceTemplates'),
          };
        } catch {
          return { server, resources: [], templates: [] };
        }
      }),
    );
    // Configuration order decides, as in listings: a later server never takes over a URI (SH-1).
    const exact = lists.find((l) => l.resources.some((r) => r.uri === uri));
    if (exact !== undefined) return { server: exact.server, kind: 'resource', key: uri };
    for (const l of lists) {
      const t = l.templates.find(
        (x) => typeof x.uriTemplate === 'string' && templateMatches(x.uriTemplate, uri),
      );
      if (t !== undefined)
        return { server: l.server, kind: 'resource-template', key: t.uriTemplate as string };
    }
    return undefined;
  }

  #fromUpstream(server: string, method: string, raw: Record<string, unknown> | undefined): void {
    let params: Record<string, unknown> | undefined;
    try {
      params = this.#clean(raw);
    } catch {
      // fail closed: what cannot be checked for secrets is not relayed
      this.services.logger.warn('dropped an upstream notification too deeply nested to check for secrets', {
        server,
      });
      return;
    }
    const relist = (CHANGED_LISTS[method] ?? []).filter((k) =>
      k === 'tools' ? this.supply.listChanged(server) : this.supply.itemsChanged(server, ITEM_KIND[k]),
    );
    if (method.endsWith('/list_changed')) {
      for (const key of [...this.#lists.keys()])
        if (key.startsWith(`${server}\u0000`)) this.#lists.delete(key);
    }
    // Re-list at once: the scanner and pins judge the new list before anyone uses it (RP-1, RP-2).
    for (const k of relist) void this.list(server, k).catch(() => {});
    if (method === 'notifications/progress') {
      const route = this.progressRoutes.get(`${server}\u0000${String(params?.progressToken)}`);
      route?.channel?.send({
        jsonrpc: '2.0',
        method,
        params: { ...params, progressToken: route.clientToken },
      });
      return;
    }
    if (method === 'notifications/cancelled') return; // upstream gave up on a request; its response never comes
    const msg = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    if (method === 'notifications/message') {
      this.#sendRelatedOrStandalone(server, msg);
      return;
    }
    this.channel?.send(msg);
  }

  /** Upstream progress tokens (per server) → the client's own token and its request's channel. */
  readonly progressRoutes = new Map<string, { clientToken: unknown; channel: ClientChannel | undefined }>();

  #sendRelatedOrStandalone(server: string, msg: Record<string, unknown>): boolean {
    for (const f of [...this.inflight.values()].reverse()) {
      if (f.server === server && f.channel?.send(msg) === true) return true;
    }
    return this.channel?.send(msg) ?? false;
  }

  #pendingToClient = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  #clientReqId = 0;

  /**
   * A server-initiated request (sampling, elicitation, roots/list): relayed to the client on the
   * stream of an in-flight request to that server, else on the standalone stream (THREATS PI-4:
   * the gateway audits it; policy on these requests is a documented follow-up).
   */
  #requestFromUpstream(
    server: string,
    method: string,
    raw: Record<string, unknown> | undefined,
  ): Promise<unknown> {
    if (method === 'ping') return Promise.resolve({});
    let params: Record<string, unknown> | undefined;
    try {
      params = this.#clean(raw);
    } catch {
      return Promise.reject(
        new UpstreamRpcError(server, {
          code: -32602,
          message: 'Invalid params: too deeply nested to check for secrets',
        }),
      );
    }
    if (
      !RELAYED_REQUESTS.has(method) ||
      relayedCapabilities(this.clientCapabilities)[method.split('/')[0]!] === undefined
    ) {
      return Promise.reject(
        new UpstreamRpcError(server, {
          code: -32601,
          message: `Method not found: ${method.slice(0, 60)} is not relayed by the gateway`,
        }),
      );
    }
    const id = `warden-${++this.#clientReqId}`;
    const msg = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
    return new Promise((resolve, reject) => {
      this.#pendingToClient.set(id, { resolve, reject });
      void this.services.audit
        .append({
          kind: 'mcp.server_request',
          principal: this.principal.agentName,
          session: this.id,
          server,
          method,
        })
        .catch(() => {});
      if (!this.#sendRelatedOrStandalone(server, msg)) {
        this.#pendingToClient.delete(id);
        reject(
          new UpstreamRpcError(server, {
            code: -32601,
            message: `the client has no open stream for ${method}`,
          }),
        );
      }
    });
  }

  /** A response from the client to a server-initiated request. False when the id is unknown. */
  answerFromClient(
    id: string | number,
    result: unknown,
    error: { code: number; message: string; data?: unknown } | undefined,
  ): boolean {
    const p = this.#pendingToClient.get(String(id));
    if (p === undefined) return false;
    this.#pendingToClient.delete(String(id));
    if (error !== undefined) p.reject(new UpstreamRpcError('client', error));
    else p.resolve(result);
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.services.monitor?.monitor.endSession(this.id);
    for (const f of this.inflight.values()) f.abort.abort();
    for (const p of this.#pendingToClient.values()) p.reject(new Error('session closed'));
    this.#pendingToClient.clear();
    await Promise.all([...this.slots.values()].map((s) => s.stop().catch(() => {})));
  }
}
