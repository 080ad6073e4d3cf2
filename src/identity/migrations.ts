import type { Migration } from '../store/index.ts';

/** The identity domain's tables (prefix `identity_`). Append new migrations; never edit old ones. */
export const identityMigrations: readonly Migration[] = [
  {
    id: '001-agents',
    sqlite: `
CREATE TABLE identity_agents (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, roles TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, disabled_at BIGINT);
CREATE TABLE identity_api_keys (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES identity_agents(id), hash BLOB NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX identity_api_keys_agent ON identity_api_keys (agent_id);
CREATE TABLE identity_state (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO identity_state (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
    postgres: `
CREATE TABLE identity_agents (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, roles TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, disabled_at BIGINT);
CREATE TABLE identity_api_keys (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES identity_agents(id), hash BYTEA NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX identity_api_keys_agent ON identity_api_keys (agent_id);
CREATE TABLE identity_state (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO identity_state (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
  },
  {
    id: '002-tokens-keys',
    sqlite: `
CREATE TABLE identity_signing_keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, public_jwk TEXT NOT NULL, private_enc BLOB NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT, verify_until BIGINT);
CREATE TABLE identity_tokens (jti TEXT PRIMARY KEY, agent_id TEXT NOT NULL, actor_id TEXT NOT NULL, parent_jti TEXT, task TEXT, grant_id TEXT NOT NULL, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX identity_tokens_parent ON identity_tokens (parent_jti);
CREATE INDEX identity_tokens_task ON identity_tokens (task);
CREATE TABLE identity_revocations (kind TEXT NOT NULL, subject TEXT NOT NULL, revoked_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (kind, subject));
CREATE TABLE identity_client_keys (kid TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES identity_agents(id), public_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX identity_client_keys_agent ON identity_client_keys (agent_id);
CREATE TABLE identity_assertions (agent_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (agent_id, jti))`,
    postgres: `
CREATE TABLE identity_signing_keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, public_jwk TEXT NOT NULL, private_enc BYTEA NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT, verify_until BIGINT);
CREATE TABLE identity_tokens (jti TEXT PRIMARY KEY, agent_id TEXT NOT NULL, actor_id TEXT NOT NULL, parent_jti TEXT, task TEXT, grant_id TEXT NOT NULL, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX identity_tokens_parent ON identity_tokens (parent_jti);
CREATE INDEX identity_tokens_task ON identity_tokens (task);
CREATE TABLE identity_revocations (kind TEXT NOT NULL, subject TEXT NOT NULL, revoked_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (kind, subject));
CREATE TABLE identity_client_keys (kid TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES identity_agents(id), public_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX identity_client_keys_agent ON identity_client_keys (agent_id);
CREATE TABLE identity_assertions (agent_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (agent_id, jti))`,
  },
];
