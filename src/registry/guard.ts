/**
 * One call for the gateway when a server's tools are listed (first listing and after every
 * `list_changed`): scan every definition, check pins (and the signed catalog's pins when
 * enforced), record the list for split-view detection, and decide per tool whether it may be
 * exposed and called.
 *
 * - malicious → never callable (quarantined: absent from tools/list, calls refused);
 * - suspicious → per `suspicious`: 'allow' (callable), 'hold' (pending until approved), 'block';
 * - a tool that is not clean is never trusted on first sight: it is held for approval;
 * - pins: only `ok` / `new` are callable (changed, pending and rejected are not);
 * - catalog (when given): a tool whose pin differs from the catalog's, or that the catalog does
 *   not list while listing others, is not callable; a catalog match counts as approval;
 * - split view (RP-3) or an oversized list/definition (TP-5): the whole server is blocked.
 */
import { ITEM_KEY, scanItems, scanTools } from '../scan/index.ts';
import type { ItemScanResult, ScanLimits, ToolScanResult } from '../scan/index.ts';
import { DEFAULT_LIMITS } from '../scan/index.ts';
import type { CatalogEntry } from './catalog-schema.ts';
import { checkCatalogTools } from './admission.ts';
import { listHash, pinHash } from './pin.ts';
import type { PinKind } from './pin.ts';
import { isCallable } from './pin-store.ts';
import type { FirstSight, PinCheck, PinStore } from './pin-store.ts';
import type { ObserveResult } from './split-view.ts';

export type SuspiciousAction = 'allow' | 'hold' | 'block';

export interface GuardOptions {
  /** First-sight policy for clean tools: 'trust' (pin now) or 'hold'. Use 'hold' after list_changed (RP-2). */
  readonly firstSight: FirstSight;
  /** What to do with tools the scanner calls suspicious. */
  readonly suspicious: SuspiciousAction;
  /** Who asked for the list (session or agent id), for split-view detection. */
  readonly callerId: string;
  /**
   * The key lists are compared under for split-view detection (default: the server name). The
   * gateway appends the client capabilities it relays (`fs+sampling`), because servers may
   * legitimately offer tools only to clients with a capability.
   */
  readonly viewKey?: string;
  /** True for the first listing after a `notifications/tools/list_changed`. */
  readonly listChanged?: boolean;
  /** Exposed names of the OTHER servers' tools (`server.tool`), for shadowing rules. */
  readonly otherServerTools?: readonly string[];
  readonly limits?: Partial<ScanLimits>;
  /** Pins (sha256:…) an operator accepted although the scanner flags them (false positives). */
  readonly acceptedPins?: readonly string[];
  /** The verified catalog entry of this server when `catalog.enforce` is on. */
  readonly catalogEntry?: CatalogEntry;
}

export type DecisionReason =
  | 'ok'
  | 'malicious'
  | 'suspicious'
  | 'changed'
  | 'pending'
  | 'rejected'
  | 'catalog-mismatch'
  | 'split-view'
  | 'oversized';

export interface ToolDecision {
  readonly tool: string;
  readonly callable: boolean;
  readonly reason: DecisionReason;
  readonly scan: ToolScanResult;
  readonly pin?: PinCheck;
}

export interface GuardResult {
  readonly tools: readonly ToolDecision[];
  readonly split: ObserveResult;
  /** Set when the whole server must be blocked (split view, oversized). */
  readonly serverBlocked: DecisionReason | null;
}

type Def = Readonly<Record<string, unknown>>;

function pinReason(p: PinCheck): DecisionReason {
  switch (p.status) {
    case 'ok':
    case 'new':
      return 'ok';
    case 'changed':
      return 'changed';
    case 'pending':
      return 'pending';
    case 'rejected':
      return 'rejected';
  }
}

export async function guardToolList(
  pins: PinStore,
  server: string,
  defs: readonly Def[],
  opts: GuardOptions,
): Promise<GuardResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const accepted = new Set(opts.acceptedPins ?? []);
  const scans = scanTools(defs, { otherServerTools: opts.otherServerTools ?? [], limits }).map((s, i) =>
    s.verdict !== 'clean' && accepted.has(pinHash(defs[i]!)) ? { ...s, verdict: 'clean' as const } : s,
  );
  const catalog = opts.catalogEntry ? checkCatalogTools(opts.catalogEntry, defs) : [];
  const catalogListsTools =
    opts.catalogEntry !== undefined && Object.keys(opts.catalogEntry.tools).length > 0;
  const catalogOf = new Map(catalog.map((c) => [c.tool, c]));
  const trustNow: Def[] = [];
  const holdNow: Def[] = [];
  defs.forEach((d, i) => {
    const clean =
      scans[i]!.verdict === 'clean' || (scans[i]!.verdict === 'suspicious' && opts.suspicious === 'allow');
    const cat = typeof d['name'] === 'string' ? catalogOf.get(d['name']) : undefined;
    const trust =
      cat?.status === 'match' || (opts.firstSight === 'trust' && clean && cat?.status !== 'mismatch');
    (trust ? trustNow : holdNow).push(d);
  });
  const checks = [
    ...(await pins.check(server, trustNow, { firstSight: 'trust' })),
    ...(await pins.check(server, holdNow, { firstSight: 'hold' })),
  ];
  const pinOf = new Map(checks.map((c) => [c.tool, c]));
  const split = await pins.observe(opts.viewKey ?? server, listHash(defs), opts.callerId, {
    listChanged: opts.listChanged ?? false,
  });
  const oversized =
    defs.length > limits.maxTools ||
    scans.some((s) => s.findings.some((f) => f.ruleId === 'size.definition'));
  const serverBlocked: DecisionReason | null = split.flagged ? 'split-view' : oversized ? 'oversized' : null;
  const tools = scans.map((scan): ToolDecision => {
    const pin = pinOf.get(scan.name);
    const cat = catalogOf.get(scan.name);
    const base = { tool: scan.name, scan, ...(pin ? { pin } : {}) };
    const deny = (reason: DecisionReason): ToolDecision => ({ ...base, callable: false, reason });
    if (serverBlocked) return deny(serverBlocked);
    if (scan.verdict === 'malicious') return deny('malicious');
    if (scan.verdict === 'suspicious' && opts.suspicious === 'block') return deny('suspicious');
    if (cat?.status === 'mismatch' || (catalogListsTools && cat?.status === 'unlisted'))
      return deny('catalog-mismatch');
    if (pin === undefined) return deny('pending');
    if (!isCallable(pin.status)) return deny(pinReason(pin));
    return { ...base, callable: true, reason: 'ok' };
  });
  return { tools, split, serverBlocked };
}

export interface ItemGuardOptions {
  /** First-sight policy for clean items; 'hold' after the kind's list_changed (RP-2). */
  readonly firstSight: FirstSight;
  readonly suspicious: SuspiciousAction;
  /** Exposed names of the other servers' tools (`server.tool`), for shadowing rules (SH-2). */
  readonly otherServerTools?: readonly string[];
  readonly limits?: Partial<ScanLimits>;
  readonly acceptedPins?: readonly string[];
}

export interface ItemDecision {
  readonly kind: PinKind;
  /** The item's key: prompt name, resource URI or URI template. */
  readonly key: string;
  readonly hash: string;
  readonly callable: boolean;
  readonly reason: DecisionReason;
  readonly scan: ItemScanResult;
  readonly pin?: PinCheck;
}

export interface ItemGuardResult {
  readonly items: readonly ItemDecision[];
  /** 'oversized' when the list or one definition is beyond the size limits (TP-5): all blocked. */
  readonly listBlocked: DecisionReason | null;
}

/**
 * `guardToolList` for prompts, resources and resource templates: scan each definition, check
 * it against its pin of that kind, decide whether it may be shown and used. The same verdict
 * rules as tools (malicious quarantined, suspicious per `suspicious`, not-clean never trusted on
 * first sight, only `ok`/`new` pins usable). No catalog pins and no split-view record: the
 * signed catalog pins tools, and resource lists may legitimately change between listings.
 */
export async function guardItemList(
  pins: PinStore,
  server: string,
  kind: Exclude<PinKind, 'tool'>,
  defs: readonly Def[],
  opts: ItemGuardOptions,
): Promise<ItemGuardResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const accepted = new Set(opts.acceptedPins ?? []);
  const keyField = ITEM_KEY[kind];
  const usable = defs.filter((d) => typeof d[keyField] === 'string');
  const hashes = usable.map((d) => pinHash(d, kind));
  const scans = scanItems(kind, usable, { otherServerTools: opts.otherServerTools ?? [], limits }).map(
    (s, i) => (s.verdict !== 'clean' && accepted.has(hashes[i]!) ? { ...s, verdict: 'clean' as const } : s),
  );
  const trustNow: Def[] = [];
  const holdNow: Def[] = [];
  usable.forEach((d, i) => {
    const v = scans[i]!.verdict;
    const clean = v === 'clean' || (v === 'suspicious' && opts.suspicious === 'allow');
    (opts.firstSight === 'trust' && clean ? trustNow : holdNow).push(d);
  });
  const checks = [
    ...(await pins.check(server, trustNow, { firstSight: 'trust', kind })),
    ...(await pins.check(server, holdNow, { firstSight: 'hold', kind })),
  ];
  const pinOf = new Map(checks.map((c) => [c.tool, c]));
  const oversized =
    defs.length > limits.maxTools ||
    scans.some((s) => s.findings.some((f) => f.ruleId === 'size.definition'));
  const listBlocked: DecisionReason | null = oversized ? 'oversized' : null;
  const items = scans.map((scan, i): ItemDecision => {
    const key = usable[i]![keyField] as string;
    const pin = pinOf.get(key);
    const base = { kind, key, hash: hashes[i]!, scan, ...(pin ? { pin } : {}) };
    const deny = (reason: DecisionReason): ItemDecision => ({ ...base, callable: false, reason });
    if (listBlocked) return deny(listBlocked);
    if (scan.verdict === 'malicious') return deny('malicious');
    if (scan.verdict === 'suspicious' && opts.suspicious === 'block') return deny('suspicious');
    if (pin === undefined) return deny('pending');
    if (!isCallable(pin.status)) return deny(pinReason(pin));
    return { ...base, callable: true, reason: 'ok' };
  });
  return { items, listBlocked };
}
