import type { Command } from 'commander';
import { parseGrantFlags, parseTtl } from '../../identity/index.ts';
import type { Identity } from '../../identity/index.ts';
import { withIdentity } from '../context.ts';
import { collect, print, table } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

export interface GrantOptions {
  tool: string[];
  arg: string[];
  ttl?: string;
  task?: string;
}

/** Adds the grant flags shared by `token issue` and `run` (`--tool`, `--arg`, `--ttl`, `--task`). */
export function grantOptions(cmd: Command): Command {
  return cmd
    .option('--task <text>', 'the task this token is for (audited; revocable with token revoke --task)')
    .option('--tool <server.pattern>', "a tool the task may call, e.g. 'fs.read_*' (repeatable)", collect, [])
    .option(
      '--arg <server.tool.param=VALUE>',
      "an argument constraint, e.g. 'fs.read_file.path=/workspace/**' (repeatable; host:, enum:, range:, int:)",
      collect,
      [],
    )
    .option(
      '--ttl <duration>',
      'token lifetime: 90s, 15m, 1h (default identity.token_ttl, at most max_token_ttl)',
    );
}

/** Mints a root token for an agent from grant flags. */
export async function issueFromFlags(
  id: Identity,
  agentName: string,
  o: GrantOptions,
): Promise<{ token: string; jti: string; expiresAt: number; grantId: string }> {
  const agent = await id.registry.get(agentName);
  const ttlSec = o.ttl === undefined ? undefined : parseTtl(o.ttl);
  const grant = parseGrantFlags({
    tools: o.tool,
    args: o.arg,
    expiresAt: Date.now() + (ttlSec ?? id.tokens.defaultTtlSec) * 1000,
  });
  const issued = await id.tokens.issue({
    agentId: agent.id,
    grant,
    ...(o.task === undefined ? {} : { task: o.task }),
    ...(ttlSec === undefined ? {} : { ttlSec }),
  });
  return { token: issued.token, jti: issued.claims.jti, expiresAt: issued.expiresAt, grantId: grant.id };
}

export function register(program: Command): void {
  const token = program.command('token').description('issue and revoke task access tokens');
  grantOptions(
    token
      .command('issue')
      .description('mint a short-lived access token carrying a task grant (printed once)')
      .requiredOption('--agent <name>', 'the agent the token is for'),
  ).action(async (o: GrantOptions & { agent: string }, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    await withIdentity(opts, async (id) => {
      const r = await issueFromFlags(id, o.agent, o);
      print(
        opts,
        { ...r, expiresAt: new Date(r.expiresAt).toISOString(), audience: id.tokens.audience },
        () => r.token,
      );
    });
  });
  token
    .command('revoke')
    .description('revoke a token (and its descendants), every token of an agent, or of a task')
    .option('--jti <id>', 'a token id')
    .option('--agent <name>', 'an agent: every token it holds or acts in, issued up to now')
    .option('--task <text>', 'a task: every token issued for it up to now')
    .action(async (o: { jti?: string; agent?: string; task?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const given = [o.jti, o.agent, o.task].filter((x) => x !== undefined);
      if (given.length !== 1)
        cmd.error('warden: token revoke takes exactly one of --jti, --agent or --task', { exitCode: 2 });
      await withIdentity(opts, async (id) => {
        const target =
          o.jti !== undefined
            ? { jti: o.jti }
            : o.task !== undefined
              ? { task: o.task }
              : { agentId: (await id.registry.get(o.agent!)).id };
        const count = await id.tokens.revoke(target);
        print(
          opts,
          { revoked: count, ...o },
          () => `revoked ${count} token(s); gateways refuse them within 1 s`,
        );
      });
    });
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('the gateway’s token signing keys (ES256)');
  const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
  keys
    .command('list')
    .description('list signing keys: the active one, and retired ones still verifying')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withIdentity(opts, async (id) => {
        const list = await id.keys.list();
        print(opts, list, () =>
          table([
            ['KID', 'STATE', 'CREATED', 'RETIRED', 'VERIFIES UNTIL'],
            ...list.map((k) => [
              k.kid,
              k.retiredAt === undefined ? 'active' : 'retired',
              when(k.createdAt),
              when(k.retiredAt),
              when(k.verifyUntil),
            ]),
          ]),
        );
      });
    });
  keys
    .command('rotate')
    .description('start signing with a new key now; the old one verifies until its tokens expire')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withIdentity(opts, async (id) => {
        const k = await id.keys.rotate();
        print(opts, k, () => `signing with ${k.kid} from now on`);
      });
    });
}
