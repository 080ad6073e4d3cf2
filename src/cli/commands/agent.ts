import { chmodSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withRegistry } from '../context.ts';
import { collect, print, table } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import type { Agent } from '../../identity/index.ts';

function describe(a: Agent): string[] {
  return [
    a.name,
    a.roles.join(',') || '-',
    a.disabled ? 'disabled' : 'active',
    new Date(a.createdAt).toISOString(),
  ];
}

export function register(program: Command): void {
  const agent = program.command('agent').description('manage agent identities');
  agent
    .command('create <name>')
    .description('create an agent; prints its bearer credential once (only a hash is stored)')
    .option('--role <role>', 'a role (repeatable)', collect, [])
    .option('--key-file <path>', 'write the credential to this file (mode 0600) instead of printing it')
    .action(async (name: string, o: { role: string[]; keyFile?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withRegistry(opts, async (r) => {
        const { agent: a, credential } = await r.create({ name, roles: o.role });
        if (o.keyFile !== undefined) {
          writeFileSync(o.keyFile, credential.token + '\n', { mode: 0o600, flag: 'wx' });
          chmodSync(o.keyFile, 0o600);
        }
        const shown = o.keyFile === undefined ? credential.token : undefined;
        print(
          opts,
          {
            agent: a,
            keyId: credential.id,
            ...(shown === undefined ? { keyFile: o.keyFile } : { credential: shown }),
          },
          () =>
            shown === undefined
              ? `created agent ${a.name} (roles: ${a.roles.join(', ') || 'none'}); credential written to ${o.keyFile}`
              : `created agent ${a.name} (roles: ${a.roles.join(', ') || 'none'})\ncredential (shown once, store it now): ${shown}\nuse it as: Authorization: Bearer <credential>`,
        );
      });
    });
  agent
    .command('list')
    .description('list agents')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withRegistry(opts, async (r) => {
        const agents = await r.list();
        print(opts, agents, () => table([['NAME', 'ROLES', 'STATE', 'CREATED'], ...agents.map(describe)]));
      });
    });
  agent
    .command('show <name>')
    .description('show one agent and its credentials (ids only)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withRegistry(opts, async (r) => {
        const a = await r.get(name);
        const keys = await r.listApiKeys(name);
        print(opts, { agent: a, keys }, () =>
          [
            table([['NAME', 'ROLES', 'STATE', 'CREATED'], describe(a)]),
            '',
            table([
              ['KEY ID', 'CREATED', 'REVOKED'],
              ...keys.map((k) => [
                k.id,
                new Date(k.createdAt).toISOString(),
                k.revokedAt === undefined ? '-' : new Date(k.revokedAt).toISOString(),
              ]),
            ]),
          ].join('\n'),
        );
      });
    });
  agent
    .command('disable <name>')
    .description('disable an agent: all its credentials and tokens stop working at once')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withRegistry(opts, async (r) => {
        const a = await r.disable(name);
        print(opts, a, () => `disabled agent ${a.name}`);
      });
    });
}
