/**
 * The encrypted secret store over the store port (tables `secrets_*`, SQLite or PostgreSQL).
 *
 * Each version of a secret is one row sealed with AES-256-GCM (seal.ts). A rotation adds a
 * version and marks the previous one retired; retired versions stay readable for the grace
 * period so the redactor keeps hiding them, then `prune` deletes them.
 *
 * The first `open` stores a key check value; a later `open` with another master key fails with
 * ERR_SECRET_MASTER_KEY before anything is read or written.
 */
import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import { migrate } from '../store/index.ts';
import { SecretsError } from './errors.ts';
import { keyCheckMatches, keyCheckValue } from './master-key.ts';
import type { MasterKey } from './master-key.ts';
import { assertSecretName, assertSecretStrength } from './schema.ts';
import { fingerprint, seal, unseal } from './seal.ts';
import { SECRETS_MIGRATIONS } from './migrations.ts';

export interface SecretInfo {
  readonly name: string;
  readonly version: number;
  readonly fingerprint: string;
  readonly createdAt: number;
  /** When the current version was set by a rotation (null if never rotated). */
  readonly lastRotatedAt: number | null;
  /** Retired versions still inside the grace period. */
  readonly graceVersions: number;
}

export interface SecretStoreOptions {
  readonly clock?: Clock;
  /** How long a rotated-out value stays in the redaction set (default 24 h). */
  readonly graceMs?: number;
}

type ValueRow = {
  name: string;
  version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  fingerprint: string;
  created_at: number;
  retired_at: number | null;
  rotated: number;
};

const DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000;

export class SecretStore {
  readonly #db: SqlClient;
  readonly #key: MasterKey;
  readonly #clock: Clock;
  readonly #graceMs: number;

  private constructor(db: SqlClient, key: MasterKey, opts: SecretStoreOptions) {
    this.#db = db;
    this.#key = key;
    this.#clock = opts.clock ?? systemClock;
    this.#graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  }

  /** Migrates, then checks (or, on an empty store, records) the master key's check value. */
  static async open(db: SqlClient, key: MasterKey, opts: SecretStoreOptions = {}): Promise<SecretStore> {
    await migrate(db, 'secrets', SECRETS_MIGRATIONS);
    const kcv = keyCheckValue(key);
    await db.run("INSERT INTO secrets_meta (k, v) VALUES ('kcv', ?) ON CONFLICT (k) DO NOTHING", [kcv]);
    const rows = await db.query<{ v: string }>("SELECT v FROM secrets_meta WHERE k = 'kcv'");
    if (rows.length !== 1 || !keyCheckMatches(key, rows[0]!.v)) {
      throw new SecretsError(
        'ERR_SECRET_MASTER_KEY',
        'the master key does not match this secret store (wrong key file, variable or command); nothing was changed',
      );
    }
    return new SecretStore(db, key, opts);
  }

  /** The fingerprint of a value under this store's key (for audit rows and `list`). */
  fingerprint(value: string): string {
    return fingerprint(this.#key, value);
  }

  /** Stores a new secret; ERR_SECRET_EXISTS if the name is taken (use rotate). */
  async set(name: string, value: string): Promise<SecretInfo> {
    assertSecretName(name);
    assertSecretStrength(value);
    const exists = (): SecretsError =>
      new SecretsError('ERR_SECRET_EXISTS', `secret ${name} already exists: use rotate`, { name });
    if (await this.#exists(name)) throw exists();
    const sealed = seal(this.#key, name, 1, value);
    try {
      await this.#db.run(
        'INSERT INTO secrets_values (name, version, nonce, ciphertext, fingerprint, created_at, retired_at, rotated) VALUES (?, 1, ?, ?, ?, ?, NULL, 0)',
        [name, sealed.nonce, sealed.ciphertext, this.fingerprint(value), this.#clock.now()],
      );
    } catch (e) {
      if (await this.#exists(name)) throw exists();
      throw e;
    }
    return (await this.info(name))!;
  }

  /** The current value; ERR_SECRET_NOT_FOUND if there is none. */
  async get(name: string): Promise<string> {
    assertSecretName(name);
    const row = await this.#current(this.#db, name);
    if (row === undefined)
      throw new SecretsError('ERR_SECRET_NOT_FOUND', `no secret named ${name}`, { name });
    return unseal(this.#key, name, row.version, row);
  }

  async has(name: string): Promise<boolean> {
    return this.#exists(assertSecretName(name));
  }

  /** Names, versions, fingerprints and rotation times; never values. */
  async list(): Promise<SecretInfo[]> {
    const rows = await this.#db.query<ValueRow>('SELECT * FROM secrets_values ORDER BY name, version');
    return summarize(rows, this.#clock.now() - this.#graceMs);
  }

  async info(name: string): Promise<SecretInfo | undefined> {
    const rows = await this.#db.query<ValueRow>(
      'SELECT * FROM secrets_values WHERE name = ? ORDER BY version',
      [assertSecretName(name)],
    );
    return summarize(rows, this.#clock.now() - this.#graceMs)[0];
  }

  /** Deletes every version; false if there was no such secret. */
  async rm(name: string): Promise<boolean> {
    const r = await this.#db.run('DELETE FROM secrets_values WHERE name = ?', [assertSecretName(name)]);
    return r.changes > 0;
  }

  /** Adds a new current version; the previous one is kept for the grace period. */
  async rotate(name: string, newValue: string): Promise<SecretInfo> {
    assertSecretName(name);
    assertSecretStrength(newValue);
    const now = this.#clock.now();
    await this.#db.transaction(async (tx) => {
      const cur = await this.#current(tx, name);
      if (cur === undefined)
        throw new SecretsError('ERR_SECRET_NOT_FOUND', `no secret named ${name}`, { name });
      const version = cur.version + 1;
      const sealed = seal(this.#key, name, version, newValue);
      await tx.run('UPDATE secrets_values SET retired_at = ? WHERE name = ? AND version = ?', [
        now,
        name,
        cur.version,
      ]);
      await tx.run(
        'INSERT INTO secrets_values (name, version, nonce, ciphertext, fingerprint, created_at, retired_at, rotated) VALUES (?, ?, ?, ?, ?, ?, NULL, 1)',
        [name, version, sealed.nonce, sealed.ciphertext, this.fingerprint(newValue), now],
      );
    });
    return (await this.info(name))!;
  }

  /**
   * Every value the redactor must hide: current versions plus retired ones still inside the
   * grace period. Names are the secret names (the redaction rule is `secret:<NAME>`).
   */
  async redactionSet(): Promise<{ name: string; value: string }[]> {
    const cutoff = this.#clock.now() - this.#graceMs;
    const rows = await this.#db.query<ValueRow>(
      'SELECT * FROM secrets_values WHERE retired_at IS NULL OR retired_at > ? ORDER BY name, version',
      [cutoff],
    );
    return rows.map((r) => ({ name: r.name, value: unseal(this.#key, r.name, Number(r.version), r) }));
  }

  /** Deletes retired versions past the grace period; returns how many. */
  async prune(): Promise<number> {
    const cutoff = this.#clock.now() - this.#graceMs;
    const r = await this.#db.run(
      'DELETE FROM secrets_values WHERE retired_at IS NOT NULL AND retired_at <= ?',
      [cutoff],
    );
    return r.changes;
  }

  async #exists(name: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 AS one FROM secrets_values WHERE name = ?', [name]);
    return rows.length > 0;
  }

  async #current(db: SqlClient, name: string): Promise<ValueRow | undefined> {
    const rows = await db.query<ValueRow>(
      'SELECT * FROM secrets_values WHERE name = ? AND retired_at IS NULL ORDER BY version DESC',
      [name],
    );
    const r = rows[0];
    return r === undefined ? undefined : { ...r, version: Number(r.version) };
  }
}

function summarize(rows: readonly ValueRow[], graceCutoff: number): SecretInfo[] {
  const byName = new Map<string, ValueRow[]>();
  for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const out: SecretInfo[] = [];
  for (const [name, versions] of byName) {
    const cur = versions.find((v) => v.retired_at === null);
    if (cur === undefined) continue;
    out.push({
      name,
      version: Number(cur.version),
      fingerprint: cur.fingerprint,
      createdAt: Number(versions[0]!.created_at),
      lastRotatedAt: Number(cur.rotated) === 1 ? Number(cur.created_at) : null,
      graceVersions: versions.filter((v) => v.retired_at !== null && Number(v.retired_at) > graceCutoff)
        .length,
    });
  }
  return out;
}
