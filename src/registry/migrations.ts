import type { Migration } from '../store/index.ts';

/** registry_ tables: tool pins with the definitions they cover, list observations, flags. */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-pins',
    sqlite: `
CREATE TABLE registry_pins (
  server TEXT NOT NULL,
  tool TEXT NOT NULL,
  status TEXT NOT NULL,
  approved_hash TEXT,
  approved_def TEXT,
  seen_hash TEXT NOT NULL,
  seen_def TEXT NOT NULL,
  decided_by TEXT,
  first_seen BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (server, tool)
);
CREATE TABLE registry_list_views (
  server TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  list_hash TEXT NOT NULL,
  caller_id TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (server, epoch, list_hash, caller_id)
);
CREATE TABLE registry_servers (
  server TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  list_hash TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE registry_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  server TEXT NOT NULL,
  reason TEXT NOT NULL,
  expected_hash TEXT NOT NULL,
  observed_hash TEXT NOT NULL,
  caller_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  cleared INTEGER NOT NULL DEFAULT 0
)`,
    postgres: `
CREATE TABLE registry_pins (
  server TEXT NOT NULL,
  tool TEXT NOT NULL,
  status TEXT NOT NULL,
  approved_hash TEXT,
  approved_def TEXT,
  seen_hash TEXT NOT NULL,
  seen_def TEXT NOT NULL,
  decided_by TEXT,
  first_seen BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (server, tool)
);
CREATE TABLE registry_list_views (
  server TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  list_hash TEXT NOT NULL,
  caller_id TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (server, epoch, list_hash, caller_id)
);
CREATE TABLE registry_servers (
  server TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  list_hash TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE registry_flags (
  id BIGSERIAL PRIMARY KEY,
  server TEXT NOT NULL,
  reason TEXT NOT NULL,
  expected_hash TEXT NOT NULL,
  observed_hash TEXT NOT NULL,
  caller_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  cleared INTEGER NOT NULL DEFAULT 0
)`,
  },
];
