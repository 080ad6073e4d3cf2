export type { Agent, ArgConstraint, Grant, Principal, Authenticator } from './types.ts';
export { IdentityError, isAuthenticationFailure } from './errors.ts';
export type { IdentityErrorCode } from './errors.ts';
export { identityMigrations } from './migrations.ts';
export { AgentRegistry } from './agent-registry.ts';
export type { ApiKeyCredential, AgentRegistryOptions } from './agent-registry.ts';
export { createAuthenticator } from './authenticator.ts';
export type { AuthenticatorDeps, AccessTokenVerifier } from './authenticator.ts';
export { IdentityState, stateFor } from './state.ts';
export { parseAgentName, parseRoles, NAME_RE } from './schema.ts';
export { fingerprint } from './api-key.ts';
export {
  parseGrant,
  toolAllowed,
  checkArgs,
  isSubGrant,
  subGrantProblem,
  constraintWithin,
  inheritConstraints,
  grantDecision,
} from './grants.ts';
export type { ArgCheck, GrantDecision } from './grants.ts';
export { parseGrantFlags, parseTtl } from './grant-flags.ts';
export type { GrantFlags } from './grant-flags.ts';
export { deriveDelegated } from './delegation.ts';
export type {
  DelegationLimits,
  DelegationRequest,
  DelegationRefusal,
  DelegationResult,
} from './delegation.ts';
export { agentUri, agentIdOf, actorChain } from './claims.ts';
export type { AccessClaims, ActClaim } from './claims.ts';
export { createIdentity } from './identity.ts';
export type { Identity, IdentityConfig } from './identity.ts';
export { TokenService, KID_RE } from './token-service.ts';
export type { TokenServiceOptions, IssuedToken, VerifiedToken } from './token-service.ts';
export { SigningKeys } from './signing-keys.ts';
export type { SigningKeysOptions, KeyInfo } from './signing-keys.ts';
export { loadOrCreateKeyFile, readKeyFile, writeBootstrapFile, readBootstrapFile } from './key-file.ts';
export type { BootstrapFile } from './key-file.ts';
export { ClientAuthenticator, createClientAssertion, ASSERTION_TYPE } from './client-auth.ts';
export type { BootstrapCredential } from './client-auth.ts';
export { Revocations } from './revocations.ts';
export type { RevokeTarget, RevocationSnapshot } from './revocations.ts';
export {
  handleTokenRequest,
  GRANT_CLIENT_CREDENTIALS,
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
} from './token-endpoint.ts';
export type { TokenEndpointContext, TokenResponse, TokenEvent, OAuthErrorCode } from './token-endpoint.ts';
export { protectedResourceMetadata, authorizationServerMetadata, wwwAuthenticate } from './metadata.ts';
export type { MetadataInput } from './metadata.ts';
export { hasDuplicateKeys } from './jwt-checks.ts';
export { parseTask } from './schema.ts';
