/** Per-server tool supply-chain settings (docs/supply-chain.md). */
export interface ToolSupplyConfig {
  readonly onSuspicious: 'allow' | 'hold' | 'block';
  readonly firstSight: 'trust' | 'hold';
  readonly acceptPins: readonly string[];
}

/** The resolved, frozen configuration passed inward after parsing (paths absolute, units in ms/bytes). */
export interface StdioServerConfig {
  readonly name: string;
  readonly kind: 'stdio';
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly trusted: boolean;
  /** Tools and prompts appear as `<server>.<name>` when true (default), as `<name>` when false. */
  readonly prefix: boolean;
  readonly timeoutMs: number;
  /**
   * The raw `sandbox:` mapping (`{}` when absent: sandboxed with the defaults), or false for an
   * explicit opt-out. Validated by the gateway at start-up (config does not depend on sandbox).
   */
  readonly sandbox: false | Readonly<Record<string, unknown>>;
  /** Secrets this server receives (docs/secrets.md); absent = none. */
  readonly secrets?: ServerSecretsConfig;
  /** What happens to output holding a secret: redact (default) or block. */
  readonly onSecret?: 'redact' | 'block';
  readonly tools: ToolSupplyConfig;
  /** The npm package name when configured with `package` (admission against the catalog). */
  readonly package?: string;
}

export interface RemoteServerConfig {
  readonly name: string;
  readonly kind: 'remote';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly trusted: boolean;
  /** Tools and prompts appear as `<server>.<name>` when true (default), as `<name>` when false. */
  readonly prefix: boolean;
  readonly timeoutMs: number;
  readonly secrets?: ServerSecretsConfig;
  readonly onSecret?: 'redact' | 'block';
  readonly tools: ToolSupplyConfig;
}

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
  readonly callTimeoutMs: number;
  /** Per-agent call rate limit (token bucket), or false for none. */
  readonly rateLimit: false | { readonly callsPerSecond: number; readonly burst: number };
  readonly protocolVersions: readonly string[] | undefined;
}

/** `identity.delegate.<role>`: the sub-agent `warden.delegate` runs for callers with that role. */
export interface DelegateCommandConfig {
  readonly role: string;
  /** The sub-agent's identity (agent name); undefined: the caller's own token, narrowed. */
  readonly agent: string | undefined;
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  readonly workspace: string | undefined;
  readonly allowHosts: readonly string[];
  readonly timeoutMs: number;
}

export interface IdentitySettings {
  /** bootstrap: API keys only obtain tokens at /token; direct: they also authenticate /mcp. */
  readonly apiKeys: 'bootstrap' | 'direct';
  readonly tokenTtlSec: number;
  readonly maxTokenTtlSec: number;
  readonly leewaySec: number;
  readonly maxDelegationDepth: number;
  readonly keyRotationMs: number;
  readonly delegate: readonly DelegateCommandConfig[];
}

export interface WardenConfig {
  readonly file: string;
  readonly baseDir: string;
  readonly dataDir: string;
  readonly policiesDir: string;
  readonly store: { readonly url: string | undefined };
  readonly gateway: GatewayConfig;
  readonly servers: readonly ServerConfig[];
  readonly audit: { readonly checkpointEveryRecords: number; readonly checkpointEveryMs: number };
  readonly logging: { readonly level: 'debug' | 'info' | 'warn' | 'error' };
  /** `sandbox_profiles:` as written (raw mappings, validated where used). */
  readonly sandboxProfiles: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The secret broker (absent only in hand-built configs; load always sets it). */
  readonly secrets?: SecretsConfig;
  readonly catalog: CatalogConfig;
  /** The raw `monitor:` section; the gateway validates it with the monitor's schema at start-up. */
  readonly monitor?: Readonly<Record<string, unknown>> | undefined;
  readonly identity: IdentitySettings;
}

/** Which secrets a server gets and how (stdio: env, placeholders; remote: headers). */
export interface ServerSecretsConfig {
  /** Environment variable → secret name. */
  readonly env: Readonly<Record<string, string>>;
  /** Header name → template with `${NAME}` references. */
  readonly headers: Readonly<Record<string, string>>;
  /** Secret name → exact hosts it is bound to and the variable holding its placeholder. */
  readonly placeholders: Readonly<
    Record<string, { readonly hosts: readonly string[]; readonly env: string }>
  >;
}

/** A program run without a shell; `command` is absolute (resolved at load). */
export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
}

export interface SecretSourceConfig {
  readonly provider: 'store' | 'env' | 'command';
  /** env provider: the variable. */
  readonly env?: string;
  readonly command?: CommandSpec;
  readonly ttlMs?: number;
  readonly rotateEveryMs?: number;
  readonly rotateCommand?: CommandSpec;
  /** Servers allowed to ask for this secret (undefined = any). */
  readonly servers?: readonly string[];
}

export interface SecretsConfig {
  readonly masterKey:
    | { readonly kind: 'file'; readonly path: string }
    | { readonly kind: 'env'; readonly variable: string }
    | { readonly kind: 'command'; readonly command: CommandSpec };
  readonly graceMs: number;
  readonly patterns: boolean;
  readonly canaries: number;
  readonly sources: Readonly<Record<string, SecretSourceConfig>>;
  /** PEM CA certificates trusted besides the system store for TLS to placeholder-bound hosts. */
  readonly upstreamCa: readonly string[];
}

export interface CatalogConfig {
  readonly enforce: boolean;
  /** Absolute path of the signed catalog. */
  readonly file: string;
  /** Absolute path of the trusted Ed25519 public key (PEM). */
  readonly publicKey: string;
  /** Absolute path where catalog packages are installed (default `<dataDir>/packages`). */
  readonly packagesDir: string;
  readonly registry: string;
}
