import { AppError } from '../core/index.ts';

export type SecretsErrorCode =
  | 'ERR_SECRET_MASTER_KEY'
  | 'ERR_SECRET_NAME'
  | 'ERR_SECRET_WEAK'
  | 'ERR_SECRET_NOT_FOUND'
  | 'ERR_SECRET_EXISTS'
  | 'ERR_SECRET_CORRUPT'
  | 'ERR_SECRET_UNAVAILABLE';

/** Messages and details name secrets by name or fingerprint, never by value. */
export class SecretsError extends AppError<SecretsErrorCode> {}
