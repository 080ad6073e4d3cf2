import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from './token-endpoint.ts';

export interface MetadataInput {
  /** Issuer / authorization server base URI, e.g. http://127.0.0.1:7420 */
  readonly issuer: string;
  /** The protected resource, e.g. http://127.0.0.1:7420/mcp (the tokens' one audience). */
  readonly resource: string;
  /** Defaults: `${issuer}/token`, `${issuer}/.well-known/jwks.json`. */
  readonly tokenEndpoint?: string;
  readonly jwksUri?: string;
}

const trim = (u: string): string => u.replace(/\/+$/, '');

/** RFC 9728 protected resource metadata, served at /.well-known/oauth-protected-resource[/mcp]. */
export function protectedResourceMetadata(m: MetadataInput): Record<string, unknown> {
  return {
    resource: m.resource,
    authorization_servers: [m.issuer],
    jwks_uri: m.jwksUri ?? `${trim(m.issuer)}/.well-known/jwks.json`,
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: ['ES256'],
    resource_name: 'Warden MCP gateway',
  };
}

/** RFC 8414 authorization server metadata, served at /.well-known/oauth-authorization-server. */
export function authorizationServerMetadata(m: MetadataInput): Record<string, unknown> {
  return {
    issuer: m.issuer,
    token_endpoint: m.tokenEndpoint ?? `${trim(m.issuer)}/token`,
    jwks_uri: m.jwksUri ?? `${trim(m.issuer)}/.well-known/jwks.json`,
    grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
    // No authorization endpoint: agents are machine clients (RFC 8414 requires the member).
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256'],
    authorization_details_types_supported: ['warden_grant'],
    scopes_supported: [],
  };
}

/** The `WWW-Authenticate` value for a 401 on /mcp (RFC 9728 §5.1, RFC 6750 §3). */
export function wwwAuthenticate(resourceMetadataUrl: string, error?: 'invalid_token'): string {
  return `Bearer resource_metadata="${resourceMetadataUrl}"${error ? `, error="${error}"` : ''}`;
}
