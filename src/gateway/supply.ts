/**
 * The tool supply-chain guard on the gateway's path (THREATS §1A–§1C, docs/supply-chain.md §6).
 *
 * - When a session lists a server's tools (first listing, every re-listing after a restart, and
 *   the first listing after `notifications/tools/list_changed`), `guardToolList` scans every
 *   definition, checks it against its pin and the signed catalog, and records the list for
 *   split-view detection. After `list_changed` new tools are held for approval (RP-2).
 * - `tools/list` shows only tools that are callable now; everything else is hidden.
 * - Before a call is forwarded, the definition the session was shown must still match its pin
 *   in the store (`pins.status(...) === 'ok'`), and the server must not be flagged: a rug pull,
 *   an operator's rejection or a split view elsewhere stops the very next call (RP-1, RP-3).
 *
 * - Prompts, resources and resource templates (issue 6): each fetched list is scanned and
 *   pinned by kind (`guardItems`, `guardItemList`) with the server's `tools` settings; blocked
 *   items are hidden from their lists and `prompts/get` / `resources/read` of them refused
 *   (`checkItem`). No split-view record for them (resource lists legitimately change).
 *
 * Pins, approvals and flags live in the gateway's store (SQLite or PostgreSQL), so they survive
 * restarts and are shared by replicas. `warden pins approve` takes effect at the next call (a
 * refusal is never cached); a positive verdict (pin ok, server not flagged) is reused for at
 * most `OK_REUSE_MS`, so `warden pins reject|flag` from another process stops calls within that
 * bound, and anything this process's guard records (a rug pull, a split view) at once.
 */
import { performance } from 'node:perf_hooks';
import type { AuditLog } from '../audit/index.ts';
import type { ServerConfig } from '../config/index.ts';
import type { Logger } from '../core/index.ts';
import { guardItemList, guardToolList, pinHash, PinStore } from '../registry/index.ts';
import type {
  CatalogEntry,
  DecisionReason,
  GuardResult,
  ItemDecision,
  ItemGuardResult,
  PinKind,
  PinStatus,
  ToolDecision,
} from '../registry/index.ts';
import type { SqlClient } from '../store/index.ts';

type Def = Readonly<Record<string, unknown>>;
/** Prompts, resources and resource templates: scanned and pinned like tools (issue 6). */
export type ItemKind = Exclude<PinKind, 'tool'>;
type Blocked = Exclude<DecisionReason, 'ok'>;

/** The reason an agent reads in `error.data.reason` (stable strings). */
export const BLOCK_CODE: Record<Blocked, string> = {
  malicious: 'quarantined',
  suspicious: 'suspicious',
  changed: 'definition_changed',
  pending: 'pending_approval',
  rejected: 'rejected',
  'catalog-mismatch': 'catalog_mismatch',
  'split-view': 'split_view',
  oversized: 'oversized',
};

const BLOCK_MESSAGE: Record<Blocked, string> = {
  malicious: 'quarantined: the scanner found a poisoned definition',
  suspicious: 'blocked: the scanner found the definition suspicious (tools.on_suspicious: block)',
  changed:
    'blocked: its definition changed since it was approved (definition_changed); an operator must review `warden pins diff` and `warden pins approve`',
  pending: 'held: it waits for approval (`warden pins approve`)',
  rejected: 'rejected by an operator',
  'catalog-mismatch': "blocked: its definition does not match the signed catalog's pin",
  'split-view':
    'blocked: its server showed different tool lists to different callers or at different times (split view); an operator must review `warden pins flags`',
  oversized: 'blocked: its server returned a tool list or definition beyond the size limits',
};

/** Reasons that hold whatever the pin store says later. */
const STATIC: ReadonlySet<DecisionReason> = new Set([
  'malicious',
  'suspicious',
  'catalog-mismatch',
  'split-view',
  'oversized',
]);

export type CallCheck =
  | { readonly ok: true; readonly hash: string }
  | { readonly ok: false; readonly reason: Blocked; readonly code: string; readonly message: string };

function blocked(reason: Blocked): CallCheck {
  return { ok: false, reason, code: BLOCK_CODE[reason], message: BLOCK_MESSAGE[reason] };
}

interface ServerState {
  readonly decisions: ReadonlyMap<string, ToolDecision>;
  readonly defs: ReadonlyMap<string, Def>;
  /** Pin hash of each definition, computed once per listing. */
  readonly hashes: ReadonlyMap<string, string>;
  readonly serverBlocked: DecisionReason | null;
}

interface ItemState {
  readonly decisions: ReadonlyMap<string, ItemDecision>;
  readonly defs: ReadonlyMap<string, Def>;
  readonly listBlocked: DecisionReason | null;
}

const ITEM_KEY_FIELD: Readonly<Record<ItemKind, string>> = {
  prompt: 'name',
  resource: 'uri',
  'resource-template': 'uriTemplate',
};

/**
 * How long a positive store verdict (a tool's pin is ok, a server has no split-view flag) is
 * reused without reading the store again: the bound on how late a rejection made by another
 * process (`warden pins reject`, another replica's split-view flag) reaches this gateway. The
 * same order as identity revocation (250 ms). Refusals are never reused.
 */
export const OK_REUSE_MS = 250;

/**
 * What holds a tool or item whatever the pin store says: not listed yet (or no decision), a
 * split view, a blocked list, or a static reason (scanner, catalog, size). Otherwise its
 * decision, whose pin the caller then checks against the store.
 */
function staticVerdict<D extends { readonly reason: DecisionReason }>(
  decisions: ReadonlyMap<string, D> | undefined,
  listBlocked: DecisionReason | null,
  key: string,
  flagged: boolean,
): CallCheck | D {
  if (decisions === undefined) return blocked('pending');
  if (flagged) return blocked('split-view');
  if (listBlocked !== null && listBlocked !== 'ok') return blocked(listBlocked);
  const d = decisions.get(key);
  if (d === undefined) return blocked('pending');
  if (STATIC.has(d.reason)) return blocked(d.reason as Blocked);
  return d;
}

/** A definition's store status as the verdict for a call: `ok`/`new` go on, the rest are held. */
function fromPinStatus(status: PinStatus | 'unknown', hash: string): CallCheck {
  switch (status) {
    case 'ok':
    case 'new':
      return { ok: true, hash };
    case 'changed':
      return blocked('changed');
    case 'rejected':
      return blocked('rejected');
    case 'pending':
    case 'unknown':
      return blocked('pending');
  }
}

/** The body of a `supply.verdict` audit record: the scan, the pin state, whether listed after a change. */
function verdictData(
  scan: {
    readonly verdict: string;
    readonly score: number;
    readonly findings: readonly { ruleId: string; severity: string; pointer: string }[];
  },
  pin: { readonly status: string; readonly oldHash?: string | undefined } | undefined,
  listChanged: boolean,
): Record<string, unknown> {
  return {
    verdict: scan.verdict,
    score: scan.score,
    findings: scan.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, pointer: f.pointer })),
    listChanged,
    ...(pin === undefined
      ? {}
      : { pin: pin.status, ...(pin.oldHash === undefined ? {} : { oldHash: pin.oldHash }) }),
  };
}

/** One per gateway: the pin store, per-server settings and the audit of verdicts. */
export class SupplyGuard {
  readonly pins: PinStore;
  readonly #servers: ReadonlyMap<string, ServerConfig>;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  readonly #catalog: ReadonlyMap<string, CatalogEntry> | undefined;
  /** Last audited (hash, reason) per server/tool: a verdict is recorded when it changes. */
  readonly #audited = new Map<string, string>();
  /** Positive verdicts read from the store, until when they may be reused (monotonic ms). */
  readonly #okUntil = new Map<string, number>();

  constructor(
    pins: PinStore,
    opts: {
      servers: readonly ServerConfig[];
      audit: AuditLog;
      logger: Logger;
      catalog?: ReadonlyMap<string, CatalogEntry> | undefined;
    },
  ) {
    this.pins = pins;
    this.#servers = new Map(opts.servers.map((s) => [s.name, s]));
    this.#audit = opts.audit;
    this.#logger = opts.logger;
    this.#catalog = opts.catalog;
  }

  static async open(db: SqlClient, opts: ConstructorParameters<typeof SupplyGuard>[1]): Promise<SupplyGuard> {
    return new SupplyGuard(await PinStore.open(db), opts);
  }

  /** `capabilities()` names the client capabilities relayed to upstreams (split-view key). */
  forSession(
    callerId: string,
    sessionId: string,
    capabilities: () => readonly string[] = () => [],
  ): SessionSupply {
    return new SessionSupply(this, callerId, sessionId, capabilities);
  }

  /** Open split-view flags of a server, under any capability key. */
  async flagged(server: string): Promise<boolean> {
    const key = `flag\u0000${server}`;
    if (this.#reusable(key)) return false;
    const flagged = (await this.pins.flags()).some(
      (f) => f.server === server || f.server.startsWith(`${server}+`),
    );
    if (!flagged) this.#remember(key);
    return flagged;
  }

  /**
   * The store's pin status of a definition (a tool unless `kind` says otherwise); an `ok` status
   * is reused for `OK_REUSE_MS`.
   */
  async pinStatus(
    server: string,
    tool: string,
    hash: string,
    kind: PinKind = 'tool',
  ): ReturnType<PinStore['status']> {
    const key = `pin\u0000${kind}\u0000${server}\u0000${tool}\u0000${hash}`;
    if (this.#reusable(key)) return 'ok';
    const status = await this.pins.status(server, tool, hash, kind);
    if (status === 'ok') this.#remember(key);
    return status;
  }

  /** Drops every reusable verdict: this process just recorded something in the pin store. */
  forgetVerdicts(): void {
    this.#okUntil.clear();
  }

  #reusable(key: string): boolean {
    const until = this.#okUntil.get(key);
    return until !== undefined && performance.now() < until;
  }

  #remember(key: string): void {
    if (this.#okUntil.size >= 10_000) this.#okUntil.clear();
    this.#okUntil.set(key, performance.now() + OK_REUSE_MS);
  }

  /** Runs the guard over a freshly listed server and audits what changed. */
  async guard(
    server: string,
    defs: readonly Def[],
    callerId: string,
    sessionId: string,
    listChanged: boolean,
    capabilities: readonly string[] = [],
  ): Promise<GuardResult> {
    this.forgetVerdicts();
    const cfg = this.#servers.get(server);
    if (cfg === undefined) throw new TypeError(`unknown server ${server}`);
    const others = await this.#otherServerTools(server);
    const entry = this.#catalog?.get(server);
    const result = await guardToolList(this.pins, server, defs, {
      firstSight: listChanged ? 'hold' : cfg.tools.firstSight,
      suspicious: cfg.tools.onSuspicious,
      callerId,
      viewKey: [server, ...[...capabilities].sort()].join('+'),
      listChanged,
      otherServerTools: others,
      acceptedPins: cfg.tools.acceptPins,
      ...(entry === undefined ? {} : { catalogEntry: entry }),
    });
    await this.#auditResult(server, defs, result, sessionId, callerId, listChanged);
    this.forgetVerdicts(); // the guard run above may have changed pins or flags
    return result;
  }

  /** Pinned tools of the other configured servers (`server.tool`), for shadowing rules (SH-2). */
  async #otherServerTools(server: string): Promise<string[]> {
    return (await this.pins.list(undefined, 'tool'))
      .filter((r) => r.server !== server && this.#servers.has(r.server))
      .map((r) => `${r.server}.${r.tool}`);
  }

  /**
   * Runs the guard over a freshly listed prompt, resource or resource-template list with the
   * server's `tools` settings (first sight, on_suspicious, accept_pins) and audits what changed.
   */
  async guardItems(
    server: string,
    kind: ItemKind,
    defs: readonly Def[],
    callerId: string,
    sessionId: string,
    listChanged: boolean,
  ): Promise<ItemGuardResult> {
    this.forgetVerdicts();
    const cfg = this.#servers.get(server);
    if (cfg === undefined) throw new TypeError(`unknown server ${server}`);
    const result = await guardItemList(this.pins, server, kind, defs, {
      firstSight: listChanged ? 'hold' : cfg.tools.firstSight,
      suspicious: cfg.tools.onSuspicious,
      otherServerTools: await this.#otherServerTools(server),
      acceptedPins: cfg.tools.acceptPins,
    });
    for (const d of result.items) {
      const key = `${server}\u0000${kind}\u0000${d.key}`;
      const sig = `${d.hash}|${d.reason}|${d.pin?.status ?? ''}`;
      if (this.#audited.get(key) === sig) continue;
      await this.#audit.append({
        kind: 'supply.verdict',
        principal: callerId,
        session: sessionId,
        server,
        tool: d.key,
        toolHash: d.hash,
        decision: d.callable ? 'allow' : 'deny',
        reasons: [d.reason],
        data: { kind, name: d.scan.name, ...verdictData(d.scan, d.pin, listChanged) },
      });
      this.#audited.set(key, sig);
      if (!d.callable)
        this.#logger.warn(`${kind} blocked`, {
          server,
          key: d.key,
          reason: d.reason,
          verdict: d.scan.verdict,
        });
    }
    this.forgetVerdicts(); // the guard run above may have changed pins
    return result;
  }

  async #auditResult(
    server: string,
    defs: readonly Def[],
    result: GuardResult,
    session: string,
    principal: string,
    listChanged: boolean,
  ): Promise<void> {
    if (result.split.status === 'split-view') {
      this.#logger.warn('split view: server flagged', { server, reason: result.split.reason });
      await this.#audit.append({
        kind: 'supply.split_view',
        principal,
        session,
        server,
        decision: 'deny',
        reasons: [result.split.reason ?? 'split-view'],
        data: { expectedHash: result.split.expectedHash ?? null },
      });
    }
    const hashOf = new Map(defs.map((d) => [String(d['name']), pinHash(d)]));
    for (const t of result.tools) {
      const hash = hashOf.get(t.tool) ?? '';
      const key = `${server}\u0000${t.tool}`;
      const sig = `${hash}|${t.reason}|${t.pin?.status ?? ''}`;
      if (this.#audited.get(key) === sig) continue;
      await this.#audit.append({
        kind: 'supply.verdict',
        principal,
        session,
        server,
        tool: t.tool,
        toolHash: hash,
        decision: t.callable ? 'allow' : 'deny',
        reasons: [t.reason],
        data: verdictData(t.scan, t.pin, listChanged),
      });
      this.#audited.set(key, sig);
      if (!t.callable)
        this.#logger.warn('tool blocked', {
          server,
          tool: t.tool,
          reason: t.reason,
          verdict: t.scan.verdict,
        });
    }
  }

  async auditListChanged(
    server: string,
    principal: string,
    session: string,
    kind: PinKind = 'tool',
  ): Promise<void> {
    await this.#audit.append({
      kind: 'supply.list_changed',
      principal,
      session,
      server,
      ...(kind === 'tool' ? {} : { data: { kind } }),
    });
  }
}

/** One per client session: the guard's decisions for the lists this session was shown. */
export class SessionSupply {
  readonly #guard: SupplyGuard;
  readonly #callerId: string;
  readonly #sessionId: string;
  readonly #state = new Map<string, ServerState>();
  readonly #changed = new Set<string>();
  readonly #listed = new Set<string>();

  readonly #capabilities: () => readonly string[];

  constructor(
    guard: SupplyGuard,
    callerId: string,
    sessionId: string,
    capabilities: () => readonly string[],
  ) {
    this.#guard = guard;
    this.#capabilities = capabilities;
    this.#callerId = callerId;
    this.#sessionId = sessionId;
  }

  /**
   * The server announced `notifications/tools/list_changed`: its next listing holds new tools.
   * Before this session first listed the server there is nothing to change: servers register
   * tools while they start (e.g. after `initialized`), and that first list is the baseline.
   * Returns true when the caller should re-list the server now (so the guard runs at once).
   */
  listChanged(server: string): boolean {
    if (!this.#listed.has(server)) return false;
    this.#changed.add(server);
    this.#state.delete(server);
    this.#guard.forgetVerdicts();
    void this.#guard.auditListChanged(server, this.#callerId, this.#sessionId).catch(() => {});
    return true;
  }

  readonly #items = new Map<string, ItemState>();
  readonly #itemsChanged = new Set<string>();
  readonly #itemsListed = new Set<string>();

  /**
   * The server announced that its prompts (or resources and templates) changed: as for tools,
   * definitions first seen in the next listing are held for approval (RP-2). Returns true when
   * the caller should re-list now.
   */
  itemsChanged(server: string, kind: ItemKind): boolean {
    const k = `${server}\u0000${kind}`;
    if (!this.#itemsListed.has(k)) return false;
    this.#itemsChanged.add(k);
    this.#items.delete(k);
    void this.#guard.auditListChanged(server, this.#callerId, this.#sessionId, kind).catch(() => {});
    return true;
  }

  /** Called with every freshly fetched prompt, resource or template list (before it is cached). */
  async listedItems(server: string, kind: ItemKind, defs: readonly Def[]): Promise<void> {
    const k = `${server}\u0000${kind}`;
    const changed = this.#itemsChanged.has(k);
    const r = await this.#guard.guardItems(server, kind, defs, this.#callerId, this.#sessionId, changed);
    this.#itemsChanged.delete(k);
    this.#itemsListed.add(k);
    const field = ITEM_KEY_FIELD[kind];
    const defsByKey = new Map<string, Def>();
    for (const d of defs)
      if (typeof d[field] === 'string' && !defsByKey.has(d[field])) defsByKey.set(d[field], d);
    this.#items.set(k, {
      decisions: new Map(r.items.map((d) => [d.key, d])),
      defs: defsByKey,
      listBlocked: r.listBlocked,
    });
  }

  #itemStatic(state: ItemState | undefined, key: string, flagged: boolean): CallCheck | ItemDecision {
    return staticVerdict(state?.decisions, state?.listBlocked ?? null, key, flagged);
  }

  /**
   * Before prompts/get or resources/read is forwarded: the prompt, resource or template this
   * session was shown must match its approved pin now (read from the store).
   */
  async checkItem(server: string, kind: ItemKind, key: string): Promise<CallCheck> {
    const state = this.#items.get(`${server}\u0000${kind}`);
    const s = this.#itemStatic(state, key, await this.#guard.flagged(server));
    if ('ok' in s) return s;
    return fromPinStatus(await this.#guard.pinStatus(server, key, s.hash, kind), s.hash);
  }

  /** Keys (prompt names, URIs, URI templates) of a server's items that may be listed now. */
  async visibleItems(server: string, kind: ItemKind): Promise<ReadonlySet<string>> {
    const state = this.#items.get(`${server}\u0000${kind}`);
    if (state === undefined) return new Set();
    const flagged = await this.#guard.flagged(server);
    const records = new Map((await this.#guard.pins.list(server, kind)).map((r) => [r.tool, r]));
    const out = new Set<string>();
    for (const key of state.defs.keys()) {
      const s = this.#itemStatic(state, key, flagged);
      if ('ok' in s) continue;
      const r = records.get(key);
      if (r?.status === 'trusted' && r.approvedHash === s.hash) out.add(key);
    }
    return out;
  }

  /** Called with every freshly fetched tool list of a server (before it is cached). */
  async listed(server: string, defs: readonly Def[]): Promise<void> {
    const listChanged = this.#changed.has(server);
    const r = await this.#guard.guard(
      server,
      defs,
      this.#callerId,
      this.#sessionId,
      listChanged,
      this.#capabilities(),
    );
    this.#changed.delete(server);
    this.#listed.add(server);
    const defsByName = new Map<string, Def>();
    const hashes = new Map<string, string>();
    for (const d of defs) {
      if (typeof d['name'] !== 'string') continue;
      defsByName.set(d['name'], d);
      hashes.set(d['name'], pinHash(d));
    }
    this.#state.set(server, {
      decisions: new Map(r.tools.map((t) => [t.tool, t])),
      defs: defsByName,
      hashes,
      serverBlocked: r.serverBlocked,
    });
  }

  #staticCheck(state: ServerState | undefined, tool: string, flagged: boolean): CallCheck | ToolDecision {
    return staticVerdict(state?.decisions, state?.serverBlocked ?? null, tool, flagged);
  }

  /**
   * Right before a call is forwarded: the definition this session was shown must match its
   * approved pin now (read from the store, so a change approved or rejected elsewhere counts;
   * a positive answer is reused for at most OK_REUSE_MS).
   */
  async check(server: string, tool: string): Promise<CallCheck> {
    const state = this.#state.get(server);
    const flagged = await this.#guard.flagged(server);
    const s = this.#staticCheck(state, tool, flagged);
    if ('ok' in s) return s;
    const hash = state!.hashes.get(tool)!;
    return fromPinStatus(await this.#guard.pinStatus(server, tool, hash), hash);
  }

  /** The exposed names (of `tools`) that `tools/list` may show now. */
  async visibleExposed(
    tools: readonly { server: string; name: string; exposed: string }[],
  ): Promise<ReadonlySet<string>> {
    const servers = [...new Set(tools.map((t) => t.server))];
    const per = new Map(await Promise.all(servers.map(async (s) => [s, await this.visible(s)] as const)));
    return new Set(tools.filter((t) => per.get(t.server)?.has(t.name) === true).map((t) => t.exposed));
  }

  /** Which of a server's tools may be shown in `tools/list` now. */
  async visible(server: string): Promise<ReadonlySet<string>> {
    const pins = this.#guard.pins;
    const state = this.#state.get(server);
    if (state === undefined) return new Set();
    const flagged = await this.#guard.flagged(server);
    const records = new Map((await pins.list(server, 'tool')).map((r) => [r.tool, r]));
    const out = new Set<string>();
    for (const [tool, hash] of state.hashes) {
      const s = this.#staticCheck(state, tool, flagged);
      if ('ok' in s) continue;
      const r = records.get(tool);
      if (r?.status === 'trusted' && r.approvedHash === hash) out.add(tool);
    }
    return out;
  }
}
