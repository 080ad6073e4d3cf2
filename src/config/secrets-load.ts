import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ConfigIssue } from './load.ts';
import type { remoteServerSecrets, secretsSection, stdioServerSecrets } from './secrets-schema.ts';
import { templateNames } from './secrets-schema.ts';
import type { CommandSpec, SecretsConfig, SecretSourceConfig, ServerSecretsConfig } from './types.ts';

type SecretsRaw = z.output<typeof secretsSection>;
type StdioSecretsRaw = z.output<typeof stdioServerSecrets>;
type RemoteSecretsRaw = z.output<typeof remoteServerSecrets>;

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface SecretsLoadContext {
  readonly file: string;
  readonly baseDir: string;
  readonly dataDir: string;
  readonly issues: ConfigIssue[];
  readonly resolveCommand: (command: string) => { command: string; args: string[] } | string;
}

function argv(ctx: SecretsLoadContext, path: string, a: readonly string[]): CommandSpec | undefined {
  const r = ctx.resolveCommand(a[0]!);
  if (typeof r === 'string') {
    ctx.issues.push({ file: ctx.file, path, message: r });
    return undefined;
  }
  return { command: r.command, args: [...r.args, ...a.slice(1)] };
}

/** Resolves the top-level `secrets:` section (paths absolute, programs resolved on PATH). */
export function resolveSecretsSection(raw: SecretsRaw, ctx: SecretsLoadContext): SecretsConfig {
  const mk = raw.master_key;
  let masterKey: SecretsConfig['masterKey'] = { kind: 'file', path: join(ctx.dataDir, 'secrets.key') };
  if (mk.file !== undefined) masterKey = { kind: 'file', path: resolve(ctx.baseDir, mk.file) };
  else if (mk.env !== undefined) masterKey = { kind: 'env', variable: mk.env };
  else if (mk.command !== undefined) {
    const c = argv(ctx, 'secrets.master_key.command', mk.command);
    if (c !== undefined) masterKey = { kind: 'command', command: c };
  }
  const sources: Record<string, SecretSourceConfig> = {};
  for (const [name, s] of Object.entries(raw.sources)) {
    const at = `secrets.sources.${name}`;
    const command = s.command === undefined ? undefined : argv(ctx, `${at}.command`, s.command);
    const rotateCommand =
      s.rotate_command === undefined ? undefined : argv(ctx, `${at}.rotate_command`, s.rotate_command);
    sources[name] = {
      provider: s.provider,
      ...(s.provider === 'env' ? { env: s.env ?? name } : {}),
      ...(command === undefined ? {} : { command }),
      ...(s.ttl === undefined ? {} : { ttlMs: s.ttl }),
      ...(s.rotate_every === undefined ? {} : { rotateEveryMs: s.rotate_every }),
      ...(rotateCommand === undefined ? {} : { rotateCommand }),
      ...(s.servers === undefined ? {} : { servers: s.servers }),
    };
  }
  const ca = raw.upstream_ca;
  const upstreamCa = ca === undefined ? [] : readUpstreamCa(ctx, typeof ca === 'string' ? [ca] : ca);
  return {
    masterKey,
    graceMs: raw.grace,
    patterns: raw.patterns,
    canaries: raw.canaries,
    sources,
    upstreamCa,
  };
}

/**
 * A source restricted to servers (`secrets.sources.NAME.servers`) must name servers that exist:
 * a typo would otherwise lock the secret away from the server meant to use it, silently.
 */
export function checkSourceServers(
  section: SecretsConfig,
  serverNames: readonly string[],
  ctx: SecretsLoadContext,
): void {
  const known = new Set(serverNames);
  for (const [name, src] of Object.entries(section.sources)) {
    for (const [i, server] of (src.servers ?? []).entries()) {
      if (known.has(server)) continue;
      const shown = JSON.stringify(server.slice(0, 64));
      ctx.issues.push({
        file: ctx.file,
        path: `secrets.sources.${name}.servers.${i}`,
        message: `secret ${name} is restricted to server ${shown}, which is not defined in servers: (known: ${serverNames.length === 0 ? 'none' : [...serverNames].sort().join(', ')})`,
      });
    }
  }
}

/** Reads each `secrets.upstream_ca` file: PEM certificates trusted for TLS to placeholder-bound hosts. */
function readUpstreamCa(ctx: SecretsLoadContext, files: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, f] of files.entries()) {
    const path = resolve(ctx.baseDir, f);
    const at = files.length === 1 ? 'secrets.upstream_ca' : `secrets.upstream_ca.${i}`;
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (e) {
      ctx.issues.push({
        file: ctx.file,
        path: at,
        message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      });
      continue;
    }
    try {
      if (!new X509Certificate(pem).ca) throw new Error('not a CA');
      out.push(pem);
    } catch {
      ctx.issues.push({
        file: ctx.file,
        path: at,
        message: `${path} is not a PEM CA certificate (basicConstraints CA:TRUE)`,
      });
    }
  }
  return out;
}

/**
 * Resolves one server's `secrets:`; checks every name it asks for against the sources' server
 * restriction (SB-4) and that a placeholder secret is not also handed over as a real value.
 */
export function resolveServerSecrets(
  server: string,
  raw: StdioSecretsRaw | RemoteSecretsRaw | undefined,
  section: SecretsConfig,
  ctx: SecretsLoadContext,
): ServerSecretsConfig | undefined {
  if (raw === undefined) return undefined;
  const at = `servers.${server}.secrets`;
  const env = 'env' in raw && raw.env !== undefined ? raw.env : {};
  const headers = 'headers' in raw && raw.headers !== undefined ? raw.headers : {};
  const placeholders: Record<string, { hosts: readonly string[]; env: string }> = {};
  if ('placeholders' in raw && raw.placeholders !== undefined) {
    for (const [name, p] of Object.entries(raw.placeholders))
      placeholders[name] = { hosts: p.hosts, env: p.env ?? name };
  }
  const asked: { name: string; path: string }[] = [
    ...Object.entries(env).map(([v, name]) => ({ name, path: `${at}.env.${v}` })),
    ...Object.keys(placeholders).map((name) => ({ name, path: `${at}.placeholders.${name}` })),
  ];
  for (const [h, template] of Object.entries(headers)) {
    for (const name of templateNames(template)) {
      if (!SECRET_NAME.test(name)) {
        ctx.issues.push({
          file: ctx.file,
          path: `${at}.headers.${h}`,
          message: `\${${name.slice(0, 40)}} is not a secret name (patterns are refused, SB-4)`,
        });
        continue;
      }
      asked.push({ name, path: `${at}.headers.${h}` });
    }
  }
  for (const { name, path } of asked) {
    const allowed = section.sources[name]?.servers;
    if (allowed !== undefined && !allowed.includes(server)) {
      ctx.issues.push({
        file: ctx.file,
        path,
        message: `secret ${name} is restricted to servers ${allowed.join(', ')} (secrets.sources.${name}.servers); ${server} may not ask for it (SB-4)`,
      });
    }
  }
  const envVars = new Set(Object.keys(env));
  for (const [name, p] of Object.entries(placeholders)) {
    if (Object.values(env).includes(name))
      ctx.issues.push({
        file: ctx.file,
        path: `${at}.placeholders.${name}`,
        message: `secret ${name} is both a placeholder and a real env value: the real value would enter the sandbox (CD-5)`,
      });
    if (envVars.has(p.env))
      ctx.issues.push({
        file: ctx.file,
        path: `${at}.placeholders.${name}.env`,
        message: `variable ${p.env} is already set from env`,
      });
  }
  return { env, headers, placeholders };
}
