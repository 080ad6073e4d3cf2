import type { Command } from 'commander';
import { AppError } from '../../core/index.ts';
import { PolicyEngine, explain } from '../../policy/index.ts';
import type { PolicyRequest } from '../../policy/index.ts';
import { withRegistry, config } from '../context.ts';
import { print, EXIT } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

class CliError extends AppError<'ERR_USAGE'> {}

function parseArgs(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError('ERR_USAGE', `--args is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CliError('ERR_USAGE', '--args must be a JSON object');
  return v as Record<string, unknown>;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('work with Cedar policies');
  policy
    .command('validate')
    .description("load and validate the policies directory against Warden's schema")
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const cfg = config(opts);
      const engine = await PolicyEngine.load(cfg.policiesDir);
      print(
        opts,
        { ok: true, version: engine.version, policies: engine.policies.length },
        () => `ok: ${engine.policies.length} policies, version ${engine.version}`,
      );
    });
  policy
    .command('check')
    .description('evaluate a hypothetical call and explain the decision (exit 0 allow, 1 deny)')
    .requiredOption('--agent <name>', 'the agent (its roles come from the store)')
    .requiredOption('--tool <server.tool>', 'the tool as agents see it, e.g. fs.read_file')
    .option('--args <json>', "the call's arguments as a JSON object", '{}')
    .option('--task <task>', 'task id for the context')
    .action(async (o: { agent: string; tool: string; args: string; task?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const dot = o.tool.indexOf('.');
      if (dot <= 0) throw new CliError('ERR_USAGE', `--tool must be server.tool (got ${o.tool})`);
      const args = parseArgs(o.args);
      const decision = await withRegistry(opts, async (r, cfg) => {
        const a = await r.get(o.agent);
        const engine = await PolicyEngine.load(cfg.policiesDir);
        const server = cfg.servers.find((s) => s.name === o.tool.slice(0, dot));
        const req: PolicyRequest = {
          principal: { id: a.name, roles: a.roles },
          action: 'call_tool',
          resource: {
            kind: 'tool',
            server: o.tool.slice(0, dot),
            name: o.tool.slice(dot + 1),
            annotations: {},
            trustedAnnotations: server?.trusted ?? false,
          },
          context: { args, now: Date.now(), ...(o.task === undefined ? {} : { task: o.task }) },
        };
        const d = engine.authorize(req);
        print(opts, d, () => explain(d, req, engine));
        return d;
      });
      process.exitCode = decision.effect === 'allow' ? EXIT.OK : EXIT.FAIL;
    });
}
