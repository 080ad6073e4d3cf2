import { chownSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../config/index.ts';
import type { WardenConfig } from '../../config/index.ts';
import { AppError } from '../../core/index.ts';
import { issuerOf, openIdentity } from '../../gateway/index.ts';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS, parseGrantFlags, parseTtl } from '../../identity/index.ts';
import type { Identity } from '../../identity/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import type { SandboxOverrides } from '../../sandbox/index.ts';
import { PlainLauncher } from '../../sandbox/index.ts';
import { issueFromFlags } from './token.ts';
import type { GrantOptions } from './token.ts';

/** Where the sandboxed agent finds its MCP client configuration and its current token. */
export const MCP_CONFIG_ENV = 'WARDEN_MCP_CONFIG';
export const TOKEN_FILE_ENV = 'WARDEN_TOKEN_FILE';
export const GATEWAY_URL_ENV = 'WARDEN_GATEWAY_URL';
/** The uid a sandbox runs as when Warden runs as root (src/sandbox profile default). */
const SANDBOX_UID = 65534;

export interface TaskToken {
  /** Environment for the sandboxed program (paths and URL only; never a credential). */
  readonly env: Readonly<Record<string, string>>;
  /** The host directory holding the files, bound read-only at the same path inside. */
  readonly dir: string;
  /** Egress rule that lets the sandbox reach the gateway (and nothing else on loopback). */
  readonly egressRule: string;
  /** The token ids minted for this run (the current one last). */
  readonly jtis: readonly string[];
  /** Stops refreshing, revokes every token minted for the run, removes the files. */
  stop(): Promise<number>;
}

/**
 * `warden run --agent A`: mints a task token for the agent, writes an MCP client configuration
 * holding only that token into a private directory the sandbox sees read-only, re-mints it at
 * two thirds of its lifetime while the program runs (rewritten atomically, so a reader sees the
 * old or the new file, never half of one), and revokes every token of the run when it ends.
 * The agent's API key and bootstrap key never leave this process.
 */
export async function startTaskToken(
  cfg: WardenConfig,
  agent: string,
  grant: GrantOptions,
  log: (line: string) => void = () => {},
): Promise<TaskToken> {
  const store: Store = await openStore({ url: cfg.store.url, dataDir: cfg.dataDir });
  let id: Identity;
  try {
    id = await openIdentity(store, cfg, cfg.gateway.publicUrl);
  } catch (e) {
    await store.close();
    throw e;
  }
  const url = cfg.gateway.publicUrl;
  const dir = mkdtempSync(join(tmpdir(), 'warden-run-'));
  const asRoot = process.getuid?.() === 0;
  const jtis: string[] = [];
  const write = (name: string, text: string): void => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o600 });
    if (asRoot) chownSync(tmp, SANDBOX_UID, SANDBOX_UID);
    renameSync(tmp, join(dir, name));
  };
  if (asRoot) chownSync(dir, SANDBOX_UID, SANDBOX_UID);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const mint = async (): Promise<void> => {
    const t = await issueFromFlags(id, agent, grant);
    jtis.push(t.jti);
    write('token', t.token + '\n');
    write('mcp.json', mcpConfig(url, t.token));
    const lifetime = t.expiresAt - Date.now();
    if (!stopped) {
      timer = setTimeout(
        () => {
          mint().catch((e: unknown) => log(`warden run: token refresh failed: ${(e as Error).message}`));
        },
        Math.max(1000, Math.floor((lifetime * 2) / 3)),
      );
      timer.unref();
    }
  };
  try {
    await mint();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    await store.close();
    throw e;
  }
  const gw = new URL(url);
  const host = gw.hostname === 'localhost' ? '127.0.0.1' : gw.hostname;
  const port = gw.port === '' ? (gw.protocol === 'https:' ? 443 : 80) : Number(gw.port);
  return {
    env: {
      [MCP_CONFIG_ENV]: join(dir, 'mcp.json'),
      [TOKEN_FILE_ENV]: join(dir, 'token'),
      [GATEWAY_URL_ENV]: url,
    },
    dir,
    egressRule: `${host}:${port}`,
    jtis,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      let revoked = 0;
      try {
        for (const jti of jtis) revoked += await id.tokens.revoke({ jti });
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await store.close();
      }
      return revoked;
    },
  };
}

/** The run's sandbox profile plus the token directory (read-only) and the gateway (egress). */
export function withTaskToken(profile: SandboxOverrides, task: TaskToken): SandboxOverrides {
  return {
    ...profile,
    readOnlyPaths: [...(profile.readOnlyPaths ?? []), task.dir],
    egress: {
      ...profile.egress,
      allowHosts: [...(profile.egress?.allowHosts ?? []), task.egressRule],
    },
  };
}

/**
 * `warden run --delegate …` inside a Warden sandbox: exchanges the caller's task token (from
 * WARDEN_TOKEN_FILE, kept fresh by the outer `warden run`) at the gateway's /token for a
 * narrower one (RFC 8693 with the same token as subject and actor: attenuation, never a wider
 * grant or a later expiry), writes it to a new private directory and runs COMMAND there with
 * WARDEN_MCP_CONFIG / WARDEN_TOKEN_FILE pointing at it. The narrower token is re-exchanged at
 * two thirds of its lifetime. Nested namespaces are not available inside a sandbox, so COMMAND
 * runs in the caller's sandbox: the narrowing limits what it is handed, not what it could read
 * in the caller's own files (use a separate `warden run --agent` for isolation).
 */
export async function runDelegated(
  command: string,
  args: readonly string[],
  grant: GrantOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const tokenFile = env[TOKEN_FILE_ENV];
  const url = env[GATEWAY_URL_ENV];
  if (tokenFile === undefined || url === undefined) {
    throw new RunDelegateError(
      'ERR_DELEGATE_OUTSIDE_SANDBOX',
      `--delegate runs inside \`warden run --agent\`: ${TOKEN_FILE_ENV} and ${GATEWAY_URL_ENV} are not set`,
    );
  }
  const dir = mkdtempSync(join(env.TMPDIR ?? tmpdir(), 'warden-delegate-'));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const write = (name: string, text: string): void => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, join(dir, name));
  };
  const exchange = async (): Promise<void> => {
    const caller = readFileSync(tokenFile, 'utf8').trim();
    const form = new URLSearchParams({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: caller,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: caller,
      actor_token_type: TOKEN_TYPE_ACCESS,
    });
    if (grant.tool.length > 0) form.set('scope', grant.tool.join(' '));
    if (grant.arg.length > 0) {
      const g = parseGrantFlags({ tools: grant.tool, args: grant.arg, expiresAt: Number.MAX_SAFE_INTEGER });
      form.delete('scope');
      form.set(
        'authorization_details',
        JSON.stringify([{ type: 'warden_grant', tools: g.tools, ...(g.args ? { args: g.args } : {}) }]),
      );
    }
    if (grant.task !== undefined) form.set('task', grant.task);
    if (grant.ttl !== undefined) form.set('ttl', String(parseTtl(grant.ttl)));
    const r = await fetch(`${issuerOf(url)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    const body = (await r.json()) as {
      access_token?: string;
      expires_in?: number;
      error_description?: string;
    };
    if (r.status !== 200 || body.access_token === undefined) {
      throw new RunDelegateError(
        'ERR_DELEGATE_REFUSED',
        `the gateway refused the delegation: ${body.error_description ?? `HTTP ${r.status}`}`,
      );
    }
    write('token', body.access_token + '\n');
    write('mcp.json', mcpConfig(url, body.access_token));
    if (!stopped) {
      timer = setTimeout(
        () => void exchange().catch(() => {}),
        Math.max(1000, Math.floor(((body.expires_in ?? 60) * 1000 * 2) / 3)),
      );
      timer.unref();
    }
  };
  try {
    await exchange();
    const child = await new PlainLauncher().launch({
      command,
      args,
      env: {
        ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
        [MCP_CONFIG_ENV]: join(dir, 'mcp.json'),
        [TOKEN_FILE_ENV]: join(dir, 'token'),
      },
      label: 'delegate',
    });
    process.stdin.pipe(child.stdin);
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
    const status = await child.exited;
    process.stdin.unpipe(child.stdin);
    return status.code ?? 128 + 15;
  } finally {
    stopped = true;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

class RunDelegateError extends AppError<'ERR_DELEGATE_OUTSIDE_SANDBOX' | 'ERR_DELEGATE_REFUSED'> {}

function mcpConfig(url: string, token: string): string {
  return (
    JSON.stringify(
      { mcpServers: { warden: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
      null,
      2,
    ) + '\n'
  );
}

/** What a delegated sub-agent inherits from the caller's sandbox: paths, terminal, egress proxy. */
const DELEGATE_ENV = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TERM',
  'LANG',
  'COLORTERM',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_OPTIONS',
  GATEWAY_URL_ENV,
  TOKEN_FILE_ENV,
];

export function delegateEnv(): Record<string, string | undefined> {
  return Object.fromEntries(DELEGATE_ENV.map((k) => [k, readEnv(k)]));
}
