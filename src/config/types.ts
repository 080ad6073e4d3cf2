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
  /** Per-agent call rate limit (token bucket), or false for none. */
  readonly rateLimit: false | { readonly callsPerSecond: number; readonly burst: number };
  readonly protocolVersions: readonly string[] | undefined;
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
}
