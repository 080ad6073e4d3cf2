import type { Migration } from '../store/index.ts';
import { GENESIS_HASH } from './record.ts';

/** The audit domain's tables (prefix audit_). */
export const auditMigrations: readonly Migration[] = [
  {
    id: '001-records',
    sqlite: `
CREATE TABLE audit_records (
  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL,
  principal TEXT, session TEXT, trace_id TEXT, method TEXT, server TEXT, tool TEXT,
  decision TEXT, outcome TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, body BLOB NOT NULL
);
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_principal ON audit_records (principal, seq);
CREATE INDEX audit_records_trace ON audit_records (trace_id);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
CREATE TABLE audit_checkpoints (
  size INTEGER NOT NULL, key_id TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, key_id)
);
`,
    postgres: `
CREATE TABLE audit_records (
  seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, kind TEXT NOT NULL,
  principal TEXT, session TEXT, trace_id TEXT, method TEXT, server TEXT, tool TEXT,
  decision TEXT, outcome TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, body BYTEA NOT NULL
);
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_principal ON audit_records (principal, seq);
CREATE INDEX audit_records_trace ON audit_records (trace_id);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
CREATE TABLE audit_checkpoints (
  size BIGINT NOT NULL, key_id TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, key_id)
);
`,
  },
  {
    // The trace index served no query (`warden trace` filters `trace_id IN (…) OR session = ?`,
    // which scans) and it cost the most of every commit: each call's records update a leaf of
    // its session's trace, so a batch dirtied one index page per active session.
    id: '002-drop-trace-index',
    sqlite: 'DROP INDEX IF EXISTS audit_records_trace;',
    postgres: 'DROP INDEX IF EXISTS audit_records_trace;',
  },
];
