import type { Migration } from '../store/index.ts';

/** Tables of the secrets domain (prefix `secrets_`). */
export const SECRETS_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-secrets',
    sqlite: `CREATE TABLE secrets_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE secrets_values (name TEXT NOT NULL, version INTEGER NOT NULL, nonce BLOB NOT NULL, ciphertext BLOB NOT NULL, fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL, retired_at INTEGER, rotated INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (name, version));`,
    postgres: `CREATE TABLE secrets_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE secrets_values (name TEXT NOT NULL, version BIGINT NOT NULL, nonce BYTEA NOT NULL, ciphertext BYTEA NOT NULL, fingerprint TEXT NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT, rotated INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (name, version));`,
  },
];
