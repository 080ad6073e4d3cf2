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
];
