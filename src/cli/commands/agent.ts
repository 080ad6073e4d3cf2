import { chmodSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withRegistry } from '../context.ts';
import { collect, print, table } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import type { Agent } from '../../identity/index.ts';
import { writeBootstrapFile } from '../../identity/index.ts';
import { issuerOf } from '../../gateway/index.ts';

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
    .description(
      'create an agent; prints its API key and bootstrap key once (only a hash and the public key are stored)',
    )
    .option('--role <role>', 'a role (repeatable)', collect, [])
    .option('--key-file <path>', 'write the API key to this file (mode 0600) instead of printing it')
    .option(
      '--bootstrap-file <path>',
      'write the bootstrap key pair (private JWK, client id, token endpoint) to this file (mode 0600) instead of printing it',
    )
    .action(
      async (name: string, o: { role: string[]; keyFile?: string; bootstrapFile?: string }, cmd: Command) => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        await withRegistry(opts, async (r, cfg) => {
          const { agent: a, credential, bootstrap } = await r.create({ name, roles: o.role });
          const tokenEndpoint = `${issuerOf(cfg.gateway.publicUrl)}/token`;
          if (o.keyFile !== undefined) {
            writeFileSync(o.keyFile, credential.token + '\n', { mode: 0o600, flag: 'wx' });
            chmodSync(o.keyFile, 0o600);
          }
          if (o.bootstrapFile !== undefined) writeBootstrapFile(o.bootstrapFile, bootstrap, tokenEndpoint);
          const shown = o.keyFile === undefined ? credential.token : undefined;
          const bootShown =
            o.bootstrapFile === undefined
              ? {
                  client_id: bootstrap.clientId,
                  kid: bootstrap.kid,
                  private_jwk: bootstrap.privateJwk,
                  token_endpoint: tokenEndpoint,
                }
              : undefined;
          const roles = a.roles.join(', ') || 'none';
          print(
            opts,
            {
              agent: a,
              keyId: credential.id,
              ...(shown === undefined ? { keyFile: o.keyFile } : { credential: shown }),
              ...(bootShown === undefined ? { bootstrapFile: o.bootstrapFile } : { bootstrap: bootShown }),
            },
            () =>
              [
                `created agent ${a.name} (roles: ${roles})`,
                shown === undefined
                  ? `API key written to ${o.keyFile}`
                  : `API key (shown once, store it now): ${shown}`,
                bootShown === undefined
                  ? `bootstrap key written to ${o.bootstrapFile}`
                  : `bootstrap key (shown once; save it as a 0600 file for warden run --bootstrap-file):\n${JSON.stringify(bootShown)}`,
                'both only obtain short-lived task tokens at the token endpoint (warden token issue, warden run --agent)',
              ].join('\n'),
          );
        });
      },
    );
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
