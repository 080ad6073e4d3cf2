import type { Migration } from '../store/index.ts';

/**
 * registry_ tables: pins with the definitions they cover, list observations, flags.
 * 002 adds the pin's `kind` (tool, prompt, resource, resource-template) to its key; existing
 * rows are tool pins and keep every column (SQLite cannot change a primary key in place, so the
 * table is rebuilt inside the migration's transaction).
 */
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
  {
    id: '002-pin-kinds',
    sqlite: `
CREATE TABLE registry_pins_002 (
  server TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'tool',
  tool TEXT NOT NULL,
  status TEXT NOT NULL,
  approved_hash TEXT,
  approved_def TEXT,
  seen_hash TEXT NOT NULL,
  seen_def TEXT NOT NULL,
  decided_by TEXT,
  first_seen BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (server, kind, tool)
);
INSERT INTO registry_pins_002 (server, kind, tool, status, approved_hash, approved_def, seen_hash, seen_def, decided_by, first_seen, updated_at)
  SELECT server, 'tool', tool, status, approved_hash, approved_def, seen_hash, seen_def, decided_by, first_seen, updated_at FROM registry_pins;
DROP TABLE registry_pins;
ALTER TABLE registry_pins_002 RENAME TO registry_pins`,
    postgres: `
ALTER TABLE registry_pins ADD COLUMN kind TEXT NOT NULL DEFAULT 'tool';
ALTER TABLE registry_pins DROP CONSTRAINT registry_pins_pkey;
ALTER TABLE registry_pins ADD PRIMARY KEY (server, kind, tool)`,
  },
];
