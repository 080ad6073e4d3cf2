import { chownSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WardenConfig } from '../../config/index.ts';
import { openIdentity } from '../../gateway/index.ts';
import type { Identity } from '../../identity/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import type { SandboxOverrides } from '../../sandbox/index.ts';
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
    write(
      'mcp.json',
      JSON.stringify(
        {
          mcpServers: {
            warden: { type: 'http', url, headers: { Authorization: `Bearer ${t.token}` } },
          },
        },
        null,
        2,
      ) + '\n',
    );
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
