import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import type { Command } from 'commander';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AppError } from '../../core/index.ts';
import { loadConfig, readEnv, resolveCommand } from '../../config/index.ts';
import { LaunchedStdioTransport, wardenVersion } from '../../gateway/index.ts';
import { BwrapLauncher } from '../../sandbox/index.ts';
import {
  hasFindingAtLeast,
  normalizeForDisplay,
  parseDefinitionLists,
  scanItems,
  toSarif,
} from '../../scan/index.ts';
import type { DefinitionLists, ItemKind, ItemScanResult, Severity } from '../../scan/index.ts';
import { EXIT } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import { approvalHash, describeForApproval, quoteForTerminal, ScanApprovals } from '../scan-approval.ts';
import { clientServers, configServers } from '../scan-sources.ts';
import type { FoundServer, SourceProblem } from '../scan-sources.ts';

class ScanCliError extends AppError<'ERR_USAGE' | 'ERR_SCAN_INPUT'> {}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const MAX_INPUT = 64 * 1024 * 1024;
const defs = z.array(z.record(z.string(), z.unknown()));
const page = { nextCursor: z.unknown().optional() };
/** Each listing, parsed loosely: a definition the SDK would reject is exactly what must be scanned. */
const LISTS = {
  tools: { method: 'tools/list', schema: z.looseObject({ tools: defs, ...page }) },
  prompts: { method: 'prompts/list', schema: z.looseObject({ prompts: defs, ...page }) },
  resources: { method: 'resources/list', schema: z.looseObject({ resources: defs, ...page }) },
  resourceTemplates: {
    method: 'resources/templates/list',
    schema: z.looseObject({ resourceTemplates: defs, ...page }),
  },
} as const;
type ListKey = keyof typeof LISTS;
const KIND_OF: Readonly<Record<ListKey, ItemKind>> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  resourceTemplates: 'resource-template',
};
const LIST_KEYS = Object.keys(LISTS) as ListKey[];

interface ScanFlags {
  sarif?: boolean;
  failOn: Severity;
}

interface ServerScanFlags extends ScanFlags {
  clients: boolean;
  timeout: string;
  approveClientServers?: boolean;
}

/**
 * How a server came to be started, or why not: `warden.yaml` (the operator's own configuration,
 * trusted), `recorded` (approved before, entry unchanged), `approved` (approved in this run, on
 * the terminal or with --approve-client-servers), `declined` (answered no), `skipped` (no terminal
 * to ask on and no --approve-client-servers).
 */
type Approval = 'warden.yaml' | 'recorded' | 'approved' | 'declined' | 'skipped';

/** One server's line in `warden --json scan`. */
interface ServerReport {
  server: string;
  source: string;
  approval: Approval;
  approvalHash?: string;
  status: 'scanned' | 'failed' | 'not-started';
  tools?: number;
  prompts?: number;
  resources?: number;
  resourceTemplates?: number;
  error?: string;
}

/** commander parser for --fail-on: a usage error (exit 2) names the accepted values. */
function failOn(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`takes one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

/** One server's (or file's) results, as they are printed. */
interface Scanned {
  readonly label: string;
  readonly uri: string;
  readonly server?: string;
  readonly source?: string;
  /** Tools, prompts, resources and resource templates, each with its kind. */
  readonly results: readonly ItemScanResult[];
}

/** Scans every list present, tools first. */
function scanLists(lists: DefinitionLists, otherServerTools: readonly string[] = []): ItemScanResult[] {
  return LIST_KEYS.flatMap((k) => scanItems(KIND_OF[k], lists[k] ?? [], { otherServerTools }));
}

/** How an item is named in human output: tools by name, others by kind and name or URI. */
function itemLabel(r: ItemScanResult): string {
  const id = normalizeForDisplay(r.uri ?? r.uriTemplate ?? r.name);
  return r.kind === 'tool' ? id : `${r.kind} ${id}`;
}

/** One JSON entry per item: the tool entry's fields as before, plus `kind` (and uri/uriTemplate). */
function entry(r: ItemScanResult): Record<string, unknown> {
  return {
    kind: r.kind,
    name: r.name,
    ...(r.uri === undefined ? {} : { uri: r.uri }),
    ...(r.uriTemplate === undefined ? {} : { uriTemplate: r.uriTemplate }),
    verdict: r.verdict,
    score: r.score,
    findings: r.findings,
  };
}

function human(sets: readonly Scanned[]): string {
  const lines: string[] = [];
  for (const s of sets) {
    const n = (k: ItemKind): number => s.results.filter((r) => r.kind === k).length;
    const others = n('prompt') + n('resource') + n('resource-template');
    lines.push(
      `${s.label}: ${n('tool')} tools${others === 0 ? '' : `, ${n('prompt')} prompts, ${n('resource')} resources, ${n('resource-template')} resource templates`}`,
    );
    for (const r of s.results) {
      lines.push(`  ${r.verdict.padEnd(10)} ${itemLabel(r)}`);
      for (const f of r.findings)
        lines.push(
          `    ${f.severity.padEnd(8)} ${f.ruleId} at ${f.pointer || '/'}: ${f.message} — ${f.excerpt}`,
        );
    }
  }
  const all = sets.flatMap((s) => s.results);
  const summary = (rs: readonly ItemScanResult[]): string => {
    const count = (v: string): number => rs.filter((r) => r.verdict === v).length;
    return `${count('clean')} clean, ${count('suspicious')} suspicious, ${count('malicious')} malicious`;
  };
  const tools = all.filter((r) => r.kind === 'tool');
  const others = all.filter((r) => r.kind !== 'tool');
  lines.push(`${tools.length} tools: ${summary(tools)}`);
  if (others.length > 0) {
    const n = (k: ItemKind): number => others.filter((r) => r.kind === k).length;
    lines.push(
      `${n('prompt')} prompts, ${n('resource')} resources, ${n('resource-template')} resource templates: ${summary(others)}`,
    );
  }
  return lines.join('\n');
}

function output(
  opts: GlobalOptions,
  flags: ScanFlags,
  sets: readonly Scanned[],
  servers?: readonly ServerReport[],
): void {
  const min = flags.failOn;
  if (flags.sarif === true) {
    const runs = sets.flatMap(
      (s) => (toSarif(s.results, { uri: s.uri, toolVersion: wardenVersion() }) as { runs: unknown[] }).runs,
    );
    const doc = { ...toSarif([], { uri: '' }), runs };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else if (opts.json === true) {
    const entries = (kind?: ItemKind): Record<string, unknown>[] =>
      sets.flatMap((s) =>
        s.results
          .filter((r) => kind === undefined || r.kind === kind)
          .map((r) => ({
            ...(s.server === undefined ? {} : { server: s.server, source: s.source }),
            ...entry(r),
          })),
      );
    // `scan tools FILE`: one array of every entry; `scan`: the tool entries under `tools` as
    // before, the other kinds under their own keys.
    const doc =
      servers === undefined
        ? entries()
        : {
            servers,
            tools: entries('tool'),
            prompts: entries('prompt'),
            resources: entries('resource'),
            resourceTemplates: entries('resource-template'),
          };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    process.stdout.write(human(sets) + '\n');
  }
  if (sets.some((s) => hasFindingAtLeast(s.results, min))) process.exitCode = EXIT.FAIL;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    if (!existsSync(file)) throw new ScanCliError('ERR_SCAN_INPUT', `${file}: no such file`);
    return readFileSync(file, 'utf8');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT) throw new ScanCliError('ERR_SCAN_INPUT', `stdin is larger than ${MAX_INPUT} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const progress = (line: string): boolean => process.stderr.write(`${line}\n`);

/**
 * Starts one server (stdio: sandboxed, never plainly), lists its tools and, when it offers them,
 * its prompts, resources and resource templates, and stops it.
 */
async function listServerDefinitions(
  s: FoundServer,
  launcher: BwrapLauncher,
  timeoutMs: number,
): Promise<Required<DefinitionLists>> {
  let transport: Transport;
  let stderr = '';
  if (s.spec.kind === 'remote') {
    transport = new StreamableHTTPClientTransport(new URL(s.spec.url), {
      requestInit: { headers: { ...s.spec.headers } },
    });
  } else {
    const found = resolveCommand(s.spec.command, { PATH: readEnv('PATH') ?? '/usr/local/bin:/usr/bin:/bin' });
    if (typeof found === 'string') throw new Error(found);
    const proc = await launcher.launch({
      command: found.command,
      // A script reached through a symlinked node_modules is named by its real path, the one
      // the sandbox mounts.
      args: [...found.args, ...s.spec.args].map((a) =>
        /^\/.*\.(?:c|m)?js$/.test(a) && existsSync(a) ? realpathSync(a) : a,
      ),
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...s.spec.env },
      label: `scan:${s.name}`,
    });
    transport = new LaunchedStdioTransport(proc, {
      maxLineBytes: 64 * 1024 * 1024,
      onStderr: (chunk) => (stderr = (stderr + chunk).slice(-2000)),
    });
  }
  const client = new Client({ name: 'warden-scan', version: wardenVersion() });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no tool list within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        await client.connect(transport);
        const caps = client.getServerCapabilities() ?? {};
        const out = {
          tools: [],
          prompts: [],
          resources: [],
          resourceTemplates: [],
        } as Required<DefinitionLists>;
        for (const key of LIST_KEYS) {
          const offered =
            key === 'tools'
              ? true
              : key === 'prompts'
                ? caps.prompts !== undefined
                : caps.resources !== undefined;
          if (!offered) continue;
          let cursor: string | undefined;
          for (let page = 0; page < 100; page++) {
            const r = (await client.request(
              { method: LISTS[key].method, ...(cursor === undefined ? {} : { params: { cursor } }) },
              LISTS[key].schema,
            )) as Record<string, unknown>;
            out[key].push(...(r[key] as Record<string, unknown>[]));
            cursor = typeof r.nextCursor === 'string' ? r.nextCursor : undefined;
            if (cursor === undefined) break;
          }
        }
        return out;
      })(),
      timeout,
    ]);
  } catch (e) {
    const tail = normalizeForDisplay(stderr.trim().split('\n').slice(-6).join(' | '));
    throw new Error(`${(e as Error).message}${tail === '' ? '' : ` (stderr: ${tail})`}`);
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
  }
}

/**
 * Decides, before anything is started, which servers may run (LS-1, LS-4): those of warden.yaml
 * always; a client configuration's server when its exact entry was approved before, or after its
 * full argv is shown and approved now (y on a terminal, or --approve-client-servers).
 */
async function approveServers(
  found: readonly FoundServer[],
  approvals: ScanApprovals,
  approveAll: boolean,
): Promise<Map<FoundServer, { approval: Approval; hash?: string }>> {
  const out = new Map<FoundServer, { approval: Approval; hash?: string }>();
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  let rl: ReturnType<typeof createInterface> | undefined;
  try {
    for (const s of found) {
      if (s.clientFile === undefined) {
        out.set(s, { approval: 'warden.yaml' });
        continue;
      }
      const hash = approvalHash(s);
      if (approvals.has(hash)) {
        out.set(s, { approval: 'recorded', hash });
        continue;
      }
      progress(describeForApproval(s, hash));
      if (approveAll) {
        approvals.record(hash, s, 'flag');
        progress('  approved (--approve-client-servers)');
        out.set(s, { approval: 'approved', hash });
      } else if (interactive) {
        rl ??= createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('  start it in a sandbox to list its tools? [y/N] ');
        if (/^\s*y(es)?\s*$/i.test(answer)) {
          approvals.record(hash, s, 'terminal');
          out.set(s, { approval: 'approved', hash });
        } else {
          progress(`  declined: ${quoteForTerminal(s.name)} is not started`);
          out.set(s, { approval: 'declined', hash });
        }
      } else {
        progress(
          `  skipped: ${quoteForTerminal(s.name)} is not approved and is not started (approve it on a terminal, or pass --approve-client-servers after reading the command above)`,
        );
        out.set(s, { approval: 'skipped', hash });
      }
    }
  } finally {
    rl?.close();
  }
  return out;
}

async function scanServers(opts: GlobalOptions, flags: ServerScanFlags): Promise<void> {
  const found: FoundServer[] = [];
  const problems: SourceProblem[] = [];
  // The approvals live in the data directory: warden.yaml's data_dir, or --data-dir, or .warden
  // next to where warden.yaml would be.
  let dataDir = resolve(dirname(opts.config), opts.dataDir ?? '.warden');
  if (existsSync(opts.config)) {
    const cfg = loadConfig(opts.config, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
    dataDir = cfg.dataDir;
    const c = configServers(cfg);
    found.push(...c.servers);
    problems.push(...c.problems);
  }
  if (flags.clients) {
    const c = clientServers(readEnv('HOME') ?? '/nonexistent', process.cwd());
    found.push(...c.servers);
    problems.push(...c.problems);
  }
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ScanCliError('ERR_USAGE', '--timeout takes a number of seconds');
  for (const p of problems) progress(`skipped ${p.source}: ${p.message}`);
  if (found.length === 0) {
    progress(
      'no MCP servers found (looked at warden.yaml and the Claude Desktop, Claude Code, Cursor and VS Code configurations)',
    );
  }
  const decided = await approveServers(
    found,
    new ScanApprovals(dataDir),
    flags.approveClientServers === true,
  );
  const launcher = new BwrapLauncher({ requireSelfTest: true });
  const listed: { s: FoundServer; lists: Required<DefinitionLists> }[] = [];
  const reports: ServerReport[] = [];
  let failed = problems.length > 0 && found.length === 0;
  for (const [i, s] of found.entries()) {
    const { approval, hash } = decided.get(s)!;
    const report: ServerReport = {
      server: s.name,
      source: s.source,
      approval,
      ...(hash === undefined ? {} : { approvalHash: hash }),
      status: 'not-started',
    };
    reports.push(report);
    if (approval === 'declined' || approval === 'skipped') {
      // Not scanned, so the scan is incomplete: exit 1.
      failed = true;
      continue;
    }
    progress(
      `[${i + 1}/${found.length}] ${s.name} (${s.source}): starting${s.spec.kind === 'stdio' ? ' in a sandbox' : ''}…`,
    );
    try {
      const lists = await listServerDefinitions(s, launcher, seconds * 1000);
      const others = lists.prompts.length + lists.resources.length + lists.resourceTemplates.length;
      progress(
        `[${i + 1}/${found.length}] ${s.name}: ${lists.tools.length} tools${others === 0 ? '' : `, ${lists.prompts.length} prompts, ${lists.resources.length} resources, ${lists.resourceTemplates.length} resource templates`}`,
      );
      listed.push({ s, lists });
      report.status = 'scanned';
      report.tools = lists.tools.length;
      report.prompts = lists.prompts.length;
      report.resources = lists.resources.length;
      report.resourceTemplates = lists.resourceTemplates.length;
    } catch (e) {
      failed = true;
      report.status = 'failed';
      report.error = (e as Error).message;
      progress(`[${i + 1}/${found.length}] ${s.name}: could not list tools: ${(e as Error).message}`);
    }
  }
  const names = listed.flatMap(({ s, lists }) => lists.tools.map((t) => `${s.name}.${String(t.name)}`));
  const sets: Scanned[] = listed.map(({ s, lists }) => ({
    label: `${s.name} (${s.source})`,
    uri: `mcp://${s.name}`,
    server: s.name,
    source: s.source,
    results: scanLists(
      lists,
      names.filter((n) => !n.startsWith(`${s.name}.`)),
    ),
  }));
  output(opts, flags, sets, reports);
  const unapproved = reports.filter((r) => r.approval === 'declined' || r.approval === 'skipped').length;
  if (unapproved > 0)
    progress(
      `${unapproved} server(s) from MCP client configurations were not approved and not scanned (exit 1)`,
    );
  if (failed) process.exitCode = EXIT.FAIL;
}

/**
 * `warden scan`: the tool-definition scanner (THREATS TP-1…TP-5, SH-2, SH-3) as a command, over
 * the servers configured in warden.yaml and in MCP clients (each stdio server started in a
 * sandbox, never unsandboxed), or over a saved tool list (`warden scan tools FILE|-`).
 */
export function register(program: Command): void {
  const scan = program
    .command('scan')
    .description(
      'scan MCP servers (warden.yaml and Claude Desktop, Claude Code, Cursor, VS Code configurations) for poisoned tools, prompts, resources and resource templates; each stdio server runs in a sandbox',
    )
    .option('--sarif', 'SARIF 2.1.0 on stdout for code-scanning pipelines')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: low, medium, high, critical',
      failOn,
      'high',
    )
    .option('--no-clients', 'only the servers of warden.yaml, not those of MCP client configurations')
    .option('--timeout <seconds>', 'how long a server may take to list its tools', '30')
    .option(
      '--approve-client-servers',
      'approve every server of an MCP client configuration not approved before (its exact command is printed first); without it they are asked about on a terminal, or skipped (exit 1) without one',
    )
    .addHelpText(
      'after',
      `
Servers of MCP client configurations (not warden.yaml) are never started before approval: the
exact command, every argument and the env variable names are printed, escaped, and you are asked
(y/N) on a terminal. Without a terminal and without --approve-client-servers they are skipped and
the exit code is 1. Approvals are recorded in <data dir>/scan-approvals.json by a hash of (file,
server name, argv, env names); any change of the entry asks again.`,
    )
    .action(async (o: ServerScanFlags, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await scanServers(opts, o);
    });
  scan
    .command('tools <file>')
    .description(
      "scan a saved tools/list result, a JSON-RPC response carrying one, or a JSON array of tools; or saved prompts/list, resources/list, resources/templates/list results, or one object with several of these lists ('-' reads stdin); --sarif and --fail-on as for `warden scan`",
    )
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      // `scan`'s own options (--sarif, --fail-on) are parsed wherever they appear.
      const o = cmd.parent!.opts<ScanFlags>();
      const text = await readInput(file);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new ScanCliError(
          'ERR_SCAN_INPUT',
          `${file === '-' ? 'stdin' : file} is not JSON: ${(e as Error).message.split('\n')[0]}`,
        );
      }
      output(opts, o, [
        {
          label: file === '-' ? 'stdin' : file,
          uri: file === '-' ? 'stdin' : file,
          results: scanLists(parseDefinitionLists(value)),
        },
      ]);
    });
}
