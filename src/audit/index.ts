export { AuditLog } from './log.ts';
export type { AuditLogOptions } from './log.ts';
export type {
  AuditEventInput,
  AuditRecord,
  AuditKeys,
  Checkpoint,
  VerifyResult,
  VerifyWarning,
  VerifyFailureCode,
} from './types.ts';
export { AuditError } from './errors.ts';
export type { AuditErrorCode } from './errors.ts';
export {
  loadOrCreateAuditKeys,
  loadAuditPublicKey,
  exportPublicKeyPem,
  auditKeyId,
  hmacFingerprint,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  CHECKPOINT_LOG_FILE,
} from './keys.ts';
export {
  signCheckpoint,
  checkpointSignatureOk,
  formatCheckpoint,
  parseCheckpoint,
  readCheckpointFile,
  CHECKPOINT_ORIGIN,
} from './checkpoint.ts';
export { verifyAuditLog } from './verify.ts';
export type { VerifyOptions } from './verify.ts';
export { verifyJsonlExport } from './verify-export.ts';
export type { VerifyExportOptions } from './verify-export.ts';
export { formatRecord, formatVerifyResult, safeText } from './format.ts';
export { auditMigrations } from './migrations.ts';
export { GENESIS_HASH, chainHash } from './record.ts';
