/** Public value types of the identity domain. All values handed out are frozen. */

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly disabledAt?: number;
}

/**
 * An argument constraint of a grant. Values a call supplies must satisfy it; a constrained
 * parameter the call omits is refused (the server's default is unknown to the gateway).
 * - path: absolute POSIX path matching one of the globs (`/a/b` exact, `/a/b/*` direct
 *   children, `/a/b/**` the directory and everything below); `..` segments are refused.
 * - host: an http(s) URL without userinfo whose host equals one entry (`api.example.com`)
 *   or is a subdomain of a `*.example.com` entry.
 * - enum: one of the listed JSON scalars (strict equality).
 * - range: a finite number within [min, max], an integer when `integer` is set.
 */
export type ArgConstraint =
  | { readonly kind: 'path'; readonly globs: readonly string[] }
  | { readonly kind: 'host'; readonly hosts: readonly string[] }
  | { readonly kind: 'enum'; readonly values: readonly (string | number | boolean)[] }
  | { readonly kind: 'range'; readonly min?: number; readonly max?: number; readonly integer?: boolean };

/**
 * What a task may do. `tools` maps a literal server name to tool-name patterns (exact names or
 * a prefix ending in one `*`, e.g. `read_*`); `args` maps `server.tool` (exact) to per-parameter
 * constraints; `expiresAt` is epoch milliseconds.
 */
export interface Grant {
  readonly id: string;
  readonly tools: Readonly<Record<string, readonly string[]>>;
  readonly args?: Readonly<Record<string, Readonly<Record<string, ArgConstraint>>>>;
  readonly expiresAt: number;
}

export interface Principal {
  /** The agent making the request: the current actor for a delegated token. */
  readonly agentId: string;
  readonly agentName: string;
  readonly roles: readonly string[];
  readonly credential: { readonly kind: 'api-key' | 'access-token'; readonly id: string };
  readonly taskId?: string;
  readonly grant?: Grant;
  readonly grantId?: string;
  /** Agent names of the RFC 8693 `act` chain, outermost (current actor) first. */
  readonly actors?: readonly string[];
  /** For a delegated token: the agent on whose behalf the actor works (the token's `sub`). */
  readonly subject?: { readonly agentId: string; readonly agentName: string };
  /** Epoch milliseconds. */
  readonly expiresAt?: number;
}

export interface Authenticator {
  /** Resolves the principal or throws an `IdentityError` whose code maps to HTTP 401. */
  authenticate(authorizationHeader: string | undefined): Promise<Principal>;
}
