export { loadConfig, parseConfig, formatIssues, resolvePackageBin, resolveCommand } from './load.ts';
export type { ConfigIssue, LoadOptions } from './load.ts';
export { ConfigError } from './errors.ts';
export type { ConfigErrorCode } from './errors.ts';
export { configSchema, isLoopbackHost, splitListen } from './schema.ts';
export { parseDuration, parseSize } from './units.ts';
export type {
  WardenConfig,
  ServerConfig,
  StdioServerConfig,
  RemoteServerConfig,
  GatewayConfig,
  SecretsConfig,
  SecretSourceConfig,
  ServerSecretsConfig,
  CommandSpec,
  ToolSupplyConfig,
  CatalogConfig,
  IdentitySettings,
  DelegateCommandConfig,
} from './types.ts';
export { readEnv } from './env.ts';
