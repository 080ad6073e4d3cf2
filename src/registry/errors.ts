import { AppError } from '../core/index.ts';

export type RegistryErrorCode =
  | 'ERR_PIN_NOT_FOUND'
  | 'ERR_PIN_HASH_MISMATCH'
  | 'ERR_CATALOG_INVALID'
  | 'ERR_CATALOG_SIGNATURE'
  | 'ERR_CATALOG_KEY'
  | 'ERR_PACKAGE_SPEC'
  | 'ERR_NPM_METADATA'
  | 'ERR_INTEGRITY_MISMATCH'
  | 'ERR_PACKAGE_ARCHIVE'
  | 'ERR_PACKAGE_INSTALL'
  | 'ERR_LOCK_RESOLVE'
  | 'ERR_LOCK_MISSING'
  | 'ERR_LOCK_MISMATCH';

export class RegistryError extends AppError<RegistryErrorCode> {}
