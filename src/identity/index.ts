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
} from './grants.ts';
export type { ArgCheck } from './grants.ts';
export { parseGrantFlags } from './grant-flags.ts';
export type { GrantFlags } from './grant-flags.ts';
export { deriveDelegated } from './delegation.ts';
export type {
  DelegationLimits,
  DelegationRequest,
  DelegationRefusal,
  DelegationResult,
} from './delegation.ts';
export { agentUri, actorChain } from './claims.ts';
export type { AccessClaims, ActClaim } from './claims.ts';
