import type { Clock } from '../core/index.ts';
import { newId, systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import { digestsEqual, hashApiKey, newApiKey, parseApiKey } from './api-key.ts';
import type { BootstrapCredential } from './client-auth.ts';
import { newBootstrapKey } from './client-auth.ts';
import { IdentityError } from './errors.ts';
import { parseAgentName, parseRoles } from './schema.ts';
import type { IdentityState } from './state.ts';
import { stateFor } from './state.ts';
import type { Agent } from './types.ts';

type AgentRow = {
  id: string;
  name: string;
  roles: string;
  disabled: number;
  created_at: number;
  disabled_at: number | null;
};

export interface ApiKeyCredential {
  /** The key id (public, safe to log). */
  readonly id: string;
  /** The full bearer string `wdn_<id>_<secret>`: show it once, never store or log it. */
  readonly token: string;
}

export interface AgentRegistryOptions {
  readonly clock?: Clock;
  /** Shared invalidation state; defaults to the one of this store object. */
  readonly state?: IdentityState;
}

const AGENT_COLUMNS = 'id, name, roles, disabled, created_at, disabled_at';

/**
 * Agents as first-class identities over the store. Call `migrate(store, 'identity',
 * identityMigrations)` once before use. Reads by id are cached per state version, so a
 * disable or role change is seen by the next request in this process and within the
 * state's staleness bound by other processes.
 */
export class AgentRegistry {
  readonly #db: SqlClient;
  readonly #clock: Clock;
  readonly state: IdentityState;
  readonly #byId = new Map<string, { version: number; agent: Agent | null }>();

  constructor(db: SqlClient, options: AgentRegistryOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.state = options.state ?? stateFor(db, { clock: this.#clock });
    this.state.onChange(() => this.#byId.clear());
  }

  /**
   * Creates an agent with its first API key and bootstrap key pair: both secrets are returned
   * once; only the key's digest and the pair's public half are stored.
   */
  async create(input: {
    name: string;
    roles?: readonly string[];
  }): Promise<{ agent: Agent; credential: ApiKeyCredential; bootstrap: BootstrapCredential }> {
    const name = parseAgentName(input.name);
    const roles = parseRoles(input.roles ?? []);
    const id = newId('agt_');
    const now = this.#clock.now();
    const key = newApiKey();
    const boot = await newBootstrapKey();
    await this.#db.transaction(async (tx) => {
      const existing = await tx.query('SELECT id FROM identity_agents WHERE name = ?', [name]);
      if (existing.length > 0)
        throw new IdentityError('ERR_AGENT_EXISTS', `agent ${name} already exists`, { name });
      await tx.run(
        'INSERT INTO identity_agents (id, name, roles, disabled, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (name) DO NOTHING',
        [id, name, JSON.stringify(roles), now],
      );
      const check = await tx.query<{ id: string }>('SELECT id FROM identity_agents WHERE name = ?', [name]);
      if (check[0]?.id !== id)
        throw new IdentityError('ERR_AGENT_EXISTS', `agent ${name} already exists`, { name });
      await tx.run('INSERT INTO identity_api_keys (id, agent_id, hash, created_at) VALUES (?, ?, ?, ?)', [
        key.id,
        id,
        key.hash,
        now,
      ]);
      await insertClientKey(tx, boot.kid, id, boot.publicJwk, now);
    });
    const agent = freezeAgent({ id, name, roles, disabled: false, createdAt: now });
    return {
      agent,
      credential: Object.freeze({ id: key.id, token: key.token }),
      bootstrap: Object.freeze({ clientId: id, kid: boot.kid, privateJwk: boot.privateJwk }),
    };
  }

  async list(): Promise<Agent[]> {
    const rows = await this.#db.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM identity_agents ORDER BY name`);
    return rows.map(rowToAgent);
  }

  /** The agent called `name`; throws `ERR_AGENT_NOT_FOUND`. */
  async get(name: string): Promise<Agent> {
    const n = parseAgentName(name);
    const rows = await this.#db.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM identity_agents WHERE name = ?`,
      [n],
    );
    if (rows[0] === undefined)
      throw new IdentityError('ERR_AGENT_NOT_FOUND', `no agent named ${n}`, { name: n });
    return rowToAgent(rows[0]);
  }

  /** The agent with this id, or null; cached per state version (hot path). */
  async findById(id: string): Promise<Agent | null> {
    const version = await this.state.current();
    const hit = this.#byId.get(id);
    if (hit !== undefined && hit.version === version) return hit.agent;
    const rows = await this.#db.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM identity_agents WHERE id = ?`, [
      id,
    ]);
    const agent = rows[0] === undefined ? null : rowToAgent(rows[0]);
    if (this.#byId.size > 10_000) this.#byId.clear();
    this.#byId.set(id, { version, agent });
    return agent;
  }

  /** Disables an agent: its API keys, bootstrap keys and tokens stop working. Idempotent. */
  async disable(name: string): Promise<Agent> {
    const agent = await this.get(name);
    await this.#change(async (tx) => {
      await tx.run('UPDATE identity_agents SET disabled = 1, disabled_at = ? WHERE id = ? AND disabled = 0', [
        this.#clock.now(),
        agent.id,
      ]);
    });
    return this.get(name);
  }

  async setRoles(name: string, roles: readonly string[]): Promise<Agent> {
    const parsed = parseRoles(roles);
    const agent = await this.get(name);
    await this.#change(async (tx) => {
      await tx.run('UPDATE identity_agents SET roles = ? WHERE id = ?', [JSON.stringify(parsed), agent.id]);
    });
    return this.get(name);
  }

  /** Adds an API key to an enabled agent (key rotation); the old keys stay until revoked. */
  async issueApiKey(name: string): Promise<ApiKeyCredential> {
    const agent = await this.get(name);
    if (agent.disabled)
      throw new IdentityError('ERR_AGENT_DISABLED', `agent ${agent.name} is disabled`, { name });
    const key = newApiKey();
    await this.#db.run('INSERT INTO identity_api_keys (id, agent_id, hash, created_at) VALUES (?, ?, ?, ?)', [
      key.id,
      agent.id,
      key.hash,
      this.#clock.now(),
    ]);
    return Object.freeze({ id: key.id, token: key.token });
  }

  /** Adds a bootstrap key pair to an enabled agent; the private half is returned once. */
  async issueBootstrapKey(name: string): Promise<BootstrapCredential> {
    const agent = await this.get(name);
    if (agent.disabled)
      throw new IdentityError('ERR_AGENT_DISABLED', `agent ${agent.name} is disabled`, { name });
    const boot = await newBootstrapKey();
    await insertClientKey(this.#db, boot.kid, agent.id, boot.publicJwk, this.#clock.now());
    return Object.freeze({ clientId: agent.id, kid: boot.kid, privateJwk: boot.privateJwk });
  }

  /** Revokes a bootstrap key by kid; returns whether a live key was revoked. */
  async revokeBootstrapKey(kid: string): Promise<boolean> {
    let changed = 0;
    await this.#change(async (tx) => {
      const r = await tx.run(
        'UPDATE identity_client_keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL',
        [this.#clock.now(), kid],
      );
      changed = r.changes;
    });
    return changed > 0;
  }

  /** Revokes one API key by its id; returns whether a live key was revoked. */
  async revokeApiKey(keyId: string): Promise<boolean> {
    let changed = 0;
    await this.#change(async (tx) => {
      const r = await tx.run(
        'UPDATE identity_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        [this.#clock.now(), keyId],
      );
      changed = r.changes;
    });
    return changed > 0;
  }

  async listApiKeys(name: string): Promise<{ id: string; createdAt: number; revokedAt?: number }[]> {
    const agent = await this.get(name);
    const rows = await this.#db.query<{ id: string; created_at: number; revoked_at: number | null }>(
      'SELECT id, created_at, revoked_at FROM identity_api_keys WHERE agent_id = ? ORDER BY created_at, id',
      [agent.id],
    );
    return rows.map((r) => ({
      id: r.id,
      createdAt: Number(r.created_at),
      ...(r.revoked_at === null ? {} : { revokedAt: Number(r.revoked_at) }),
    }));
  }

  async listBootstrapKeys(name: string): Promise<{ kid: string; createdAt: number; revokedAt?: number }[]> {
    const agent = await this.get(name);
    const rows = await this.#db.query<{ kid: string; created_at: number; revoked_at: number | null }>(
      'SELECT kid, created_at, revoked_at FROM identity_client_keys WHERE agent_id = ? ORDER BY created_at, kid',
      [agent.id],
    );
    return rows.map((r) => ({
      kid: r.kid,
      createdAt: Number(r.created_at),
      ...(r.revoked_at === null ? {} : { revokedAt: Number(r.revoked_at) }),
    }));
  }

  /**
   * Checks a presented API key against the store (no cache: the authenticator caches).
   * Returns the key id and agent id, or null when unknown, revoked or wrong.
   */
  async verifyApiKey(token: string): Promise<{ keyId: string; agentId: string } | null> {
    const parsed = parseApiKey(token);
    if (parsed === null) return null;
    const rows = await this.#db.query<{ agent_id: string; hash: Buffer }>(
      'SELECT agent_id, hash FROM identity_api_keys WHERE id = ? AND revoked_at IS NULL',
      [parsed.id],
    );
    const row = rows[0];
    const presented = hashApiKey(parsed.id, parsed.secret);
    if (row === undefined || !digestsEqual(Buffer.from(row.hash), presented)) return null;
    return { keyId: parsed.id, agentId: row.agent_id };
  }

  /** Runs a change that invalidates cached decisions, bumping the shared state version. */
  async #change(fn: (tx: SqlClient) => Promise<void>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await fn(tx);
      await this.state.bump(tx);
    });
    this.state.markStale();
  }
}

async function insertClientKey(
  db: SqlClient,
  kid: string,
  agentId: string,
  jwk: object,
  now: number,
): Promise<void> {
  await db.run(
    'INSERT INTO identity_client_keys (kid, agent_id, public_jwk, created_at) VALUES (?, ?, ?, ?)',
    [kid, agentId, JSON.stringify(jwk), now],
  );
}

function rowToAgent(r: AgentRow): Agent {
  return freezeAgent({
    id: r.id,
    name: r.name,
    roles: JSON.parse(r.roles) as string[],
    disabled: Number(r.disabled) === 1,
    createdAt: Number(r.created_at),
    ...(r.disabled_at === null ? {} : { disabledAt: Number(r.disabled_at) }),
  });
}

function freezeAgent(a: Agent): Agent {
  return Object.freeze({ ...a, roles: Object.freeze([...a.roles]) });
}
