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
  /** The raw `monitor:` section; the gateway validates it with the monitor's schema at start-up. */
  readonly monitor?: Readonly<Record<string, unknown>> | undefined;
}
