import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import { migrate } from '../store/index.ts';
import { AgentRegistry } from './agent-registry.ts';
import { createAuthenticator } from './authenticator.ts';
import { ClientAuthenticator } from './client-auth.ts';
import { identityMigrations } from './migrations.ts';
import { SigningKeys } from './signing-keys.ts';
import { stateFor } from './state.ts';
import { TokenService } from './token-service.ts';
import type { Authenticator } from './types.ts';

export interface IdentityConfig {
  /** Base URI of the gateway (issuer), e.g. http://127.0.0.1:7420 */
  readonly issuer: string;
  /** The resource URI (audience), e.g. http://127.0.0.1:7420/mcp */
  readonly resource: string;
  /** 32-byte key-encryption key for signing keys (see loadOrCreateKeyFile). */
  readonly kek: Buffer;
  /** Whether API keys authenticate /mcp directly (false: they only bootstrap at /token). */
  readonly allowApiKeys: boolean;
  readonly defaultTtlSec?: number;
  readonly maxTtlSec?: number;
  readonly leewaySec?: number;
  readonly maxDepth?: number;
  readonly rotationIntervalMs?: number;
  /** Revocation/disable propagation bound for other processes (default 250 ms, max 500). */
  readonly maxStalenessMs?: number;
  readonly clock?: Clock;
}

export interface Identity {
  readonly registry: AgentRegistry;
  readonly keys: SigningKeys;
  readonly tokens: TokenService;
  readonly clients: ClientAuthenticator;
  readonly authenticator: Authenticator;
  readonly config: IdentityConfig;
  /**
   * Housekeeping to run every minute or so (any replica): rotates the signing key when due,
   * drops expired revocations, lineage rows, used assertion ids and long-retired keys.
   */
  maintain(): Promise<void>;
}

/** Migrates the identity tables and wires every identity service on one store. */
export async function createIdentity(db: SqlClient, config: IdentityConfig): Promise<Identity> {
  await migrate(db, 'identity', identityMigrations);
  const clock = config.clock ?? systemClock;
  const state = stateFor(db, {
    clock,
    ...(config.maxStalenessMs === undefined ? {} : { maxStalenessMs: config.maxStalenessMs }),
  });
  const registry = new AgentRegistry(db, { clock, state });
  const maxTtlSec = config.maxTtlSec ?? 900;
  const leewaySec = config.leewaySec ?? 30;
  const keys = new SigningKeys(db, {
    kek: config.kek,
    clock,
    state,
    overlapMs: (maxTtlSec + leewaySec + 60) * 1000,
    ...(config.rotationIntervalMs === undefined ? {} : { rotationIntervalMs: config.rotationIntervalMs }),
  });
  const tokens = new TokenService(db, registry, keys, {
    issuer: config.issuer,
    audience: config.resource,
    maxTtlSec,
    leewaySec,
    clock,
    ...(config.defaultTtlSec === undefined ? {} : { defaultTtlSec: config.defaultTtlSec }),
    ...(config.maxDepth === undefined ? {} : { maxDepth: config.maxDepth }),
  });
  const trimmed = config.issuer.replace(/\/+$/, '');
  const clients = new ClientAuthenticator(db, registry, {
    audiences: [trimmed, `${trimmed}/token`],
    clock,
    leewaySec,
  });
  const authenticator = createAuthenticator({ registry, tokens, allowApiKeys: config.allowApiKeys, clock });
  const maintain = async (): Promise<void> => {
    await keys.signer();
    await tokens.revocations.purge();
    await keys.purge();
  };
  return { registry, keys, tokens, clients, authenticator, config, maintain };
}
