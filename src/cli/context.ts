import { loadConfig } from '../config/index.ts';
import type { WardenConfig } from '../config/index.ts';
import { migrate, openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { AgentRegistry, identityMigrations } from '../identity/index.ts';
import type { Identity } from '../identity/index.ts';
import { openIdentity } from '../gateway/index.ts';
import { AuditLog, loadOrCreateAuditKeys } from '../audit/index.ts';
import type { GlobalOptions } from './output.ts';

/** Loads warden.yaml with the global flags applied. */
export function config(opts: GlobalOptions): WardenConfig {
  return loadConfig(opts.config, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
}

/** Runs `fn` with the store open, closing it afterwards whatever happens. */
export async function withStore<T>(
  opts: GlobalOptions,
  fn: (store: Store, cfg: WardenConfig) => Promise<T>,
): Promise<T> {
  const cfg = config(opts);
  const store = await openStore({ url: cfg.store.url, dataDir: cfg.dataDir });
  try {
    return await fn(store, cfg);
  } finally {
    await store.close();
  }
}

export async function withRegistry<T>(
  opts: GlobalOptions,
  fn: (r: AgentRegistry, cfg: WardenConfig) => Promise<T>,
): Promise<T> {
  return withStore(opts, async (store, cfg) => {
    await migrate(store, 'identity', identityMigrations);
    return fn(new AgentRegistry(store), cfg);
  });
}

export async function withAudit<T>(
  opts: GlobalOptions,
  fn: (a: AuditLog, cfg: WardenConfig) => Promise<T>,
): Promise<T> {
  return withStore(opts, async (store, cfg) => {
    const audit = await AuditLog.open(store, {
      keys: loadOrCreateAuditKeys(cfg.dataDir),
      verifyTailOnOpen: 0,
      checkpointLog: false,
    });
    try {
      return await fn(audit, cfg);
    } finally {
      await audit.close();
    }
  });
}

/** Runs `fn` with the identity services of this configuration (tokens, keys, revocations). */
export async function withIdentity<T>(
  opts: GlobalOptions,
  fn: (id: Identity, cfg: WardenConfig) => Promise<T>,
): Promise<T> {
  return withStore(opts, async (store, cfg) =>
    fn(await openIdentity(store, cfg, cfg.gateway.publicUrl), cfg),
  );
}
