import { AppError } from '../core/index.ts';

/**
 * Identity error codes. Authentication failures (`ERR_UNAUTHENTICATED`, `ERR_TOKEN_*`,
 * `ERR_AGENT_DISABLED`) map to HTTP 401; the others are caller or operator errors.
 * Messages never contain a credential, token or secret: only ids and fingerprints.
 */
export type IdentityErrorCode =
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_AGENT_DISABLED'
  | 'ERR_AGENT_EXISTS'
  | 'ERR_AGENT_NOT_FOUND'
  | 'ERR_AGENT_NAME_INVALID'
  | 'ERR_ROLE_INVALID'
  | 'ERR_GRANT_INVALID'
  | 'ERR_DELEGATION_REFUSED'
  | 'ERR_KEY_UNAVAILABLE'
  | 'ERR_IDENTITY_CONFIG';

export class IdentityError extends AppError<IdentityErrorCode> {}

const AUTH_CODES: ReadonlySet<IdentityErrorCode> = new Set<IdentityErrorCode>([
  'ERR_UNAUTHENTICATED',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_REVOKED',
  'ERR_AGENT_DISABLED',
]);

/** True for the codes the gateway answers with HTTP 401 (plus `WWW-Authenticate`). */
export function isAuthenticationFailure(e: unknown): e is IdentityError {
  return e instanceof IdentityError && AUTH_CODES.has(e.code);
}
