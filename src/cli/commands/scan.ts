import { existsSync, readFileSync, realpathSync } from 'node:fs';
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
  parseToolList,
  scanTools,
  toSarif,
} from '../../scan/index.ts';
import type { Severity, ToolScanResult } from '../../scan/index.ts';
import { EXIT } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import { clientServers, configServers } from '../scan-sources.ts';
import type { FoundServer, SourceProblem } from '../scan-sources.ts';

class ScanCliError extends AppError<'ERR_USAGE' | 'ERR_SCAN_INPUT'> {}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const MAX_INPUT = 64 * 1024 * 1024;
const LIST_RESULT = z.looseObject({
  tools: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.unknown().optional(),
});

interface ScanFlags {
  sarif?: boolean;
  failOn: Severity;
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
  readonly results: readonly ToolScanResult[];
}

function human(sets: readonly Scanned[]): string {
  const lines: string[] = [];
  for (const s of sets) {
    lines.push(`${s.label}: ${s.results.length} tools`);
    for (const r of s.results) {
      lines.push(`  ${r.verdict.padEnd(10)} ${normalizeForDisplay(r.name)}`);
      for (const f of r.findings)
        lines.push(
          `    ${f.severity.padEnd(8)} ${f.ruleId} at ${f.pointer || '/'}: ${f.message} — ${f.excerpt}`,
        );
    }
  }
  const all = sets.flatMap((s) => s.results);
  const count = (v: string): number => all.filter((r) => r.verdict === v).length;
  lines.push(
    `${all.length} tools: ${count('clean')} clean, ${count('suspicious')} suspicious, ${count('malicious')} malicious`,
  );
  return lines.join('\n');
}

function output(opts: GlobalOptions, flags: ScanFlags, sets: readonly Scanned[]): void {
  const min = flags.failOn;
  if (flags.sarif === true) {
    const runs = sets.flatMap(
      (s) => (toSarif(s.results, { uri: s.uri, toolVersion: wardenVersion() }) as { runs: unknown[] }).runs,
    );
    const doc = { ...toSarif([], { uri: '' }), runs };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else if (opts.json === true) {
    const entries = sets.flatMap((s) =>
      s.results.map((r) => ({
        ...(s.server === undefined ? {} : { server: s.server, source: s.source }),
        name: r.name,
        verdict: r.verdict,
        score: r.score,
        findings: r.findings,
      })),
    );
    process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
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

/** Starts one server (stdio: sandboxed, never plainly), lists its tools, stops it. */
async function listServerTools(
  s: FoundServer,
  launcher: BwrapLauncher,
  timeoutMs: number,
): Promise<Record<string, unknown>[]> {
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
        const tools: Record<string, unknown>[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          // Parsed loosely: a definition the SDK would reject is exactly what must be scanned.
          const r = await client.request(
            { method: 'tools/list', ...(cursor === undefined ? {} : { params: { cursor } }) },
            LIST_RESULT,
          );
          tools.push(...r.tools);
          cursor = typeof r.nextCursor === 'string' ? r.nextCursor : undefined;
          if (cursor === undefined) break;
        }
        return tools;
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

async function scanServers(
  opts: GlobalOptions,
  flags: ScanFlags & { clients: boolean; timeout: string },
): Promise<void> {
  const found: FoundServer[] = [];
  const problems: SourceProblem[] = [];
  if (existsSync(opts.config)) {
    const c = configServers(
      loadConfig(opts.config, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    );
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
  const launcher = new BwrapLauncher({ requireSelfTest: true });
  const listed: { s: FoundServer; tools: Record<string, unknown>[] }[] = [];
  let failed = problems.length > 0 && found.length === 0;
  for (const [i, s] of found.entries()) {
    progress(
      `[${i + 1}/${found.length}] ${s.name} (${s.source}): starting${s.spec.kind === 'stdio' ? ' in a sandbox' : ''}…`,
    );
    try {
      const tools = await listServerTools(s, launcher, seconds * 1000);
      progress(`[${i + 1}/${found.length}] ${s.name}: ${tools.length} tools`);
      listed.push({ s, tools });
    } catch (e) {
      failed = true;
      progress(`[${i + 1}/${found.length}] ${s.name}: could not list tools: ${(e as Error).message}`);
    }
  }
  const names = listed.flatMap(({ s, tools }) => tools.map((t) => `${s.name}.${String(t.name)}`));
  const sets: Scanned[] = listed.map(({ s, tools }) => ({
    label: `${s.name} (${s.source})`,
    uri: `mcp://${s.name}`,
    server: s.name,
    source: s.source,
    results: scanTools(tools, { otherServerTools: names.filter((n) => !n.startsWith(`${s.name}.`)) }),
  }));
  output(opts, flags, sets);
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
      'scan MCP servers (warden.yaml and Claude Desktop, Claude Code, Cursor, VS Code configurations) for poisoned tools; each stdio server runs in a sandbox',
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
    .action(async (o: ScanFlags & { clients: boolean; timeout: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await scanServers(opts, o);
    });
  scan
    .command('tools <file>')
    .description(
      "scan a saved tools/list result, a JSON-RPC response carrying one, or a JSON array of tools ('-' reads stdin); --sarif and --fail-on as for `warden scan`",
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
      const defs = parseToolList(value);
      output(opts, o, [
        {
          label: file === '-' ? 'stdin' : file,
          uri: file === '-' ? 'stdin' : file,
          results: scanTools(defs),
        },
      ]);
    });
}
