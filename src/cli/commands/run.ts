import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../../core/index.ts';
import { readEnv, resolveCommand } from '../../config/index.ts';
import type { Command } from 'commander';
import { collect, EXIT, reportError } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import { config } from '../context.ts';
import { resolveSandboxSettings, runSandboxed, WORKSPACE_TARGET } from '../../sandbox/index.ts';
import type { SandboxOverrides } from '../../sandbox/index.ts';
import { delegateEnv, runDelegated, startTaskToken, withTaskToken } from './run-identity.ts';
import type { TaskToken } from './run-identity.ts';
import type { GrantOptions } from './token.ts';

interface TaskFlags extends GrantOptions {
  agent?: string;
  delegate?: boolean;
}

/** `--agent`: the task token for this run (undefined without --agent). */
async function taskToken(o: TaskFlags, cmd: Command): Promise<TaskToken | undefined> {
  if (o.agent === undefined) {
    if (o.tool.length > 0 || o.arg.length > 0 || o.task !== undefined || o.ttl !== undefined)
      throw new RunError('ERR_USAGE', '--tool, --arg, --task and --ttl need --agent');
    return undefined;
  }
  const cfg = config(cmd.optsWithGlobals<GlobalOptions>());
  return startTaskToken(cfg, o.agent, o, (line) => process.stderr.write(line + '\n'));
}

class RunError extends AppError<'ERR_USAGE'> {}

interface RunFlags {
  profile?: string;
  workspace?: string;
  workspaceMode: string;
  allowHost: string[];
  memory?: string;
  cpus?: string;
  pids?: string;
}

/**
 * `warden run [--profile NAME] [flags] -- COMMAND…`: runs an agent (any program) in a disposable sandbox. Exit code,
 * signals and the terminal pass through. The program's environment is built here from a few
 * named variables (PATH, TERM, LANG), never inherited wholesale.
 */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run a command (an agent, a script) in a disposable sandbox; exit code, signals and TTY pass through',
    )
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--workspace <dir>', 'a directory the program may read and write, mounted at /workspace')
    .option('--workspace-mode <mode>', 'bind (the real directory) or copy (a disposable copy)', 'bind')
    .option(
      '--allow-host <host>',
      'a host the program may reach through the egress proxy (repeatable; *.example.com for subdomains)',
      collect,
      [],
    )
    .option('--memory <size>', 'memory limit, e.g. 512M')
    .option('--cpus <n>', 'CPU limit in cores, e.g. 1 or 0.5')
    .option('--pids <n>', 'process limit')
    .option(
      '--profile <name>',
      'start from a named profile (sandbox_profiles in warden.yaml); the flags above replace its keys',
    )
    .option(
      '--agent <name>',
      'run as this agent: mint a task token (grant from --tool/--arg/--ttl/--task), give the program an MCP config holding only it, revoke it at exit',
    )
    .option('--task <text>', 'with --agent: the task the token is for (audited, revocable)')
    .option(
      '--tool <server.pattern>',
      "with --agent: a tool the task may call, e.g. 'fs.read_*' (repeatable)",
      collect,
      [],
    )
    .option(
      '--arg <server.tool.param=VALUE>',
      'with --agent: an argument constraint (repeatable)',
      collect,
      [],
    )
    .option(
      '--ttl <duration>',
      'with --agent: token lifetime (refreshed before expiry while the program runs)',
    )
    .option(
      '--delegate',
      'inside `warden run --agent`: exchange this sandbox’s token for a narrower one (--tool/--arg/--ttl/--task) and run COMMAND with only that',
    )
    .action(async (argv: string[], o: RunFlags & TaskFlags, cmd: Command) => {
      try {
        await runCommand(argv, o, cmd);
      } catch (e) {
        // a usage error exits 2 (EXIT.USAGE), like commander's own; the program's code is its own
        if (!(e instanceof RunError) || e.code !== 'ERR_USAGE') throw e;
        reportError(e, cmd.optsWithGlobals<GlobalOptions>().json === true);
        process.exitCode = EXIT.USAGE;
      }
    });
}

async function runCommand(argv: string[], o: RunFlags & TaskFlags, cmd: Command): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined)
    throw new RunError('ERR_USAGE', 'warden run needs a command: warden run [options] -- COMMAND [ARGS…]');
  const path = readEnv('PATH') ?? '/usr/local/bin:/usr/bin:/bin';
  const found = resolveCommand(name, { PATH: path });
  if (typeof found === 'string') throw new RunError('ERR_USAGE', found);
  if (o.delegate === true) {
    process.exitCode = await runDelegated(found.command, args, o, delegateEnv());
    return;
  }
  if (!['bind', 'copy'].includes(o.workspaceMode))
    throw new RunError('ERR_USAGE', '--workspace-mode is bind or copy');
  const settings = sandboxFor(o, cmd.optsWithGlobals<GlobalOptions>());
  const ws = settings.workspace;
  const inside = ws !== undefined && ws.mode !== 'none' ? (ws.target ?? WORKSPACE_TARGET) : undefined;
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: inside ?? '/tmp',
  };
  for (const k of ['TERM', 'LANG', 'COLORTERM']) {
    const v = readEnv(k);
    if (v !== undefined) env[k] = v;
  }
  const task = await taskToken(o, cmd);
  try {
    const r = await runSandboxed({
      command: found.command,
      args,
      env: { ...env, ...task?.env },
      ...(inside === undefined ? {} : { cwd: inside }),
      profile: task === undefined ? settings : withTaskToken(settings, task),
      label: `run:${name}`,
    });
    process.exitCode = r.code;
  } finally {
    await task?.stop();
  }
}

/**
 * The sandbox settings for this run: the named profile (if any) from warden.yaml, then each
 * flag given replacing the profile's key. Without --profile, warden.yaml is not read at all.
 */
function sandboxFor(o: RunFlags, globals: GlobalOptions): SandboxOverrides {
  const flags: Record<string, unknown> = {
    ...(o.workspace === undefined
      ? {}
      : {
          workspace: {
            mode: o.workspaceMode,
            path: isAbsolute(o.workspace) ? o.workspace : resolve(o.workspace),
          },
        }),
    ...(o.allowHost.length > 0 ? { allowHosts: o.allowHost } : {}),
    ...(o.memory === undefined ? {} : { memory: o.memory }),
    ...(o.cpus === undefined ? {} : { cpus: Number(o.cpus) }),
    ...(o.pids === undefined ? {} : { pids: Number(o.pids) }),
  };
  if (o.profile === undefined) {
    const r = resolveSandboxSettings(
      { workspace: { mode: 'none' }, ...flags },
      { baseDir: process.cwd(), where: 'option' },
    );
    if (!r.ok) throw new RunError('ERR_USAGE', r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    return r.value;
  }
  const cfg = config(globals);
  const where = `sandbox_profiles.${o.profile}`;
  const profiles = cfg.sandboxProfiles;
  const own = profiles[o.profile];
  if (own === undefined) {
    const known = Object.keys(profiles);
    throw new RunError(
      'ERR_USAGE',
      `no sandbox profile ${JSON.stringify(o.profile)} in ${cfg.file} (${known.length > 0 ? `known: ${known.join(', ')}` : 'sandbox_profiles is empty'})`,
    );
  }
  const alone = resolveSandboxSettings(own, { baseDir: cfg.baseDir, profiles, where });
  if (!alone.ok)
    throw new RunError(
      'ERR_USAGE',
      `${cfg.file}: ${alone.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  const r = resolveSandboxSettings(
    { profile: o.profile, ...flags },
    { baseDir: cfg.baseDir, profiles, where: 'option' },
  );
  if (!r.ok) throw new RunError('ERR_USAGE', r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return r.value;
}
