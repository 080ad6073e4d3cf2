import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { Clock } from '../core/index.ts';
import { newId, systemClock } from '../core/index.ts';
import type { SqlClient } from '../store/index.ts';
import { IdentityError } from './errors.ts';
import { seal, unseal } from './key-file.ts';
import type { IdentityState } from './state.ts';
import { stateFor } from './state.ts';

export interface SigningKeysOptions {
  /** 32-byte key-encryption key (see `loadOrCreateKeyFile`). */
  readonly kek: Buffer;
  readonly clock?: Clock;
  readonly state?: IdentityState;
  /** Scheduled rotation interval (default 24 h). */
  readonly rotationIntervalMs?: number;
  /** How long a retired key keeps verifying: the token TTL cap plus leeway (default 15 min + 60 s). */
  readonly overlapMs?: number;
}

type KeyRow = {
  kid: string;
  public_jwk: string;
  private_enc: Buffer;
  created_at: number;
  retired_at: number | null;
  verify_until: number | null;
};

export interface KeyInfo {
  readonly kid: string;
  readonly createdAt: number;
  readonly retiredAt?: number;
  readonly verifyUntil?: number;
}

const ALG = 'ES256';

/**
 * ES256 signing keys in the store, private halves sealed with the KEK (AES-256-GCM, the kid as
 * associated data). One key signs at a time; rotation (scheduled or on demand) retires the
 * previous one, which keeps verifying for `overlapMs` so every token it signed can expire.
 */
export class SigningKeys {
  readonly #db: SqlClient;
  readonly #kek: Buffer;
  readonly #clock: Clock;
  readonly state: IdentityState;
  readonly #rotationMs: number;
  readonly #overlapMs: number;
  #signer: { version: number; kid: string; key: CryptoKey; createdAt: number } | undefined;
  #verifiers: { version: number; keys: Map<string, { key: CryptoKey; until: number }> } | undefined;
  #lastMissReload = Number.NEGATIVE_INFINITY;
  #rotating: Promise<void> | undefined;

  constructor(db: SqlClient, options: SigningKeysOptions) {
    if (options.kek.length !== 32) throw new RangeError('the key-encryption key must be 32 bytes');
    this.#db = db;
    this.#kek = options.kek;
    this.#clock = options.clock ?? systemClock;
    this.state = options.state ?? stateFor(db, { clock: this.#clock });
    this.#rotationMs = options.rotationIntervalMs ?? 24 * 3600_000;
    this.#overlapMs = options.overlapMs ?? 16 * 60_000;
    if (this.#rotationMs <= 0 || this.#overlapMs <= 0)
      throw new RangeError('rotation interval and overlap must be positive');
  }

  /** The current signing key, rotating first when there is none or it is past its interval. */
  async signer(): Promise<{ kid: string; key: CryptoKey }> {
    const version = await this.state.current();
    const s = this.#signer;
    if (s !== undefined && s.version === version && this.#clock.now() - s.createdAt < this.#rotationMs)
      return s;
    const rows = await this.#db.query<KeyRow>(
      'SELECT * FROM identity_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1',
    );
    const row = rows[0];
    if (row === undefined || this.#clock.now() - Number(row.created_at) >= this.#rotationMs) {
      // One rotation at a time in this process (concurrent first requests must not each rotate);
      // a caller that read "no key" before another's rotation committed checks again first.
      this.#rotating ??= this.#rotateIfStillDue().finally(() => {
        this.#rotating = undefined;
      });
      await this.#rotating;
      return this.signer();
    }
    const jwk = JSON.parse(
      unseal(this.#kek, Buffer.from(row.private_enc), aad(row.kid)).toString('utf8'),
    ) as JWK;
    const key = (await importJWK(jwk, ALG)) as CryptoKey;
    this.#signer = { version, kid: row.kid, key, createdAt: Number(row.created_at) };
    return this.#signer;
  }

  async #rotateIfStillDue(): Promise<void> {
    const rows = await this.#db.query<{ created_at: number }>(
      'SELECT created_at FROM identity_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
    );
    const row = rows[0];
    if (row === undefined || this.#clock.now() - Number(row.created_at) >= this.#rotationMs)
      await this.rotate();
  }

  /** Creates a new signing key and retires the others (they verify for the overlap). */
  async rotate(): Promise<KeyInfo> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = newId('k');
    const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const priv = Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
    const now = this.#clock.now();
    await this.#db.transaction(async (tx) => {
      await tx.run(
        'UPDATE identity_signing_keys SET retired_at = ?, verify_until = ? WHERE retired_at IS NULL',
        [now, now + this.#overlapMs],
      );
      await tx.run(
        'INSERT INTO identity_signing_keys (kid, alg, public_jwk, private_enc, created_at) VALUES (?, ?, ?, ?, ?)',
        [kid, ALG, JSON.stringify(pub), seal(this.#kek, priv, aad(kid)), now],
      );
      await this.state.bump(tx);
    });
    priv.fill(0);
    this.state.markStale();
    return { kid, createdAt: now };
  }

  /** The verification key for `kid`, or null (unknown, expired past its overlap). */
  async verifier(kid: string): Promise<CryptoKey | null> {
    const version = await this.state.current();
    if (this.#verifiers?.version !== version) await this.#loadVerifiers(version);
    let entry = this.#verifiers!.keys.get(kid);
    // A key just created by another process: reload at most once a second (no DB amplification).
    if (entry === undefined && this.#clock.monotonic() - this.#lastMissReload > 1000) {
      this.#lastMissReload = this.#clock.monotonic();
      await this.#loadVerifiers(version);
      entry = this.#verifiers!.keys.get(kid);
    }
    return entry !== undefined && this.#clock.now() < entry.until ? entry.key : null;
  }

  async #loadVerifiers(version: number): Promise<void> {
    const keys = new Map<string, { key: CryptoKey; until: number }>();
    for (const r of await this.#liveRows()) {
      const key = (await importJWK(JSON.parse(r.public_jwk) as JWK, ALG)) as CryptoKey;
      keys.set(r.kid, {
        key,
        until: r.verify_until === null ? Number.POSITIVE_INFINITY : Number(r.verify_until),
      });
    }
    this.#verifiers = { version, keys };
  }

  async #liveRows(): Promise<KeyRow[]> {
    return this.#db.query<KeyRow>(
      'SELECT kid, public_jwk, created_at, verify_until FROM identity_signing_keys WHERE verify_until IS NULL OR verify_until > ? ORDER BY created_at DESC, kid DESC',
      [this.#clock.now()],
    );
  }

  /** Public JWKs of every key that still verifies. */
  async publicJwks(): Promise<JWK[]> {
    return (await this.#liveRows()).map((r) => JSON.parse(r.public_jwk) as JWK);
  }

  /** The JWKS document for `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: await this.publicJwks() };
  }

  async list(): Promise<KeyInfo[]> {
    const rows = await this.#db.query<KeyRow>(
      'SELECT kid, created_at, retired_at, verify_until FROM identity_signing_keys ORDER BY created_at DESC, kid DESC',
    );
    return rows.map((r) => ({
      kid: r.kid,
      createdAt: Number(r.created_at),
      ...(r.retired_at === null ? {} : { retiredAt: Number(r.retired_at) }),
      ...(r.verify_until === null ? {} : { verifyUntil: Number(r.verify_until) }),
    }));
  }

  /** Deletes keys whose overlap ended more than a day ago. */
  async purge(): Promise<number> {
    const r = await this.#db.run(
      'DELETE FROM identity_signing_keys WHERE verify_until IS NOT NULL AND verify_until < ?',
      [this.#clock.now() - 86_400_000],
    );
    return r.changes;
  }
}

function aad(kid: string): string {
  return `warden-signing-key-v1:${kid}`;
}

export function assertKek(kek: Buffer | undefined): Buffer {
  if (kek === undefined || kek.length !== 32)
    throw new IdentityError('ERR_IDENTITY_CONFIG', 'a 32-byte key-encryption key is required');
  return kek;
}
