/** The policy module's public types (re-exported from index.ts). */

export interface PolicyPrincipal {
  /** The agent's name: `Warden::Agent::"<id>"`. */
  readonly id: string;
  /** Role names: the agent's parents `Warden::Role::"<role>"`. */
  readonly roles: readonly string[];
}

export type PolicyResource =
  | {
      readonly kind: 'tool';
      readonly server: string;
      /** The upstream tool name (not the prefixed name the client sees). */
      readonly name: string;
      readonly annotations?: Readonly<Record<string, boolean>>;
      /** True only when the server is marked trusted in config (THREATS TP-4). */
      readonly trustedAnnotations?: boolean;
    }
  | { readonly kind: 'resource'; readonly server: string; readonly uri: string }
  | { readonly kind: 'prompt'; readonly server: string; readonly name: string };

export type PolicyAction = 'call_tool' | 'read_resource' | 'get_prompt';

export interface PolicyContext {
  /** The call's arguments as parsed JSON (tool arguments, prompt arguments). */
  readonly args?: unknown;
  /** Request time in epoch milliseconds (from the injected clock). */
  readonly now: number;
  readonly task?: string;
  readonly session?: string;
  /** The task grant, filled by the identity module. */
  readonly grant?: unknown;
  /** Session taint, filled by the monitor, e.g. `{ untrusted: true, labels: ['web'] }`. */
  readonly taint?: unknown;
}

export interface PolicyRequest {
  readonly principal: PolicyPrincipal;
  readonly action: PolicyAction;
  readonly resource: PolicyResource;
  readonly context: PolicyContext;
}

export interface Decision {
  readonly effect: 'allow' | 'deny';
  /** Ids of the deciding policies (`@id("…")` or `<file>#<n>`); safe to show to the client. */
  readonly policyIds: readonly string[];
  /** Human sentences; never contain argument values; safe to show to the client. */
  readonly reasons: readonly string[];
  /**
   * Evaluation errors (any error denies). For logs and audit, not for the client: Cedar's
   * messages can name argument attributes. Quoted literals are redacted.
   */
  readonly errors: readonly string[];
  /** The policy set version that decided (`sha256:…`), for the audit record. */
  readonly version: string;
}

/** Context fields known when listing; anything not given (always `args`) is unknown. */
export interface VisibilityContext {
  readonly now?: number;
  readonly task?: string;
  readonly session?: string;
  readonly grant?: unknown;
  readonly taint?: unknown;
}
