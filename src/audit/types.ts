import type { KeyObject } from 'node:crypto';

/** What a caller records. `args` must already be redacted: the audit log stores it as JSON. */
export interface AuditEventInput {
  /** 'mcp.request' (decided), 'mcp.completed', 'egress', 'alert', 'token.issued', … */
  kind: string;
  /** Milliseconds since the epoch; defaults to clock.now(). Informational only (AU-9). */
  time?: number;
  principal?: string;
  session?: string;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  method?: string;
  server?: string;
  tool?: string;
  /** Hash of the tool definition the decision was made against (G-AUD-6), e.g. 'sha256:…'. */
  toolHash?: string;
  /** Already redacted by the caller; stored as JSON. */
  args?: unknown;
  decision?: 'allow' | 'deny';
  policyIds?: string[];
  reasons?: string[];
  policyVersion?: string;
  outcome?: 'ok' | 'error' | 'denied' | 'timeout';
  errorCode?: string;
  durationMs?: number;
  resultBytes?: number;
  grantId?: string;
  taskId?: string;
  /** The delegation chain (`act`), outermost first (G-AUD-6). */
  actors?: string[];
  data?: Record<string, unknown>;
}

/** A committed record: its content is exactly what the stored canonical body says. */
export interface AuditRecord extends AuditEventInput {
  /** 1, 2, 3, … gap-free and authoritative for order. */
  seq: number;
  time: number;
  /** Hex SHA-256 of the previous record (GENESIS_HASH for seq 1). */
  prevHash: string;
  /** Hex SHA-256 over the raw previous hash and the canonical body. */
  hash: string;
}

/** A signed statement "the log had `size` records and its head hash was `hash`". */
export interface Checkpoint {
  v: 1;
  origin: string;
  size: number;
  hash: string;
  time: number;
  keyId: string;
  /** Base64 Ed25519 signature over the canonical JSON of every other field. */
  sig: string;
}

export interface AuditKeys {
  /** Absent for a verifier that only holds the public key. */
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  /** 'ed25519:' + the first 16 hex digits of SHA-256 over the SPKI DER of the public key. */
  readonly keyId: string;
  /** Where the key files live (set by loadOrCreateAuditKeys): the default checkpoint log dir. */
  readonly dataDir?: string;
}

export interface VerifyWarning {
  seq: number;
  reason: string;
}

export type VerifyFailureCode =
  | 'bad-body'
  | 'bad-column'
  | 'bad-hash'
  | 'bad-link'
  | 'missing'
  | 'unexpected'
  | 'head-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-mismatch'
  | 'truncated';

export type VerifyResult =
  | {
      ok: true;
      /** Records checked (the log size at the time of the head read). */
      records: number;
      head: string;
      /** Signed checkpoints that were checked against the chain. */
      checkpoints: number;
      warnings: VerifyWarning[];
    }
  | {
      ok: false;
      /** The first bad record (or the first missing one). */
      seq: number;
      code: VerifyFailureCode;
      reason: string;
      records: number;
      checkpoints: number;
      warnings: VerifyWarning[];
    };
