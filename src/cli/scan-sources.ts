/**
 * Where `warden scan` finds MCP servers: warden.yaml and the configuration files of common MCP
 * clients (Claude Desktop, Claude Code, Cursor, VS Code). Each file is read as JSON; a file that
 * is missing is skipped, one that cannot be read or parsed is reported with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WardenConfig } from '../config/index.ts';

export type ServerSpec =
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly cwd?: string | undefined;
    }
  | { readonly kind: 'remote'; readonly url: string; readonly headers: Readonly<Record<string, string>> };

export interface FoundServer {
  readonly name: string;
  /** Where it was found: 'warden.yaml' or the client and file. */
  readonly source: string;
  readonly spec: ServerSpec;
  /**
   * The MCP client configuration file it came from. Absent for warden.yaml (the operator's own,
   * trusted configuration); present, the server needs an approval before it is started (LS-1).
   */
  readonly clientFile?: string;
}

export interface SourceProblem {
  readonly source: string;
  readonly message: string;
}

interface ClientFile {
  readonly client: string;
  readonly path: string;
  /** The key holding the servers: `mcpServers` (most clients) or `servers` (VS Code). */
  readonly key: 'mcpServers' | 'servers';
}

/** The client configuration files looked at, for a home directory and a project directory. */
export function clientConfigFiles(home: string, cwd: string): ClientFile[] {
  return [
    {
      client: 'Claude Desktop',
      path: join(home, '.config', 'Claude', 'claude_desktop_config.json'),
      key: 'mcpServers',
    },
    {
      client: 'Claude Desktop',
      path: join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json'),
      key: 'mcpServers',
    },
    { client: 'Claude Code', path: join(cwd, '.mcp.json'), key: 'mcpServers' },
    { client: 'Claude Code', path: join(home, '.claude.json'), key: 'mcpServers' },
    { client: 'Cursor', path: join(home, '.cursor', 'mcp.json'), key: 'mcpServers' },
    { client: 'Cursor', path: join(cwd, '.cursor', 'mcp.json'), key: 'mcpServers' },
    { client: 'VS Code', path: join(cwd, '.vscode', 'mcp.json'), key: 'servers' },
    { client: 'VS Code', path: join(home, '.config', 'Code', 'User', 'mcp.json'), key: 'servers' },
  ];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'object' && v !== null && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** One client entry (`{ command, args, env }` or `{ url, headers }`) as a spec, or why not. */
export function entrySpec(entry: unknown): ServerSpec | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'entry is not an object';
  const e = entry as Record<string, unknown>;
  if (typeof e.command === 'string' && e.command !== '') {
    return {
      kind: 'stdio',
      command: e.command,
      args: strings(e.args),
      env: stringMap(e.env),
      ...(typeof e.cwd === 'string' ? { cwd: e.cwd } : {}),
    };
  }
  if (typeof e.url === 'string') return { kind: 'remote', url: e.url, headers: stringMap(e.headers) };
  return 'entry has neither command nor url';
}

function serversOf(doc: Record<string, unknown>, f: ClientFile, cwd: string): [string, unknown][] {
  const out: [string, unknown][] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(...Object.entries(v));
  };
  add(doc[f.key]);
  // Claude Code keeps per-project servers in ~/.claude.json under projects[<absolute dir>].
  if (f.client === 'Claude Code' && typeof doc.projects === 'object' && doc.projects !== null) {
    const project = (doc.projects as Record<string, unknown>)[resolve(cwd)];
    if (typeof project === 'object' && project !== null) add((project as Record<string, unknown>).mcpServers);
  }
  return out;
}

/** Servers in the client configuration files that exist. */
export function clientServers(
  home: string,
  cwd: string,
): { servers: FoundServer[]; problems: SourceProblem[] } {
  const servers: FoundServer[] = [];
  const problems: SourceProblem[] = [];
  for (const f of clientConfigFiles(home, cwd)) {
    if (!existsSync(f.path)) continue;
    const source = `${f.client} (${f.path})`;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(f.path, 'utf8'));
    } catch (e) {
      problems.push({ source, message: `cannot read it as JSON: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      problems.push({ source, message: 'not a JSON object' });
      continue;
    }
    for (const [name, entry] of serversOf(doc as Record<string, unknown>, f, cwd)) {
      const spec = entrySpec(entry);
      if (typeof spec === 'string') problems.push({ source: `${source} ${name}`, message: spec });
      else servers.push({ name, source, spec, clientFile: f.path });
    }
  }
  return { servers, problems };
}

/** Servers of warden.yaml (stdio with their resolved command, remote with their headers). */
export function configServers(cfg: WardenConfig): { servers: FoundServer[]; problems: SourceProblem[] } {
  const servers: FoundServer[] = [];
  const problems: SourceProblem[] = [];
  for (const s of cfg.servers) {
    const source = `warden.yaml (${cfg.file})`;
    if (s.kind === 'remote') {
      servers.push({ name: s.name, source, spec: { kind: 'remote', url: s.url, headers: s.headers } });
    } else if (s.command === '') {
      problems.push({
        source: `${source} ${s.name}`,
        message:
          'installed by the gateway from the signed catalog (catalog.enforce); start the gateway to scan it',
      });
    } else {
      servers.push({
        name: s.name,
        source,
        spec: { kind: 'stdio', command: s.command, args: s.args, env: s.env, cwd: s.cwd },
      });
    }
  }
  return { servers, problems };
}
