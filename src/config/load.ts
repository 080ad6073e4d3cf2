import { readFileSync, existsSync, statSync, accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, join, resolve, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import { configSchema, messageOf, splitListen } from './schema.ts';
import type { ParsedConfig } from './schema.ts';
import { checkSourceServers, resolveSecretsSection, resolveServerSecrets } from './secrets-load.ts';
import type { DelegateCommandConfig, ServerConfig, ToolSupplyConfig, WardenConfig } from './types.ts';

export interface ConfigIssue {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  readonly path: string;
  readonly message: string;
}

export interface LoadOptions {
  /** Overrides data_dir (the --data-dir flag). */
  readonly dataDir?: string;
  /** The environment to resolve bare commands against (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Reads, validates and resolves a warden.yaml. Throws ConfigError naming file, line, path and expectation. */
export function loadConfig(file: string, options: LoadOptions = {}): WardenConfig {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new ConfigError('ERR_CONFIG_NOT_FOUND', `${path}: no such file (create one with \`warden init\`)`, {
      file: path,
    });
  }
  return parseConfig(readFileSync(path, 'utf8'), path, options);
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): WardenConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0]! };
    });
    throw new ConfigError('ERR_CONFIG_SYNTAX', formatIssues('invalid YAML', issues), { issues });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => toIssue(i, doc, lineCounter, file));
    throw new ConfigError('ERR_CONFIG_INVALID', formatIssues('invalid configuration', issues), { issues });
  }
  return resolveConfig(result.data, file, options);
}

function toIssue(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  file: string,
): ConfigIssue {
  const path = issue.path.map(String);
  const message = messageOf(issue);
  if (issue.code === 'unrecognized_keys') {
    const first = issue.keys[0];
    if (first !== undefined) path.push(first);
  }
  // Find the deepest node that exists for this path, preferring the key's own position.
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { file, line: pos.line, col: pos.col, path: path.join('.') || '(root)', message };
    }
  }
  return { file, path: path.join('.') || '(root)', message };
}

export function formatIssues(what: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => {
    const where = i.line === undefined ? i.file : `${i.file}:${i.line}:${i.col}`;
    return `  ${where}: ${i.path === '' ? '' : i.path + ': '}${i.message}`;
  });
  return `${what}:\n${lines.join('\n')}`;
}

function resolveConfig(c: ParsedConfig, file: string, options: LoadOptions): WardenConfig {
  const baseDir = dirname(file);
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const servers: ServerConfig[] = [];
  const secretsCtx = {
    file,
    baseDir,
    dataDir: resolve(baseDir, options.dataDir ?? c.data_dir),
    issues,
    resolveCommand: (cmd: string) => resolveCommand(cmd, env),
  };
  const secrets = resolveSecretsSection(c.secrets, secretsCtx);
  checkSourceServers(secrets, Object.keys(c.servers), secretsCtx);
  for (const [name, s] of Object.entries(c.servers)) {
    const timeoutMs = s.timeout ?? c.gateway.call_timeout;
    const serverSecrets = resolveServerSecrets(name, s.secrets, secrets, secretsCtx);
    const secretFields = {
      ...(serverSecrets === undefined ? {} : { secrets: serverSecrets }),
      onSecret: s.on_secret,
    };
    if ('url' in s) {
      servers.push(
        Object.freeze({
          name,
          kind: 'remote',
          url: s.url,
          headers: s.headers,
          trusted: s.trusted,
          prefix: s.prefix,
          timeoutMs,
          ...secretFields,
          tools: toolSupply(s.tools),
        }),
      );
      continue;
    }
    // With catalog.enforce, a package server runs the copy the gateway installs and verifies
    // from the signed catalog (in the data directory), never whatever node_modules holds.
    const resolved =
      s.package !== undefined
        ? c.catalog.enforce
          ? { command: '', args: [] }
          : resolvePackageBin(s.package, baseDir)
        : resolveCommand(s.command!, env);
    if (typeof resolved === 'string') {
      issues.push({
        file,
        path: `servers.${name}.${s.package !== undefined ? 'package' : 'command'}`,
        message: resolved,
      });
      continue;
    }
    servers.push(
      Object.freeze({
        name,
        kind: 'stdio',
        command: resolved.command,
        args: [...resolved.args, ...s.args],
        env: s.env,
        cwd: s.cwd === undefined ? undefined : resolve(baseDir, s.cwd),
        trusted: s.trusted,
        prefix: s.prefix,
        timeoutMs,
        sandbox: s.sandbox === false ? false : s.sandbox === true || s.sandbox === undefined ? {} : s.sandbox,
        ...secretFields,
        tools: toolSupply(s.tools),
        ...(s.package === undefined ? {} : { package: s.package }),
      }),
    );
  }
  const delegate = resolveDelegates(c.identity.delegate, baseDir, env, file, issues);
  if (issues.length > 0)
    throw new ConfigError('ERR_CONFIG_INVALID', formatIssues('invalid configuration', issues), { issues });
  const [host, port] = splitListen(c.gateway.listen);
  const dataDir = resolve(baseDir, options.dataDir ?? c.data_dir);
  const publicUrl = c.gateway.public_url ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;
  return deepFreeze({
    file,
    baseDir,
    dataDir,
    policiesDir: resolve(baseDir, c.policies),
    store: { url: c.store.url },
    gateway: {
      host,
      port,
      allowRemote: c.gateway.allow_remote,
      allowedHosts: c.gateway.allowed_hosts,
      allowedOrigins: c.gateway.allowed_origins,
      publicUrl,
      maxBodyBytes: c.gateway.max_body,
      maxDepth: c.gateway.max_depth,
      callTimeoutMs: c.gateway.call_timeout,
      rateLimit:
        c.gateway.rate_limit === false
          ? false
          : { callsPerSecond: c.gateway.rate_limit.calls_per_second, burst: c.gateway.rate_limit.burst },
      protocolVersions: c.gateway.protocol_versions,
    },
    servers,
    audit: {
      checkpointEveryRecords: c.audit.checkpoint_every_records,
      checkpointEveryMs: c.audit.checkpoint_every,
    },
    logging: { level: c.logging.level },
    sandboxProfiles: c.sandbox_profiles,
    secrets,
    catalog: {
      enforce: c.catalog.enforce,
      file: resolve(baseDir, c.catalog.file),
      publicKey: resolve(baseDir, c.catalog.public_key),
      packagesDir:
        c.catalog.packages_dir === undefined
          ? join(dataDir, 'packages')
          : resolve(baseDir, c.catalog.packages_dir),
      registry: c.catalog.registry,
    },
    monitor: c.monitor,
    identity: {
      apiKeys: c.identity.api_keys,
      tokenTtlSec: Math.max(1, Math.floor(c.identity.token_ttl / 1000)),
      maxTokenTtlSec: Math.max(1, Math.floor(c.identity.max_token_ttl / 1000)),
      leewaySec: Math.floor(c.identity.leeway / 1000),
      maxDelegationDepth: c.identity.max_delegation_depth,
      keyRotationMs: c.identity.key_rotation,
      delegate,
    },
  } satisfies WardenConfig);
}

function toolSupply(t: ParsedConfig['servers'][string]['tools']): ToolSupplyConfig {
  return { onSuspicious: t.on_suspicious, firstSight: t.first_sight, acceptPins: t.accept_pins };
}

function resolveDelegates(
  raw: ParsedConfig['identity']['delegate'],
  baseDir: string,
  env: NodeJS.ProcessEnv,
  file: string,
  issues: ConfigIssue[],
): DelegateCommandConfig[] {
  const out: DelegateCommandConfig[] = [];
  for (const [role, d] of Object.entries(raw)) {
    const resolved = resolveCommand(d.command, env);
    if (typeof resolved === 'string') {
      issues.push({ file, path: `identity.delegate.${role}.command`, message: resolved });
      continue;
    }
    out.push({
      role,
      agent: d.agent,
      command: resolved.command,
      args: [...resolved.args, ...d.args],
      workspace: d.workspace === undefined ? undefined : resolve(baseDir, d.workspace),
      allowHosts: d.allow_hosts,
      timeoutMs: d.timeout,
    });
  }
  return out;
}

export function resolveCommand(
  command: string,
  env: NodeJS.ProcessEnv,
): { command: string; args: string[] } | string {
  if (isAbsolute(command))
    return isExecutable(command) ? { command, args: [] } : `${command} is not an executable file`;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return { command: candidate, args: [] };
  }
  return `${command} was not found on PATH`;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Finds an installed npm package (next to the config, then Warden's own install) and its bin. */
export function resolvePackageBin(
  pkg: string,
  fromDir: string,
): { command: string; args: string[] } | string {
  const wardenRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const roots = [...ancestors(fromDir), ...ancestors(wardenRoot)];
  for (const root of roots) {
    const dir = join(root, 'node_modules', pkg);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
      bin?: string | Record<string, string>;
      name?: string;
    };
    const bin =
      typeof json.bin === 'string' ? json.bin : json.bin === undefined ? undefined : pickBin(json.bin, pkg);
    if (bin === undefined) return `package ${pkg} (at ${dir}) has no bin to run`;
    return { command: process.execPath, args: [resolve(dir, bin)] };
  }
  return `package ${pkg} is not installed (run npm install ${pkg} next to warden.yaml)`;
}

function pickBin(bins: Record<string, string>, pkg: string): string | undefined {
  const base = pkg.split('/').pop()!;
  return bins[base] ?? bins[`mcp-${base}`] ?? Object.values(bins)[0];
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  let d = resolve(dir);
  for (;;) {
    out.push(d);
    const up = dirname(d);
    if (up === d) return out;
    d = up;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
