/**
 * PolicyEngine: loads and validates a directory of `.cedar` files, answers authorization
 * requests synchronously from pre-parsed, partitioned policy sets, and hot-reloads safely
 * (a broken change keeps the previous set).
 */
import { watch as fsWatch } from 'node:fs';
import type { Logger } from '../core/index.ts';
import { describeError, silentLogger } from '../core/index.ts';
import type { CompiledSet } from './compile.ts';
import { compilePolicySet } from './compile.ts';
import { decide, denied, visible } from './decide.ts';
import { readPolicyDir } from './files.ts';
import { Partitioner } from './partition.ts';
import { ACTION_FOR_KIND, buildContext, checkKind, resourceUid } from './request.ts';
import type { Decision, PolicyPrincipal, PolicyRequest, PolicyResource, VisibilityContext } from './types.ts';

export type ReloadResult =
  { readonly ok: true; readonly version: string } | { readonly ok: false; readonly message: string };

export interface PolicyEngineOptions {
  readonly logger?: Logger;
  /** Debounce for `watch()`, in milliseconds (default 200). */
  readonly debounceMs?: number;
}

interface State {
  readonly set: CompiledSet;
  readonly partitions: Partitioner;
  /** isVisible answers for this set; partial evaluation is not pre-parsed and costs ~0.5 ms. */
  readonly visibility: Map<string, boolean>;
  /**
   * authorize() answers for this set, keyed on everything a decision can depend on: the
   * principal and roles, the whole resource, and the exact values of the context attributes the
   * partition's policies read. A pure function of its key, so a hit is the same decision Cedar
   * would give; dropped with the set on reload.
   */
  readonly decisions: Map<string, Decision>;
}

const MAX_VISIBILITY_CACHE = 10_000;

export class PolicyEngine {
  readonly #dir: string | undefined;
  readonly #logger: Logger;
  readonly #debounceMs: number;
  #state: State;
  #reloading: Promise<ReloadResult> | undefined;

  private constructor(set: CompiledSet, dir: string | undefined, opts: PolicyEngineOptions) {
    this.#dir = dir;
    this.#logger = opts.logger ?? silentLogger;
    this.#debounceMs = opts.debounceMs ?? 200;
    this.#state = PolicyEngine.#stateFor(set);
    this.#logLoaded(set);
  }

  /** Reads every `*.cedar` file in `dir` (not recursive). Throws PolicyError. */
  static async load(dir: string, opts: PolicyEngineOptions = {}): Promise<PolicyEngine> {
    const files = await readPolicyDir(dir);
    return new PolicyEngine(compilePolicySet(files), dir, opts);
  }

  /** Builds an engine from in-memory files (`{ 'name.cedar': text }`). Throws PolicyError. */
  static fromText(files: Readonly<Record<string, string>>, opts: PolicyEngineOptions = {}): PolicyEngine {
    return new PolicyEngine(compilePolicySet(files), undefined, opts);
  }

  static #stateFor(set: CompiledSet): State {
    return { set, partitions: new Partitioner(set), visibility: new Map(), decisions: new Map() };
  }

  /** `sha256:<hex>` of the canonical policy set; goes into audit records. */
  get version(): string {
    return this.#state.set.version;
  }

  /** The loaded set (ids, files, lines, effects), e.g. for `explain` and `warden policy list`. */
  get policies(): CompiledSet['policies'] {
    return this.#state.set.policies;
  }

  /** Synchronous; default deny; any evaluation or conversion error denies. */
  authorize(req: PolicyRequest): Decision {
    checkKind(req.action, req.resource);
    const { set, partitions } = this.#state;
    const built = buildContext(req.context);
    if (built.issues.length > 0) {
      return denied(set.version, ['the request cannot be evaluated safely, so it is denied'], built.issues);
    }
    const part = partitions.get(req.action, resourceUid(req.resource), req.resource.server);
    const key = decisionKey(part.contextAttrs, req, built.context);
    const hit = key === undefined ? undefined : this.#state.decisions.get(key);
    if (hit !== undefined) return hit;
    const decision = decide(set, part, req, built.context);
    if (key !== undefined) {
      if (this.#state.decisions.size >= MAX_DECISIONS) this.#state.decisions.clear();
      this.#state.decisions.set(key, decision);
    }
    return decision;
  }

  /**
   * Whether `resource` should be listed for `principal`: Cedar partial evaluation with the
   * arguments (and any context not given) unknown. Visible iff the answer is not a definite deny
   * and some permit is satisfied or still depends on the unknowns; any error hides it.
   */
  isVisible(principal: PolicyPrincipal, resource: PolicyResource, context?: VisibilityContext): boolean {
    const action = ACTION_FOR_KIND[resource.kind];
    const { partitions, visibility } = this.#state;
    const part = partitions.get(action, resourceUid(resource), resource.server);
    const key = visibilityKey(part.contextAttrs, principal, resource, context);
    const cached = key === undefined ? undefined : visibility.get(key);
    if (cached !== undefined) return cached;
    const answer = visible(part, principal, action, resource, context);
    if (key !== undefined) {
      if (visibility.size >= MAX_VISIBILITY_CACHE) visibility.clear();
      visibility.set(key, answer);
    }
    return answer;
  }

  /** Re-reads the directory; on any failure keeps the current set and logs why. */
  reload(): Promise<ReloadResult> {
    const run = async (): Promise<ReloadResult> => {
      if (this.#dir === undefined)
        return { ok: false, message: 'engine was built from text; nothing to reload' };
      try {
        const set = compilePolicySet(await readPolicyDir(this.#dir));
        if (set.version !== this.#state.set.version) {
          this.#state = PolicyEngine.#stateFor(set);
          this.#logLoaded(set);
        }
        return { ok: true, version: set.version };
      } catch (e) {
        const message = e instanceof Error ? e.message : describeError(e);
        this.#logger.warn('policy reload failed; keeping the previous policy set', {
          version: this.#state.set.version,
          error: message,
        });
        return { ok: false, message };
      }
    };
    // Serialize reloads: each one starts after the previous finished.
    const next = (this.#reloading ?? Promise.resolve()).then(run, run);
    this.#reloading = next;
    return next;
  }

  /** Watches the directory and reloads (debounced) on change. Returns a stop function. */
  watch(onChange?: (r: ReloadResult) => void): () => void {
    if (this.#dir === undefined)
      throw new TypeError('policy: watch() needs an engine loaded from a directory');
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const fire = (): void => {
      timer = undefined;
      void this.reload().then((r) => {
        if (!stopped) onChange?.(r);
      });
    };
    const watcher = fsWatch(this.#dir, { persistent: false }, () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, this.#debounceMs);
    });
    watcher.on('error', (e) =>
      this.#logger.warn('policy directory watch failed', { error: describeError(e) }),
    );
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    };
  }

  #logLoaded(set: CompiledSet): void {
    this.#logger.info('policy set loaded', { version: set.version, policies: set.policies.length });
    for (const w of set.warnings) this.#logger.warn('policy validation warning', { warning: w });
    if (set.policies.length === 0) this.#logger.warn('policy set is empty: every request is denied');
  }
}

const MAX_DECISIONS = 10_000;

/**
 * Cache key for authorize: the principal and its roles, the whole resource and the exact
 * converted values of the context attributes the relevant policies read (`now` and `datetime`
 * to the millisecond, so time-dependent policies simply miss). Undefined when unkeyable.
 */
function decisionKey(
  reads: ReadonlySet<string>,
  req: PolicyRequest,
  context: Readonly<Record<string, unknown>>,
): string | undefined {
  try {
    const picked = [...reads].sort().map((name) => [name, context[name] ?? null]);
    return JSON.stringify([
      req.action,
      req.principal.id,
      [...req.principal.roles].sort(),
      req.resource,
      picked,
    ]);
  } catch {
    return undefined;
  }
}

/**
 * Cache key for isVisible: the principal, the whole resource (annotations and trust change the
 * answer) and only the context attributes the relevant policies read, so one answer serves
 * every session; `now` counts to the minute (listing is not the security boundary: every call
 * is authorized exactly). Undefined (no caching) when the context cannot be keyed.
 */
function visibilityKey(
  reads: ReadonlySet<string>,
  p: PolicyPrincipal,
  r: PolicyResource,
  ctx: VisibilityContext | undefined,
): string | undefined {
  const pick = (name: keyof VisibilityContext): unknown => (reads.has(name) ? (ctx?.[name] ?? null) : null);
  try {
    const time = reads.has('now') || reads.has('datetime');
    const minute = time && ctx?.now !== undefined ? Math.floor(ctx.now / 60_000) : null;
    return JSON.stringify([
      p.id,
      [...p.roles].sort(),
      r,
      minute,
      pick('task'),
      pick('session'),
      pick('grant'),
      pick('taint'),
    ]);
  } catch {
    return undefined;
  }
}
