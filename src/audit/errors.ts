import { AppError } from '../core/index.ts';

export type AuditErrorCode =
  /** The store failed while committing a batch: the call must fail closed. */
  | 'ERR_AUDIT_WRITE'
  /** An earlier commit failed; the log refuses every append until the process restarts (AU-7). */
  | 'ERR_AUDIT_FAILED'
  | 'ERR_AUDIT_CLOSED'
  /** The event cannot be recorded (not JSON-serialisable, too large, bad field type). */
  | 'ERR_AUDIT_INPUT'
  | 'ERR_AUDIT_KEY'
  /** The stored log does not verify (found on open or by a caller). */
  | 'ERR_AUDIT_TAMPERED'
  | 'ERR_AUDIT_CHECKPOINT';

export class AuditError extends AppError<AuditErrorCode> {}
