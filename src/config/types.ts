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
  readonly identity: IdentitySettings;
}
