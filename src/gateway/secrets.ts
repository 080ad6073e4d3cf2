/**
 * The secret broker on the gateway's path (docs/secrets.md): opens the encrypted store under the
 * master key, builds the broker from the configured providers, injects each server's secrets
 * (env for stdio, headers for remote, placeholders swapped by the sandbox egress proxy), and
 * rotates on schedule. Redaction of what leaves the gateway lives in secrets-redact.ts.
 *
 * Secrets are named, never shown: logs and audit rows carry names and HMAC fingerprints.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandSpec, SecretsConfig, ServerConfig, WardenConfig } from '../config/index.ts';
import { readEnv } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { SqlClient } from '../store/index.ts';
import type { EgressRewrite, Launcher } from '../sandbox/index.ts';
import { PlainLauncher, runToEnd } from '../sandbox/index.ts';
import {
  SecretBroker,
  SecretStore,
  SecretsError,
  commandProvider,
  createSubstituter,
  envProvider,
  loadOrCreateKeyFile,
  masterKeyFromBytes,
  placeholderFor,
  plantCanaries,
  storeProvider,
} from '../secrets/index.ts';
import type { MasterKey, Redactor, RunCommand, SecretProvider } from '../secrets/index.ts';

/** What one launch of a server receives. */
export interface Injection {
  readonly env: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly egressRewrite?: EgressRewrite;
}

export interface GatewaySecretsOptions {
  readonly config: WardenConfig;
  readonly db: SqlClient;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Runs provider, key and rotation commands (default: PlainLauncher, no shell). */
  readonly runCommand?: RunCommand;
}

const DEFAULT_SECRETS: SecretsConfig = {
  masterKey: { kind: 'file', path: '' },
  graceMs: 24 * 60 * 60 * 1000,
  patterns: true,
  canaries: 0,
  sources: {},
  upstreamCa: [],
};

/** Runs an argv through a launcher (never a shell) with a minimal environment; stdout on exit 0. */
export function launcherCommand(launcher: Launcher = new PlainLauncher()): RunCommand {
  return async (argv) => {
    const env: Record<string, string> = {};
    for (const k of ['PATH', 'HOME', 'GNUPGHOME', 'PASSWORD_STORE_DIR']) {
      const v = readEnv(k);
      if (v !== undefined) env[k] = v;
    }
    const r = await runToEnd(launcher, {
      command: argv[0]!,
      args: argv.slice(1),
      env,
      label: 'secret-command',
    });
    if (r.code !== 0) throw new Error(`exit ${r.code ?? r.signal ?? '?'}`);
    return r.stdout;
  };
}

const argvOf = (c: CommandSpec): string[] => [c.command, ...c.args];

/** Reads the master key from its configured source; ERR_SECRET_MASTER_KEY names what is wrong. */
export async function loadMasterKey(
  cfg: SecretsConfig,
  dataDir: string,
  run: RunCommand,
): Promise<MasterKey> {
  const mk = cfg.masterKey;
  switch (mk.kind) {
    case 'file': {
      const path = mk.path === '' ? `${dataDir}/secrets.key` : mk.path;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      return loadOrCreateKeyFile(path);
    }
    case 'env': {
      const v = readEnv(mk.variable);
      if (v === undefined)
        throw new SecretsError('ERR_SECRET_MASTER_KEY', `master key variable ${mk.variable} is not set`);
      return masterKeyFromBytes(v);
    }
    case 'command': {
      let out: string;
      try {
        out = await run(argvOf(mk.command));
      } catch {
        throw new SecretsError('ERR_SECRET_MASTER_KEY', `master key command ${mk.command.command} failed`);
      }
      return masterKeyFromBytes(out.trim());
    }
  }
}

/** Every secret name a server asks for (env, headers, placeholders). */
export function secretNamesOf(server: ServerConfig): string[] {
  const s = server.secrets;
  if (s === undefined) return [];
  const names = new Set<string>([...Object.values(s.env), ...Object.keys(s.placeholders)]);
  for (const t of Object.values(s.headers))
    for (const m of t.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
  return [...names];
}

export class GatewaySecrets {
  readonly broker: SecretBroker;
  readonly store: SecretStore;
  readonly config: SecretsConfig;
  readonly #run: RunCommand;
  readonly #logger: Logger;
  readonly #canaries: readonly string[];
  readonly #listeners = new Set<(name: string) => void>();
  readonly #timers: NodeJS.Timeout[] = [];
  #audit: AuditLog | undefined;
  /** Store versions last seen, to notice rotations made by another process (`warden secret rotate`). */
  #versions = new Map<string, number>();

  private constructor(
    broker: SecretBroker,
    store: SecretStore,
    config: SecretsConfig,
    run: RunCommand,
    logger: Logger,
    canaries: readonly string[],
  ) {
    this.broker = broker;
    this.store = store;
    this.config = config;
    this.#run = run;
    this.#logger = logger;
    this.#canaries = canaries;
  }

  /** Opens the store (a wrong master key stops start-up, nothing changed) and the broker. */
  static async open(opts: GatewaySecretsOptions): Promise<GatewaySecrets> {
    const cfg = opts.config.secrets ?? DEFAULT_SECRETS;
    const run = opts.runCommand ?? launcherCommand();
    const key = await loadMasterKey(cfg, opts.config.dataDir, run);
    const store = await SecretStore.open(opts.db, key, { clock: opts.clock, graceMs: cfg.graceMs });
    const canaries: string[] = [];
    if (cfg.canaries > 0) {
      const planted = plantCanaries(cfg.canaries);
      for (const c of planted) {
        if (!(await store.has(c.name))) await store.set(c.name, c.value);
        canaries.push(c.name);
      }
    }
    const broker = await SecretBroker.create({
      store,
      sources: buildSources(opts.config, cfg, store, run, opts.clock),
      patterns: cfg.patterns,
      graceMs: cfg.graceMs,
      clock: opts.clock,
    });
    return new GatewaySecrets(broker, store, cfg, run, opts.logger, canaries);
  }

  redactor(): Redactor {
    return this.broker.redactor();
  }

  /** HMAC-SHA256 fingerprint of a value (for audit rows and logs; never the value). */
  fingerprint(value: string): string {
    return this.store.fingerprint(value);
  }

  /** Fingerprints of the current values of `names` (names whose value is unknown are skipped). */
  fingerprints(names: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = this.broker.currentValue(n);
      if (v !== undefined) out[n] = this.fingerprint(v);
    }
    return out;
  }

  /** Whether a server's configuration asks for `name` (or gets it as a canary). */
  uses(server: ServerConfig, name: string): boolean {
    return secretNamesOf(server).includes(name) || (server.kind === 'stdio' && this.#canaries.includes(name));
  }

  /**
   * Resolves what one launch of `server` receives. Any provider failure rejects (the server fails
   * closed with the provider's message, which names the secret, never its value).
   */
  async inject(server: ServerConfig, launcher: Launcher): Promise<Injection> {
    const s = server.secrets;
    const env: Record<string, string> = {};
    const headers: Record<string, string> = {};
    if (server.kind === 'stdio') {
      for (const [i, name] of this.#canaries.entries()) {
        const value = this.broker.currentValue(name);
        if (value !== undefined) env[`WARDEN_CANARY_${i + 1}`] = value;
      }
    }
    if (s === undefined) return { env, headers };
    for (const [variable, name] of Object.entries(s.env)) env[variable] = await this.broker.resolve(name);
    for (const [h, template] of Object.entries(s.headers)) {
      let out = template;
      for (const m of template.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g))
        out = out.split(m[0]).join(await this.broker.resolve(m[1]!));
      if (/[\r\n\0]/.test(out))
        throw new SecretsError(
          'ERR_SECRET_UNAVAILABLE',
          `header ${h} of server ${server.name} would contain CR, LF or NUL`,
        );
      headers[h] = out;
    }
    const placeholders = Object.entries(s.placeholders);
    if (placeholders.length === 0) return { env, headers };
    if (launcher.kind === 'plain') {
      throw new SecretsError(
        'ERR_SECRET_UNAVAILABLE',
        `server ${server.name} uses secret placeholders, which need the sandbox egress proxy; it is not sandboxed`,
      );
    }
    const bindings = [];
    for (const [name, p] of placeholders) {
      const placeholder = placeholderFor(name);
      bindings.push({ name, placeholder, value: await this.broker.resolve(name), hosts: p.hosts });
      env[p.env] = placeholder;
    }
    const substituter = createSubstituter(bindings, { guard: this.redactor() });
    // HTTPS to a bound host is intercepted by the sandbox's CA and sent on over TLS verified
    // against the system store plus secrets.upstream_ca (there is no switch to skip verification)
    const egressRewrite: EgressRewrite = Object.assign(substituter, { upstreamCa: this.config.upstreamCa });
    return { env, headers, egressRewrite };
  }

  /** Called with a secret's name after it rotated (sessions restart the servers that use it). */
  onRotated(listener: (name: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Rotates one secret: a store secret gets `newValue` (or its rotate_command's output) as the
   * next version; a command secret is fetched again. The old value stays redacted for the grace
   * period; the rotation is audited by fingerprint; servers using it restart.
   */
  async rotate(name: string, newValue?: string): Promise<void> {
    const src = this.config.sources[name];
    const before = this.fingerprints([name])[name];
    try {
      if (src?.provider === 'command') await this.broker.refresh(name);
      else {
        let value = newValue;
        if (value === undefined) {
          if (src?.rotateCommand === undefined) throw new TypeError(`secret ${name} has no rotate_command`);
          value = (await this.#run(argvOf(src.rotateCommand))).replace(/\r?\n$/, '');
        }
        await this.broker.rotate(name, value);
      }
    } catch (e) {
      const reason = e instanceof SecretsError ? e.message : `rotation failed (${(e as Error).name})`;
      this.#logger.error('secret rotation failed', { secret: name, reason });
      await this.#audit?.append({
        kind: 'secret.rotation_failed',
        outcome: 'error',
        data: { secret: name, reason },
      });
      throw e;
    }
    const after = this.fingerprints([name])[name];
    const info = await this.store.info(name).catch(() => undefined);
    if (info !== undefined) this.#versions.set(name, info.version);
    await this.#audit?.append({
      kind: 'secret.rotated',
      outcome: 'ok',
      data: {
        secret: name,
        ...(info ? { version: info.version } : {}),
        from: before ?? null,
        to: after ?? null,
      },
    });
    this.#logger.info('secret rotated', { secret: name, fingerprint: after });
    for (const l of this.#listeners) l(name);
  }

  /**
   * Re-reads the store: a secret whose version changed elsewhere (the CLI) joins the redaction
   * set and the servers using it restart. Returns the names that changed.
   */
  async refreshFromStore(): Promise<string[]> {
    const list = await this.store.list();
    const changed = list
      .filter((i) => (this.#versions.get(i.name) ?? i.version) !== i.version)
      .map((i) => i.name);
    this.#versions = new Map(list.map((i) => [i.name, i.version]));
    if (changed.length === 0) return [];
    await this.broker.reloadStore();
    for (const name of changed) {
      this.#logger.info('secret changed in the store', { secret: name });
      for (const l of this.#listeners) l(name);
    }
    return changed;
  }

  /** Starts the `rotate_every` timers (store secrets resume from their last rotation) and the store watch. */
  async startRotation(audit: AuditLog, clock: Clock, watchEveryMs = 30_000): Promise<void> {
    this.#audit = audit;
    this.#versions = new Map((await this.store.list()).map((i) => [i.name, i.version]));
    const watch = setInterval(() => void this.refreshFromStore().catch(() => {}), watchEveryMs);
    watch.unref();
    this.#timers.push(watch);
    for (const [name, src] of Object.entries(this.config.sources)) {
      const every = src.rotateEveryMs;
      if (every === undefined) continue;
      let due = every;
      if (src.provider === 'store') {
        const info = await this.store.info(name).catch(() => undefined);
        if (info !== undefined)
          due = Math.max(0, (info.lastRotatedAt ?? info.createdAt) + every - clock.now());
      }
      this.#schedule(name, due, every);
    }
  }

  #schedule(name: string, inMs: number, every: number): void {
    const t = setTimeout(
      () => {
        this.rotate(name)
          .catch(() => {})
          .finally(() => this.#schedule(name, every, every));
      },
      Math.min(inMs, 2 ** 31 - 1),
    );
    t.unref();
    this.#timers.push(t);
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t); // also clears the interval
    this.#timers.length = 0;
    this.#listeners.clear();
  }
}

function buildSources(
  config: WardenConfig,
  cfg: SecretsConfig,
  store: SecretStore,
  run: RunCommand,
  clock: Clock,
): Record<string, SecretProvider> {
  const names = new Set<string>(Object.keys(cfg.sources));
  for (const s of config.servers) for (const n of secretNamesOf(s)) names.add(n);
  const fromStore = storeProvider(store);
  const envVars: Record<string, string> = {};
  const envValues: Record<string, string | undefined> = {};
  const commands: Record<string, string[]> = {};
  const ttls = new Map<number | undefined, Record<string, string[]>>();
  for (const [name, src] of Object.entries(cfg.sources)) {
    if (src.provider === 'env') {
      envVars[name] = src.env!;
      envValues[src.env!] = readEnv(src.env!);
    }
    if (src.provider === 'command') {
      commands[name] = argvOf(src.command!);
      const group = ttls.get(src.ttlMs) ?? {};
      group[name] = commands[name];
      ttls.set(src.ttlMs, group);
    }
  }
  const env = envProvider(envValues, envVars);
  const byTtl = new Map<number | undefined, SecretProvider>();
  for (const [ttl, group] of ttls)
    byTtl.set(
      ttl,
      commandProvider({
        commands: group,
        runCommand: run,
        clock,
        ...(ttl === undefined ? {} : { ttlMs: ttl }),
      }),
    );
  const out: Record<string, SecretProvider> = {};
  for (const n of names) {
    const src = cfg.sources[n];
    out[n] = src?.provider === 'env' ? env : src?.provider === 'command' ? byTtl.get(src.ttlMs)! : fromStore;
  }
  return out;
}
